"""
ASGI entry point: HTTP through Django, websockets through each app's routes.

`get_asgi_application()` runs first so the app registry is ready before the
consumers (and their models) are imported.

The application is built in a context of its own. Django's start-up stores
values in asgiref `Local`s (the script prefix, each URL resolver's
`populating` flag), which live in context variables. Built in the server's
main context, they would be inherited by every connection's task, and asgiref
copies each `Local` value it finds there back into the connection's context
after every database call: about 3 KB held for as long as each socket is
open, for state that a request sets for itself anyway (issue 17's memory per
connection).
"""

import contextvars
import gc
import os


def build_application():
    from django.core.asgi import get_asgi_application

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "boardsite.settings")
    django_asgi_app = get_asgi_application()

    from boardsite.secret_key import refuse_unsafe_key_in_production

    # A server with DEBUG off signs sessions with a key of the site's own or does not start.
    refuse_unsafe_key_in_production()

    from channels.auth import AuthMiddlewareStack
    from channels.routing import ProtocolTypeRouter, URLRouter

    import kanban.routing
    import whiteboard.routing
    from boardsite.collab.transport import ServerSendMiddleware
    from boardsite.origins import SameOriginValidator

    return ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            # The server's own send, kept for the connections' outlets (boardsite.collab.transport).
            "websocket": ServerSendMiddleware(
                # Only a page of this site's own origin opens a board socket (boardsite.origins).
                SameOriginValidator(
                    AuthMiddlewareStack(
                        URLRouter(whiteboard.routing.websocket_urlpatterns + kanban.routing.websocket_urlpatterns)
                    )
                )
            ),
        }
    )


application = contextvars.Context().run(build_application)

# The objects of a started Django never become garbage: move them out of the
# collector's way, so an occasional full collection scans only what the
# server made since (on a board of 100 viewers one took 77 ms, 10 ms after).
gc.freeze()
