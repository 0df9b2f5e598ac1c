"""
kill -9 of the daphne process while several clients draw and move their
strokes, and move cards;
a new process takes its place (on another port, as behind a balancer).
Every change acked before the kill is in the database; the clients
reconnect by themselves, re-send what was not acked, and every client's
board ends identical to the stored one.
"""

import asyncio
import json
import random
import signal

from django.db import connection
from django.test import TransactionTestCase

from bench.session import login
from kanban import services as kanban_services
from kanban.models import BoardEvent as KanbanEvent
from kanban.models import Card
from tests.reliability.faults import postgres_url, server_environment, start_server
from tests.reliability.reconnecting import KanbanClient, WhiteboardClient
from tests.support import PASSWORD, make_user, require_postgres
from whiteboard import services as whiteboard_services
from whiteboard.models import BoardEvent as WhiteboardEvent
from whiteboard.models import Stroke

DRAWERS = 3
STROKES_PER_DRAWER = 4
CHUNKS_PER_STROKE = 15
MOVES_PER_PLANNER = 12


def chunk_points(rng):
    """Points as the server stores them (4 decimals), so the client's copy compares equal."""
    return [[round(rng.random(), 4), round(rng.random(), 4)] for _ in range(rng.randint(1, 4))]


class ServerCrashTests(TransactionTestCase):
    def setUp(self):
        require_postgres()
        self.users = [make_user(f"user{number}") for number in range(DRAWERS + 2)]
        self.server = start_server(self, "crash", server_environment(DATABASE_URL=postgres_url()))
        self.cookies = [login(self.server.http_url, user.username, PASSWORD) for user in self.users]
        self.whiteboard = whiteboard_services.board_create(name="Crash", owner=self.users[0])
        self.kanban = kanban_services.board_create(name="Crash", owner=self.users[0])
        for board in (self.whiteboard, self.kanban):
            board.members.add(*self.users[1:])
        self.columns = [column.pk for column in self.kanban.columns.order_by("position")]
        self.cards = [
            kanban_services.card_create(board=self.kanban, column_id=self.columns[0], title=f"card {n}", actor=self.users[0]).details[
                "card"
            ]["id"]
            for n in range(4)
        ]

    def test_after_kill_9_every_acked_change_is_kept_and_every_client_ends_on_the_stored_board(self):
        acked_before_kill = asyncio.run(self.scenario())
        stored_strokes = {
            stroke.client_id: json.loads(stroke.points_json) for stroke in Stroke.objects.filter(board=self.whiteboard)
        }
        stored_cards = {card.pk: (card.version, card.column_id) for card in Card.objects.filter(board=self.kanban)}
        # Acked before the kill, so in the database after it.
        self.assertTrue(acked_before_kill["chunks"], "nothing was acked before the kill: the test proved nothing")
        self.assertGreater(acked_before_kill["unacked"], 0, "nothing was waiting for its ack at the kill")
        for stroke_id, chunk in acked_before_kill["chunks"]:
            self.assertGreater(Stroke.objects.get(board=self.whiteboard, client_id=stroke_id).chunk_count, chunk)
        # Every stroke holds every chunk drawn, once, in order, and was moved once: nothing lost, nothing doubled.
        self.assertEqual(stored_strokes, self.drawn)
        stored_offsets = {
            stroke.client_id: [round(stroke.offset_x, 4), round(stroke.offset_y, 4)]
            for stroke in Stroke.objects.filter(board=self.whiteboard)
        }
        self.assertEqual(stored_offsets, {stroke_id: [0.01, -0.02] for stroke_id in self.drawn})
        for client in self.drawers:
            self.assertEqual(client.board(), stored_strokes, "a drawer's board differs from the stored one")
            self.assertEqual(client.offsets, stored_offsets, "a drawer's moves differ from the stored ones")
        for client in self.planners:
            self.assertEqual(client.board(), stored_cards, "a planner's board differs from the stored one")
        for client in (*self.drawers, *self.planners):
            self.assertGreaterEqual(client.connections, 2, "a client did not reconnect")
            self.assertEqual([a for a in client.answers.values() if a["type"] == "error" and a["code"] != "conflict"], [])
        for model, board in ((WhiteboardEvent, self.whiteboard), (KanbanEvent, self.kanban)):
            board.refresh_from_db()
            seqs = list(model.objects.filter(board=board).order_by("seq").values_list("seq", flat=True))
            self.assertEqual(seqs, list(range(1, board.last_seq + 1)), "the seqs have a gap")

    def latest_seqs(self):
        """Read in a worker thread, whose database connection is closed before it returns."""
        try:
            return {
                "whiteboard": type(self.whiteboard).objects.get(pk=self.whiteboard.pk).last_seq,
                "kanban": type(self.kanban).objects.get(pk=self.kanban.pk).last_seq,
            }
        finally:
            connection.close()

    async def scenario(self):
        rng = random.Random(6)
        self.drawers = [
            await WhiteboardClient(self.server, f"/ws/whiteboard/{self.whiteboard.slug}/", cookies).start()
            for cookies in self.cookies[:DRAWERS]
        ]
        self.planners = [
            await KanbanClient(self.server, f"/ws/kanban/{self.kanban.slug}/", cookies).start()
            for cookies in self.cookies[DRAWERS:]
        ]
        self.drawn = {}
        killed = asyncio.Event()
        acked_before_kill = {}

        async def draw(number, client):
            for stroke in range(STROKES_PER_DRAWER):
                stroke_id = f"d{number}s{stroke}"
                for chunk in range(CHUNKS_PER_STROKE):
                    points = chunk_points(rng)
                    self.drawn.setdefault(stroke_id, []).extend(points)
                    message = {"type": "stroke", "id": stroke_id, "chunk": chunk, "tool": "pen", "color": "#112233",
                               "width": 3, "points": points}
                    await client.send(f"{stroke_id}-{chunk}", message)
                    await asyncio.sleep(0.01)
                # Then moved, once: re-sent after the kill if its ack was lost, it must not move twice.
                move = {"type": "move", "id": f"{stroke_id}-mv", "ids": [stroke_id], "dx": 0.01, "dy": -0.02}
                await client.send(f"{stroke_id}-move", move)

        async def move(number, client):
            mine = self.cards[number * 2:number * 2 + 2]
            for step in range(MOVES_PER_PLANNER):
                card = mine[step % 2]
                version, _ = client.cards[card]
                await client.command(f"m{step}", {"type": "card.move", "card": card, "version": version,
                                                  "column": self.columns[(step + 1) % 3], "index": 0})
                await asyncio.sleep(0.02)

        async def kill_and_restart():
            await asyncio.sleep(0.3)
            # The kill comes while some change waits for its ack (nothing awaited from here on): the
            # test is about what happens to those. A fast server had sometimes answered everything.
            while not any(client.outbox for client in (*self.drawers, *self.planners)):
                await asyncio.sleep(0.0005)
            self.server.process.send_signal(signal.SIGKILL)
            self.server.process.wait()
            acked_before_kill["chunks"] = [
                (ref.rsplit("-", 1)[0], int(ref.rsplit("-", 1)[1]))
                for client in self.drawers for ref, answer in client.answers.items()
                if answer["type"] == "ack" and ref.rsplit("-", 1)[1].isdigit()
            ]
            acked_before_kill["unacked"] = sum(len(client.outbox) for client in (*self.drawers, *self.planners))
            killed.set()
            await asyncio.sleep(0.5)
            await asyncio.to_thread(self.server.start)

        await asyncio.gather(
            *(draw(number, client) for number, client in enumerate(self.drawers)),
            *(move(number, client) for number, client in enumerate(self.planners)),
            kill_and_restart(),
        )
        # Everything sent is answered, and every client has caught up with the stored board.
        for client in (*self.drawers, *self.planners):
            await client.wait_until(lambda client=client: not client.outbox)
        latest = await asyncio.to_thread(self.latest_seqs)
        for client in self.drawers:
            await client.wait_until(lambda client=client: client.contiguous_seq() >= latest["whiteboard"])
        for client in self.planners:
            await client.wait_until(lambda client=client: client.contiguous_seq() >= latest["kanban"])
        for client in (*self.drawers, *self.planners):
            await client.stop()
        return acked_before_kill
