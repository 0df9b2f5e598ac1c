"""
A client that stops reading its socket is dropped once the server holds more
than REALTIME_MAX_SEND_BACKLOG_BYTES unsent for it (boardsite.collab.transport),
while the others on the board get every stroke; one that pauses for less
gets everything, in order, once it reads again.
"""

import asyncio
import json
import socket

import websockets
from django.test import TransactionTestCase

from bench.servers import HOST, UNLIMITED_RATE
from bench.session import cookie_header, login
from tests.reliability.faults import shared_database_url, server_environment, start_server
from tests.reliability.reconnecting import WhiteboardClient
from tests.support import PASSWORD, make_user
from whiteboard import services as whiteboard_services

LIMIT = 1024 * 1024
CHUNKS = 1600  # of 256 points, about 5 KB each: 8 MB to every reader, more than the limit plus the kernel's buffers
POINTS = [[round(n / 256, 4), round(1 - n / 256, 4)] for n in range(256)]


class SlowReaderCase(TransactionTestCase):
    """A drawer, a reader that keeps up and a sluggard that does not read, on one board of a real server."""

    backlog_limit = LIMIT

    def setUp(self):
        self.users = [make_user(name) for name in ("drawer", "reader", "sluggard")]
        environment = server_environment(
            DATABASE_URL=shared_database_url(), REALTIME_MAX_SEND_BACKLOG_BYTES=str(self.backlog_limit), **UNLIMITED_RATE
        )
        self.server = start_server(self, "slow-client", environment)
        self.cookies = {user.username: login(self.server.http_url, user.username, PASSWORD) for user in self.users}
        self.board = whiteboard_services.board_create(name="Slow", owner=self.users[0])
        self.board.members.add(*self.users[1:])
        self.path = f"/ws/whiteboard/{self.board.slug}/"

    async def sluggard(self):
        """Connected and synced, with a small receive buffer, then never reads again."""
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.connect((HOST, self.server.port))
        client = await websockets.connect(
            f"{self.server.ws_url}{self.path}", sock=raw, max_queue=1, origin=self.server.http_url,
            additional_headers={"Cookie": cookie_header(self.cookies["sluggard"])},
        )
        hello = json.loads(await client.recv())
        await client.send(json.dumps({"type": "sync", "since": hello["seq"]}))
        return client

    async def draw_while_the_sluggard_sleeps(self):
        """The reader and drawer (connected), the sluggard; every chunk drawn, acked and received by the reader."""
        reader = await WhiteboardClient(self.server, self.path, self.cookies["reader"]).start()
        drawer = await WhiteboardClient(self.server, self.path, self.cookies["drawer"]).start()
        sluggard = await self.sluggard()
        for number in range(CHUNKS):
            await drawer.send(f"c{number}", {
                "type": "stroke", "id": f"s{number // 70}", "chunk": number % 70, "tool": "pen",
                "color": "#112233", "width": 3, "points": POINTS,
            })
            if number % 50 == 49:
                await drawer.wait_until(lambda: len(drawer.outbox) < 100)
        await drawer.wait_until(lambda: not drawer.outbox, timeout=60)
        await reader.wait_until(lambda: reader.contiguous_seq() >= CHUNKS, timeout=60)
        return reader, drawer, sluggard


class SlowClientTests(SlowReaderCase):
    def test_a_client_that_does_not_read_is_dropped_and_the_others_get_everything(self):
        async def scenario():
            reader, drawer, sluggard = await self.draw_while_the_sluggard_sleeps()
            # Now read what the sluggard was sent: the kernel's buffers, then the end of a dropped connection.
            frames = 0
            with self.assertRaises(websockets.ConnectionClosedError):
                async with asyncio.timeout(60):
                    while True:
                        await sluggard.recv()
                        frames += 1
            for client in (reader, drawer):
                self.assertEqual(client.connections, 1, "a reading client was dropped")
                await client.stop()
            return reader, frames

        reader, frames = asyncio.run(scenario())
        self.assertEqual(sum(len(chunks) for chunks in reader.strokes.values()), CHUNKS)
        self.assertLess(frames, CHUNKS, "the sluggard got everything: it was never cut off")
        self.server.stop()
        log = self.server.log_path.read_text()
        self.assertIn("over REALTIME_MAX_SEND_BACKLOG_BYTES", log)
        self.assertNotIn(" ERROR ", log)


class PausedReaderTests(SlowReaderCase):
    # Above the 8 MB drawn: the server holds what the kernel cannot (its send buffer is at most a few MB).
    backlog_limit = 4 * CHUNKS * len(json.dumps(POINTS))

    def test_a_client_that_pauses_reading_gets_every_stroke_in_order_once_it_reads_again(self):
        async def scenario():
            reader, drawer, sluggard = await self.draw_while_the_sluggard_sleeps()
            seqs, chunks = [], []
            async with asyncio.timeout(60):
                while len(seqs) < CHUNKS:
                    frame = json.loads(await sluggard.recv())
                    if frame["type"] == "stroke":
                        seqs.append(frame["seq"])
                        chunks.append((frame["id"], frame["chunk"]))
            await sluggard.close()
            for client in (reader, drawer):
                await client.stop()
            return seqs, chunks

        seqs, chunks = asyncio.run(scenario())
        self.assertEqual(seqs, list(range(seqs[0], seqs[0] + CHUNKS)))
        self.assertEqual(chunks, [(f"s{number // 70}", number % 70) for number in range(CHUNKS)])
        self.server.stop()
        log = self.server.log_path.read_text()
        self.assertNotIn("over REALTIME_MAX_SEND_BACKLOG_BYTES", log)
        self.assertNotIn(" ERROR ", log)
