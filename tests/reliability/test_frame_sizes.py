"""
Frame sizes on a real daphne: a frame over REALTIME_MAX_FRAME_BYTES, counted
in UTF-8 bytes, is answered with `frame_too_large` at any size daphne
accepts (--websocket-max-message-size, 1 MiB by default); a larger one ends
the connection with 1009 (message too big), never with a silent drop.
"""

import asyncio
import json

import websockets
from django.conf import settings
from django.test import SimpleTestCase, TransactionTestCase

from boardsite.collab.errors import ActionError
from boardsite.collab.protocol import check_frame_size
from tests.reliability.abusers import open_socket, session_cookies, start_board_server
from tests.support import make_user
from whiteboard import services

DAPHNE_MAX_MESSAGE_BYTES = 1024 * 1024  # daphne's default --websocket-max-message-size
MESSAGE_TOO_BIG = 1009


def sync_frame(size, *, fill=" "):
    """A valid `sync` of exactly `size` bytes in UTF-8: JSON padded with white space (or other characters, in a string)."""
    if fill == " ":
        head = '{"type": "sync", "since": 0}'
        return head + " " * (size - len(head))
    head, tail = '{"type": "sync", "since": 0, "pad": "', '"}'
    count, rest = divmod(size - len(head) - len(tail), len(fill.encode()))
    return head + fill * count + "x" * rest + tail


class CountedInBytesTests(SimpleTestCase):
    def refused(self, text, limit=100):
        try:
            check_frame_size(text, limit=limit)
        except ActionError as error:
            self.assertEqual(error.code, "frame_too_large")
            return True
        return False

    def test_the_limit_is_in_utf8_bytes_whatever_the_characters(self):
        self.assertFalse(self.refused("x" * 100))
        self.assertTrue(self.refused("x" * 101))
        self.assertFalse(self.refused("é" * 50))  # 2 bytes each
        self.assertTrue(self.refused("é" * 50 + "x"))
        self.assertFalse(self.refused("€" * 33 + "x"))  # 3 bytes each
        self.assertTrue(self.refused("€" * 34))
        self.assertTrue(self.refused("😀" * 26))  # 4 bytes each
        # No UTF-8 frame holds a lone surrogate, but a test's communicator can send one: counted, not a crash.
        self.assertTrue(self.refused("\ud800" * 34))


class FrameSizeTests(TransactionTestCase):
    def setUp(self):
        self.alice = make_user("alice")
        board = services.board_create(name="Sizes", owner=self.alice)
        self.path = f"/ws/whiteboard/{board.slug}/"
        self.server = start_board_server(self, "frame-sizes")
        self.cookies = session_cookies(self.alice)

    async def answer(self, socket, text):
        """The first frame answering `text` that is not presence or history."""
        await socket.send(text)
        while True:
            frame = json.loads(await asyncio.wait_for(socket.recv(), 10))
            if frame["type"] in ("error", "synced"):
                return frame

    def test_every_size_gets_a_clear_outcome(self):
        limit = settings.REALTIME_MAX_FRAME_BYTES

        async def scenario():
            socket = await open_socket(self.server, self.path, self.cookies, max_queue=None)
            await socket.recv()  # hello
            outcomes = {}
            for name, text in [
                ("at the limit", sync_frame(limit)),
                ("one byte over", sync_frame(limit + 1)),
                ("within the limit in characters, over it in bytes (€ is 3 bytes)", sync_frame(limit + 2, fill="€")),
                ("900 KB", sync_frame(900_000)),
                ("daphne's largest", sync_frame(DAPHNE_MAX_MESSAGE_BYTES)),
            ]:
                frame = await self.answer(socket, text)
                outcomes[name] = frame.get("code", frame["type"])
            outcomes["a sync after them"] = (await self.answer(socket, sync_frame(30)))["type"]
            await socket.close()
            for size in (DAPHNE_MAX_MESSAGE_BYTES + 1, 5 * DAPHNE_MAX_MESSAGE_BYTES):
                socket = await open_socket(self.server, self.path, self.cookies, max_queue=None)
                await socket.recv()
                with self.assertRaises(websockets.ConnectionClosed):
                    await self.answer(socket, sync_frame(size))
                outcomes[f"{size:,} bytes"] = f"closed with {socket.close_code}"
            return outcomes

        outcomes = asyncio.run(scenario())
        print("\n" + "\n".join(f"{name}: {outcome}" for name, outcome in outcomes.items()))
        self.assertEqual(
            outcomes,
            {
                "at the limit": "synced",
                "one byte over": "frame_too_large",
                "within the limit in characters, over it in bytes (€ is 3 bytes)": "frame_too_large",
                "900 KB": "frame_too_large",
                "daphne's largest": "frame_too_large",
                "a sync after them": "synced",
                f"{DAPHNE_MAX_MESSAGE_BYTES + 1:,} bytes": f"closed with {MESSAGE_TOO_BIG}",
                f"{5 * DAPHNE_MAX_MESSAGE_BYTES:,} bytes": f"closed with {MESSAGE_TOO_BIG}",
            },
        )
        self.server.stop()
        self.assertNotIn(" ERROR ", self.server.log_path.read_text())
