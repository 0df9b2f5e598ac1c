"""The per-board event log (boardsite.collab.events): what record_events stores and broadcasts."""

import json

from django.db import transaction
from django.test import TestCase

from boardsite.collab.events import NewEvent, committed_broadcasts, encode_frame, record_events
from tests.support import make_user
from whiteboard.models import Board, BoardEvent


class RecordEventsTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.board = Board.objects.create(name="Log", owner=self.alice)

    def record(self, events):
        """record_events in a transaction; returns (stored, broadcasts sent once it committed)."""
        broadcasts = []
        token = committed_broadcasts.set(broadcasts)
        try:
            with self.captureOnCommitCallbacks(execute=True):
                with transaction.atomic():
                    stored = record_events(board=self.board, events=events)
        finally:
            committed_broadcasts.reset(token)
        return stored, broadcasts

    def test_a_large_batch_is_stored_in_order_with_gapless_seqs_and_broadcast_as_stored(self):
        # More rows than one statement may carry on SQLite (999 parameters, 6 a row).
        count = 400
        events = [
            NewEvent(type="stroke", payload={"id": f"s{n // 20}", "chunk": n % 20, "points": [[0.5, n / count]]},
                     actor=self.alice, origin="conn-1")
            for n in range(count)
        ]
        stored, broadcasts = self.record(events)

        self.assertEqual([event.seq for event in stored], list(range(1, count + 1)))
        self.board.refresh_from_db()
        self.assertEqual(self.board.last_seq, count)
        rows = list(BoardEvent.objects.filter(board=self.board).order_by("seq"))
        self.assertEqual([row.seq for row in rows], list(range(1, count + 1)))
        self.assertEqual([row.payload for row in rows], [event.payload for event in stored])
        self.assertEqual(
            rows[7].payload, {"type": "stroke", "seq": 8, "id": "s0", "chunk": 7, "points": [[0.5, 7 / count]]}
        )
        self.assertTrue(all(row.author_id == self.alice.pk and row.type == "stroke" for row in rows))

        ((group, message),) = broadcasts
        self.assertEqual(message["type"], "board.events")
        self.assertEqual([json.loads(event["text"]) for event in message["events"]], [row.payload for row in rows])
        self.assertEqual({event["origin"] for event in message["events"]}, {"conn-1"})

    def test_values_the_caller_encoded_are_stored_and_broadcast_as_they_would_have_been(self):
        points = [[0.25, 0.5], [0.3333, 0.75, 0.5]]
        (event,), broadcasts = self.record([
            NewEvent(type="stroke", payload={"id": "s1", "points": points}, actor=self.alice,
                     encoded={"points": encode_frame(points)}),
        ])
        expected = {"type": "stroke", "seq": 1, "id": "s1", "points": points}
        self.assertEqual(BoardEvent.objects.get(board=self.board, seq=event.seq).payload, expected)
        self.assertEqual(event.payload, expected)
        ((_, message),) = broadcasts
        self.assertEqual(json.loads(message["text"]), expected)
        self.assertEqual(json.loads(encode_frame({"points": points}, encoded={"points": encode_frame(points)})),
                         {"points": points})

    def test_an_event_without_an_author_is_stored_without_one(self):
        (event,), broadcasts = self.record([NewEvent(type="board.renamed", payload={"name": "New"})])
        row = BoardEvent.objects.get(board=self.board, seq=event.seq)
        self.assertIsNone(row.author)
        self.assertEqual(row.payload, {"type": "board.renamed", "seq": 1, "name": "New"})
        ((_, message),) = broadcasts
        self.assertEqual(message["type"], "board.event")

    def test_nothing_is_stored_when_the_transaction_rolls_back(self):
        with self.assertRaises(RuntimeError):
            with transaction.atomic():
                record_events(board=self.board, events=[NewEvent(type="clear", payload={})])
                raise RuntimeError("the change failed after its event was recorded")
        self.assertFalse(BoardEvent.objects.filter(board=self.board).exists())
        self.board.refresh_from_db()
        self.assertEqual(self.board.last_seq, 0)
