"""
The websocket layers of our own (boardsite.asgi) hand back the inner
application's coroutine instead of awaiting it, so an open socket keeps no
frame of theirs; each is still marked an ASGI 3 application, which servers
and test harnesses check before they call it (asgiref's
guarantee_single_callable would otherwise take it for an ASGI 2 one).

Building the application leaves no context variable behind: daphne starts
each connection's task in the context it imported the application in.
"""

import os
import subprocess
import sys

from asgiref.compatibility import guarantee_single_callable
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import SimpleTestCase, TransactionTestCase

from boardsite.asgi import application
from boardsite.collab.transport import ServerSendMiddleware
from boardsite.origins import SameOriginValidator
from kanban.consumers import KanbanConsumer
from tests.support import make_user, websocket_for
from tests.whiteboard.helpers import receive_frame
from whiteboard import services
from whiteboard.consumers import WhiteboardConsumer


class SingleCallableTests(TransactionTestCase):
    def test_each_layer_is_taken_as_an_asgi_3_application(self):
        websocket = application.application_mapping["websocket"]
        self.assertIsInstance(websocket, ServerSendMiddleware)
        self.assertIsInstance(websocket.app, SameOriginValidator)
        for layer in (websocket, websocket.app, WhiteboardConsumer.as_asgi(), KanbanConsumer.as_asgi()):
            with self.subTest(layer=layer):
                self.assertIs(guarantee_single_callable(layer), layer)

    async def test_a_socket_opened_on_the_websocket_stack_itself_is_greeted(self):
        """A harness that starts at our outer layer (as a server given it alone would) gets the board's hello."""
        user = await sync_to_async(make_user)("ada")
        board = await sync_to_async(services.board_create)(name="Layers", owner=user)
        communicator = await websocket_for(
            f"/ws/whiteboard/{board.slug}/", user=user, app=application.application_mapping["websocket"]
        )
        connected, _ = await communicator.connect()
        self.assertTrue(connected)
        hello = await receive_frame(communicator)
        self.assertEqual((hello["type"], hello["board"]["name"]), ("hello", "Layers"))
        await communicator.disconnect()


class StartUpContextTests(SimpleTestCase):
    def test_importing_the_application_as_daphne_does_leaves_no_context_variable(self):
        """
        Django's start-up sets asgiref Locals (the script prefix, the URL
        resolvers' flags); left in the server's context, every socket would
        hold a copy of each, re-made by asgiref after each database call.
        """
        script = "import contextvars, boardsite.asgi; print(len(contextvars.copy_context()))"
        inherited = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
        result = subprocess.run(
            [sys.executable, "-c", script],
            env={**inherited, "DJANGO_SETTINGS_MODULE": "boardsite.settings", "DEBUG": "true"},
            cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), "0", "context variables left by start-up")
