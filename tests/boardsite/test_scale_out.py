"""
Two daphne processes sharing PostgreSQL and Redis, clients split between
them: every event reaches every client exactly once and in seq order, and
the database ends as the clients saw it.
"""

import asyncio

from django.test import TransactionTestCase

from bench.session import login
from kanban import services as kanban_services
from kanban.models import Board as KanbanBoard
from kanban.models import Card
from tests.reliability.faults import postgres_url, server_environment, start_server
from tests.sockets import BoardSocket
from tests.support import PASSWORD, make_user, require_postgres, require_redis
from whiteboard import services as whiteboard_services
from whiteboard.models import Stroke


class TwoProcessTests(TransactionTestCase):
    def setUp(self):
        require_postgres()
        redis_url = require_redis()
        self.users = [make_user(name) for name in ("alice", "bob", "carol", "dave")]
        environment = server_environment(DATABASE_URL=postgres_url(), REDIS_URL=redis_url)
        self.servers = [start_server(self, name, environment) for name in ("first", "second")]
        self.cookies = {user.username: login(self.servers[0].http_url, user.username, PASSWORD) for user in self.users}

    def clients(self, path):
        """alice and carol on the first process, bob and dave on the second."""
        return [
            BoardSocket(self.servers[index % 2], path, self.cookies[user.username])
            for index, user in enumerate(self.users)
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
                for client, user in zip(clients, self.users):
                    others = {other.username for other in self.users} - {user.username}
                    await client.wait_until(lambda client=client, others=others: others <= client.people_here())
                self.people_here = [client.people_here() for client in clients]
            return clients

        clients = asyncio.run(scenario())
        self.assert_everyone_saw_everything_once_in_order(clients, 80)
        # Each learnt who is on the board, whichever process they are connected to.
        for user, here in zip(self.users, self.people_here):
            self.assertLessEqual({other.username for other in self.users} - {user.username}, here)
        self.assertEqual(Stroke.objects.filter(board=board).count(), 8)
        board.refresh_from_db()
        self.assertEqual(board.last_seq, 80)

    def test_card_moves_on_both_processes_reach_every_client_once_in_order(self):
        board = kanban_services.board_create(name="Scale", owner=self.users[0])
        for user in self.users[1:]:
            board.members.add(user)
        columns = list(board.columns.order_by("position"))
        cards = [
            kanban_services.card_create(board=board, column_id=columns[0].pk, title=f"card {n}", actor=self.users[0]).details[
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
            events = [event for event in client.events if event["seq"] > start_seq]
            acks = [ack for ack in client.acks if ack["seq"] > start_seq]
            received = [event["seq"] for event in events]
            self.assertEqual(received, sorted(received), "events out of order")
            self.assertEqual(sorted(received + [ack["seq"] for ack in acks]), list(range(start_seq + 1, start_seq + 19)))
            self.assertEqual(client.errors, [])
        # Every card ended where its last move put it, and every client's last word on it agrees.
        self.assertEqual(set(Card.objects.filter(board=board).values_list("column_id", flat=True)), {columns[0].pk})
        for client in clients:
            last_column = {}
            events = [frame for frame in [*client.events, *client.acks] if frame["seq"] > start_seq]
            for frame in sorted(events, key=lambda frame: frame["seq"]):
                last_column[frame["card"]["id"]] = frame["card"]["column"]
            self.assertEqual(set(last_column.values()), {columns[0].pk})
