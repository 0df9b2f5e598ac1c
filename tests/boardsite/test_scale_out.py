"""
Two daphne processes sharing PostgreSQL and Redis, clients split between
them: every event reaches every client exactly once and in seq order, and
the database ends as the clients saw it.
"""

import asyncio
import json
import tempfile

import websockets
from django.conf import settings
from django.test import TransactionTestCase

from bench.servers import Server, base_environment
from bench.session import cookie_header, login
from kanban import services as kanban_services
from kanban.models import Board as KanbanBoard
from kanban.models import Card
from tests.reliability.faults import postgres_url
from tests.support import PASSWORD, make_user, require_postgres, require_redis
from whiteboard import services as whiteboard_services
from whiteboard.models import Stroke

TIMEOUT = 20


class Client:
    """A logged-in websocket client that records every frame the server sends it."""

    def __init__(self, server, path, cookies):
        self.server, self.path, self.cookies = server, path, cookies
        self.events = []  # stored events, as received
        self.acks = {}  # ref -> ack
        self.errors = []
        self.synced = asyncio.Event()
        self.first_frame = None

    async def __aenter__(self):
        self.socket = await websockets.connect(
            f"{self.server.ws_url}{self.path}",
            origin=self.server.http_url,
            additional_headers={"Cookie": cookie_header(self.cookies)},
        )
        hello = json.loads(await self.socket.recv())
        self.reader = asyncio.create_task(self.read())
        await self.send({"type": "sync", "since": hello["seq"]})
        await asyncio.wait_for(self.synced.wait(), TIMEOUT)
        return self

    async def __aexit__(self, *exc):
        self.reader.cancel()
        await self.socket.close()

    async def send(self, message):
        await self.socket.send(json.dumps(message))

    async def read(self):
        async for text in self.socket:
            frame = json.loads(text)
            if frame["type"] == "synced":
                self.synced.set()
            elif frame["type"] == "ack":
                self.acks[frame["ref"]] = frame
            elif frame["type"] == "error":
                self.errors.append(frame)
            elif "seq" in frame and not frame["type"].startswith("presence"):
                if frame["type"] == "board":
                    self.first_frame = frame
                else:
                    self.events.append(frame)

    def seen_seqs(self):
        return sorted([event["seq"] for event in self.events] + [ack["seq"] for ack in self.acks.values()])

    async def wait_for_seqs(self, first_seq, last_seq):
        """Wait until every seq from first_seq to last_seq has arrived, as an event or an ack."""
        wanted = set(range(first_seq, last_seq + 1))

        async def caught_up():
            while not wanted <= set(self.seen_seqs()):
                await asyncio.sleep(0.02)

        await asyncio.wait_for(caught_up(), TIMEOUT)


class TwoProcessTests(TransactionTestCase):
    def setUp(self):
        require_postgres()
        redis_url = require_redis()
        self.users = [make_user(name) for name in ("alice", "bob", "carol", "dave")]
        log_dir = tempfile.mkdtemp(prefix="boardsite-scale-out-")
        environment = {
            **base_environment(),
            "DATABASE_URL": postgres_url(),
            "REDIS_URL": redis_url,
            "SECRET_KEY": settings.SECRET_KEY,
            "LOG_LEVEL": "WARNING",
            "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        }
        self.servers = []
        for name in ("first", "second"):
            server = Server(name=name, application="boardsite.asgi:application", environment=environment, log_dir=log_dir)
            server.start()
            self.addCleanup(server.stop)
            self.servers.append(server)
        self.cookies = {user.username: login(self.servers[0].http_url, user.username, PASSWORD) for user in self.users}

    def clients(self, path):
        """alice and carol on the first process, bob and dave on the second."""
        return [
            Client(self.servers[index % 2], path, self.cookies[user.username]) for index, user in enumerate(self.users)
        ]

    def assert_everyone_saw_everything_once_in_order(self, clients, last_seq):
        for client in clients:
            received = [event["seq"] for event in client.events]
            self.assertEqual(received, sorted(received), "events out of order")
            self.assertEqual(client.seen_seqs(), list(range(1, last_seq + 1)), "an event missing or repeated")
            self.assertEqual(client.errors, [])

    def test_strokes_drawn_on_both_processes_reach_every_client_once_in_order(self):
        board = whiteboard_services.board_create(name="Scale", owner=self.users[0])
        board.shared_with_all = True
        board.save()

        async def scenario():
            clients = self.clients(f"/ws/whiteboard/{board.slug}/")
            async with clients[0] as alice, clients[1] as bob, clients[2], clients[3]:
                for index in range(40):
                    for drawer, name in ((alice, "a"), (bob, "b")):
                        await drawer.send(
                            {
                                "type": "stroke", "ref": f"{name}{index}", "id": f"{name}{index // 10}",
                                "chunk": index % 10, "tool": "pen", "color": "#112233", "width": 3,
                                "points": [[0.1 + index / 100, 0.2], [0.2, 0.3 + index / 100]],
                            }
                        )
                for client in clients:
                    await client.wait_for_seqs(1, 80)
            return clients

        clients = asyncio.run(scenario())
        self.assert_everyone_saw_everything_once_in_order(clients, 80)
        self.assertEqual(Stroke.objects.filter(board=board).count(), 8)
        board.refresh_from_db()
        self.assertEqual(board.last_seq, 80)

    def test_card_moves_on_both_processes_reach_every_client_once_in_order(self):
        board = kanban_services.board_create(name="Scale", owner=self.users[0])
        for user in self.users[1:]:
            board.members.add(user)
        columns = list(board.columns.order_by("position"))
        cards = [
            kanban_services.card_create(board=board, column_id=columns[0].pk, title=f"card {n}", actor=self.users[0])[
                "card"
            ]
            for n in range(6)
        ]
        start_seq = KanbanBoard.objects.get(pk=board.pk).last_seq

        async def scenario():
            clients = self.clients(f"/ws/kanban/{board.slug}/")
            async with clients[0] as alice, clients[1] as bob, clients[2], clients[3]:
                for round_number in range(3):
                    for mover, owned in ((alice, cards[:3]), (bob, cards[3:])):
                        for card in owned:
                            await mover.send(
                                {
                                    "type": "card.move", "ref": f"{card['id']}-{round_number}", "card": card["id"],
                                    "version": 1 + round_number, "column": columns[(round_number + 1) % 3].pk,
                                    "index": 0,
                                }
                            )
                for client in clients:
                    await client.wait_for_seqs(start_seq + 1, start_seq + 18)
            return clients

        clients = asyncio.run(scenario())
        for client in clients:
            client.events = [event for event in client.events if event["seq"] > start_seq]
            client.acks = {ref: ack for ref, ack in client.acks.items() if ack["seq"] > start_seq}
            received = [event["seq"] for event in client.events]
            self.assertEqual(received, sorted(received), "events out of order")
            self.assertEqual(client.seen_seqs(), list(range(start_seq + 1, start_seq + 19)))
            self.assertEqual(client.errors, [])
        # Every card ended where its last move put it, and every client's last word on it agrees.
        self.assertEqual(set(Card.objects.filter(board=board).values_list("column_id", flat=True)), {columns[0].pk})
        for client in clients:
            last_column = {}
            for frame in sorted([*client.events, *client.acks.values()], key=lambda frame: frame["seq"]):
                last_column[frame["card"]["id"]] = frame["card"]["column"]
            self.assertEqual(set(last_column.values()), {columns[0].pk})
