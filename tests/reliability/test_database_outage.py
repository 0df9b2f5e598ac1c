"""
The database goes away under a running daphne process (its connections go
through a TCP proxy that the test cuts, then restores): commands (strokes,
shapes, moves, text edits, card moves and creations) get a clear
`unavailable` error and no ack, nothing is half-written, and the same
commands succeed once the database is back, without restarting anything.
"""

import asyncio

from django.test import TransactionTestCase

from bench.session import login
from kanban import services as kanban_services
from kanban.models import BoardEvent as KanbanEvent
from kanban.models import Card
from tests.reliability.faults import TcpProxy, postgres_url, server_environment, start_server
from tests.sockets import BoardSocket
from tests.support import PASSWORD, make_user, require_postgres
from whiteboard import services as whiteboard_services
from whiteboard.models import BoardEvent as WhiteboardEvent
from whiteboard.models import Stroke


def stroke(stroke_id, chunk):
    return {
        "type": "stroke", "id": stroke_id, "chunk": chunk, "tool": "pen", "color": "#112233", "width": 3,
        "points": [[0.1, 0.1 + chunk / 100], [0.2, 0.2]],
    }


def assert_gapless(test, events, last_seq):
    test.assertEqual(list(events.order_by("seq").values_list("seq", flat=True)), list(range(1, last_seq + 1)))


class DatabaseOutageTests(TransactionTestCase):
    def setUp(self):
        require_postgres()
        self.alice = make_user("alice")
        self.proxy = TcpProxy(5432).start()
        self.addCleanup(self.proxy.stop)
        self.server = start_server(self, "db-outage", server_environment(DATABASE_URL=postgres_url(port=self.proxy.port)))
        self.cookies = login(self.server.http_url, "alice", PASSWORD)

    def test_commands_are_refused_while_the_database_is_down_and_work_again_after(self):
        whiteboard = whiteboard_services.board_create(name="Outage", owner=self.alice)
        kanban = kanban_services.board_create(name="Outage", owner=self.alice)
        todo, doing, _ = kanban.columns.order_by("position")
        card = kanban_services.card_create(board=kanban, column_id=todo.pk, title="moving", actor=self.alice).details["card"]

        async def scenario():
            drawer = await BoardSocket(self.server, f"/ws/whiteboard/{whiteboard.slug}/", self.cookies).open()
            planner = await BoardSocket(self.server, f"/ws/kanban/{kanban.slug}/", self.cookies).open()
            self.assertEqual((await drawer.command({**stroke("a", 0), "ref": "s0"}))["type"], "ack")
            note = {"type": "text", "id": "n", "kind": "note", "color": "#112233", "points": [[0.6, 0.6], [0.7, 0.8]],
                    "text": "before the outage", "size": 24}
            self.assertEqual((await drawer.command({**note, "ref": "n0"}))["type"], "ack")
            commands = [
                (drawer, "s1", stroke("a", 1)),
                (drawer, "s2", {"type": "shape", "id": "b", "shape": "rect", "color": "#112233", "width": 2,
                                "points": [[0.1, 0.1], [0.5, 0.5]]}),
                (drawer, "m1", {"type": "move", "id": "m", "ids": ["a"], "dx": 0.01, "dy": 0}),
                (drawer, "e1", {"type": "edit", "id": "e", "element": "n", "version": 0, "color": "#112233",
                                "points": [[0.6, 0.6], [0.7, 0.8]], "text": "written during the outage", "size": 24}),
                (planner, "k1", {"type": "card.move", "card": card["id"], "version": 1, "column": doing.pk, "index": 0}),
                (planner, "k2", {"type": "card.create", "column": todo.pk, "title": "made during the outage"}),
            ]
            self.proxy.cut()
            for client, ref, message in commands:
                answer = await client.command({**message, "ref": ref})
                self.assertEqual((answer["type"], answer.get("code")), ("error", "unavailable"), (ref, answer))
                self.assertIn("not applied", answer["message"])
            self.proxy.restore()
            for client, ref, message in commands:
                answer = await client.command({**message, "ref": f"{ref}-again"})
                self.assertEqual(answer["type"], "ack", answer)
            for client in (drawer, planner):
                refused_acked = [
                    f for f in client.frames if f["type"] == "ack" and f["ref"] in ("s1", "s2", "m1", "e1", "k1", "k2")
                ]
                self.assertEqual(refused_acked, [], "a refused command was acked")
                await client.close()

        asyncio.run(scenario())
        # Exactly what the acks say: each command once, the seqs gapless.
        self.assertEqual(Stroke.objects.filter(board=whiteboard).count(), 3)
        drawn = Stroke.objects.get(board=whiteboard, client_id="a")
        self.assertEqual((drawn.chunk_count, drawn.offset_x), (2, 0.01))
        written = Stroke.objects.get(board=whiteboard, client_id="n")
        self.assertEqual((written.version, written.props["text"]), (1, "written during the outage"))
        whiteboard.refresh_from_db()
        self.assertEqual(whiteboard.last_seq, 6)
        assert_gapless(self, WhiteboardEvent.objects.filter(board=whiteboard), 6)
        kanban.refresh_from_db()
        self.assertEqual(Card.objects.filter(board=kanban, title="made during the outage").count(), 1)
        self.assertEqual(Card.objects.get(pk=card["id"]).column_id, doing.pk)
        assert_gapless(self, KanbanEvent.objects.filter(board=kanban), kanban.last_seq)
