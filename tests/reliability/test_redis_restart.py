"""
Redis restarts under two daphne processes (PostgreSQL + Redis): the
processes recover without being restarted themselves, every client ends
with every stroke, each moved once, nothing acked is lost, and strokes drawn after the
restart reach everyone on both processes.

The test runs a Redis server of its own on a free port, so it can stop and
start it.
"""

import asyncio
import json
import random
import shutil
import subprocess
import tempfile
import time

from django.db import connection
from django.test import TransactionTestCase

from bench.servers import HOST, free_port
from bench.session import login
from tests.reliability.faults import postgres_url, server_environment, start_server
from tests.reliability.reconnecting import WhiteboardClient
from tests.support import PASSWORD, make_user, require_postgres, skip_or_fail
from whiteboard import services as whiteboard_services
from whiteboard.models import Board, BoardEvent, Stroke

CLIENTS = 4
CHUNKS = 10


class OwnRedis:
    """A redis-server on a free loopback port, without persistence: a restart forgets everything."""

    def __init__(self):
        self.port = free_port()
        self.process = None
        self.directory = tempfile.mkdtemp(prefix="boardsite-redis-")

    @property
    def url(self):
        return f"redis://{HOST}:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no",
             "--dir", self.directory],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout.strip() == b"PONG":
                return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class RedisRestartTests(TransactionTestCase):
    def setUp(self):
        require_postgres()
        if shutil.which("redis-server") is None:
            skip_or_fail("redis-server is not installed", service="redis")
        self.redis = OwnRedis().start()
        self.addCleanup(self.redis.stop)
        self.users = [make_user(f"user{number}") for number in range(CLIENTS)]
        environment = server_environment(DATABASE_URL=postgres_url(), REDIS_URL=self.redis.url)
        self.servers = [start_server(self, name, environment) for name in ("first", "second")]
        self.cookies = [login(self.servers[0].http_url, user.username, PASSWORD) for user in self.users]
        self.board = whiteboard_services.board_create(name="Redis", owner=self.users[0])
        self.board.members.add(*self.users[1:])

    def test_after_a_redis_restart_both_processes_deliver_again_and_nothing_acked_is_lost(self):
        drawn = asyncio.run(self.scenario())
        stored = {stroke.client_id: json.loads(stroke.points_json) for stroke in Stroke.objects.filter(board=self.board)}
        self.assertEqual(stored, drawn, "a chunk was lost or doubled")
        moved = {
            stroke.client_id: [round(stroke.offset_x, 4), round(stroke.offset_y, 4)]
            for stroke in Stroke.objects.filter(board=self.board)
        }
        self.assertEqual(moved, {stroke_id: [0.01, 0.0] for stroke_id in drawn}, "a move was lost or doubled")
        for client in self.clients:
            self.assertEqual(client.board(), stored, "a client's board differs from the stored one")
            self.assertEqual(client.offsets, moved, "a client's moves differ from the stored ones")
        self.board.refresh_from_db()
        seqs = list(BoardEvent.objects.filter(board=self.board).order_by("seq").values_list("seq", flat=True))
        self.assertEqual(seqs, list(range(1, self.board.last_seq + 1)))
        for server in self.servers:
            self.assertIsNone(server.process.poll(), "a server process died")

    async def scenario(self):
        rng = random.Random(7)
        path = f"/ws/whiteboard/{self.board.slug}/"
        self.clients = [
            await WhiteboardClient(self.servers[number % 2], path, cookies).start()
            for number, cookies in enumerate(self.cookies)
        ]
        drawn = {}

        async def draw(label):
            for number, client in enumerate(self.clients):
                stroke_id = f"{label}{number}"
                for chunk in range(CHUNKS):
                    points = [[round(rng.random(), 4), round(rng.random(), 4)]]
                    drawn.setdefault(stroke_id, []).extend(points)
                    await client.send(f"{stroke_id}-{chunk}", {
                        "type": "stroke", "id": stroke_id, "chunk": chunk, "tool": "pen", "color": "#112233",
                        "width": 3, "points": points,
                    })
                move = {"type": "move", "id": f"{stroke_id}-mv", "ids": [stroke_id], "dx": 0.01, "dy": 0}
                await client.send(f"{stroke_id}-move", move)
            for client in self.clients:
                await client.wait_until(lambda client=client: not client.outbox)

        await draw("before")
        await asyncio.to_thread(self.redis.stop)
        during = asyncio.create_task(draw("during"))  # sent while Redis is down, answered once it is back
        await asyncio.sleep(1)
        await asyncio.to_thread(self.redis.start)
        await during
        await draw("after")
        latest = await asyncio.to_thread(self.latest_seq)
        for client in self.clients:
            await client.wait_until(lambda client=client: client.contiguous_seq() >= latest)
        for client in self.clients:
            await client.stop()
        return drawn

    def latest_seq(self):
        try:
            return Board.objects.get(pk=self.board.pk).last_seq
        finally:
            connection.close()
