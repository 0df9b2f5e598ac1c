"""
A client that sends faster than the server handles its frames, within its
rate limit, waits in its own buffers, not in the server's memory
(boardsite.collab.inbound): daphne stops reading its socket while too much
waits for the consumer, and reads on once the consumer has caught up, so
every frame is still answered.
"""

import asyncio
import json
import threading

from django.test import TransactionTestCase

from bench.servers import UNLIMITED_RATE, rss_bytes, wait_until_idle
from boardsite.collab.inbound import MAX_QUEUED_BYTES
from tests.reliability.abusers import open_socket, session_cookies, start_board_server
from tests.support import make_user
from whiteboard import services

FRAMES = 1000
FRAME_BYTES = 60_000  # under REALTIME_MAX_FRAME_BYTES: 60 MB in all


class PeakMemory:
    """The highest RSS of a process while it runs, sampled every 20 ms in a thread."""

    def __init__(self, pid):
        self.pid = pid
        self.peak = rss_bytes(pid)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self):
        while not self.stopped.wait(0.02):
            self.peak = max(self.peak, rss_bytes(self.pid))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join()


class ReadPauseTests(TransactionTestCase):
    def setUp(self):
        self.alice = make_user("alice")
        board = services.board_create(name="Busy", owner=self.alice)
        self.path = f"/ws/whiteboard/{board.slug}/"
        # Rate limits out of the way: this is about a client the rate limit lets through.
        self.server = start_board_server(self, "read-pause", **UNLIMITED_RATE)
        self.cookies = session_cookies(self.alice)

    def test_a_client_faster_than_the_server_waits_and_gets_every_answer(self):
        head = '{"type": "sync", "since": 0, "ref": %d}'
        frames = [head % number + " " * (FRAME_BYTES - len(head % number)) for number in range(FRAMES)]

        async def scenario():
            socket = await open_socket(self.server, self.path, self.cookies, max_queue=None)
            await socket.recv()  # hello

            async def send_all():
                for frame in frames:
                    await socket.send(frame)

            sender = asyncio.create_task(send_all())
            answered = set()
            while len(answered) < FRAMES:
                frame = json.loads(await asyncio.wait_for(socket.recv(), 30))
                if frame["type"] == "synced":
                    answered.add(frame["ref"])
                self.assertNotEqual(frame["type"], "error", frame)
            await sender
            await socket.close()
            return answered

        wait_until_idle([self.server.pid])
        before = rss_bytes(self.server.pid)
        with PeakMemory(self.server.pid) as memory:
            answered = asyncio.run(scenario())
        growth = memory.peak - before
        print(
            f"\n{FRAMES} frames of {FRAME_BYTES:,} bytes ({FRAMES * FRAME_BYTES / 2**20:.0f} MiB) sent at once: "
            f"daphne's RSS {before / 2**20:.1f} MB before, peak {memory.peak / 2**20:.1f} MB (+{growth / 2**20:.1f} MB)"
        )
        self.assertEqual(answered, set(range(FRAMES)), "a frame went unanswered")
        # What waits for the consumer is bounded (1 MiB, plus the read under way and the frames
        # being handled, and what parsing and answering cost); the client sent 57 MiB.
        self.assertLess(growth, 20 * MAX_QUEUED_BYTES)
