"""
Stroke chunks are stored in batches (services.stroke_chunks_add): many
chunks, one transaction, one broadcast, and each chunk answered on its own.
"""

import json

from django.test import TestCase, TransactionTestCase, override_settings

from boardsite.collab.errors import ActionError
from tests.support import in_a_loop_of_its_own, make_user, receive_frame
from tests.whiteboard.helpers import join, stroke_message
from whiteboard import services
from whiteboard.models import Board, BoardEvent, HistoryStep, Stroke


def chunk(user, stroke_id, number, points=((0.1, 0.1),)):
    return services.ChunkCommand(
        actor=user, stroke_id=stroke_id, chunk=number, tool="pen", color="#112233", width=3,
        points=[list(point) for point in points],
    )


class StrokeBatchServiceTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.bob = make_user("bob")
        self.board = services.board_create(name="Plans", owner=self.alice)
        self.board.members.add(self.bob)

    def test_a_batch_gets_consecutive_seqs_in_order_and_one_row_per_stroke(self):
        commands = [chunk(self.alice, "a", 0), chunk(self.bob, "b", 0), chunk(self.alice, "a", 1, [(0.5, 0.5)])]
        results = services.stroke_chunks_add(board=self.board, commands=commands)
        self.assertEqual([result.seq for result in results], [1, 2, 3])
        stroke = Stroke.objects.get(client_id="a")
        self.assertEqual(json.loads(stroke.points_json), [[0.1, 0.1], [0.5, 0.5]])
        self.assertEqual((stroke.chunk_seqs, stroke.created_seq, stroke.point_count), ([1, 3], 1, 2))
        self.assertEqual(Stroke.objects.get(client_id="b").chunk_seqs, [2])
        self.assertEqual(list(BoardEvent.objects.order_by("seq").values_list("seq", flat=True)), [1, 2, 3])
        self.assertEqual(HistoryStep.objects.filter(kind="draw").count(), 2, "each new stroke is an undoable step")

    def test_a_refused_chunk_changes_nothing_and_does_not_stop_the_others(self):
        commands = [
            chunk(self.alice, "a", 0),
            chunk(self.alice, "a", 5),  # out of order
            chunk(self.bob, "a", 1),  # somebody else's stroke id
            chunk(self.alice, "a", 1),
        ]
        results = services.stroke_chunks_add(board=self.board, commands=commands)
        self.assertEqual(results[0].seq, 1)
        self.assertIsInstance(results[1], ActionError)
        self.assertEqual(results[1].code, "chunk_out_of_order")
        self.assertEqual(results[2].code, "id_taken")
        self.assertEqual(results[3].seq, 2)
        self.assertEqual(BoardEvent.objects.count(), 2)
        self.assertEqual(Stroke.objects.get().point_count, 2)

    def test_a_chunk_re_sent_in_the_same_or_a_later_batch_keeps_its_first_seq(self):
        results = services.stroke_chunks_add(
            board=self.board, commands=[chunk(self.alice, "a", 0), chunk(self.alice, "a", 0)]
        )
        self.assertEqual((results[0].seq, results[1].seq, results[1].details), (1, 1, {"duplicate": True}))
        (again,) = services.stroke_chunks_add(board=self.board, commands=[chunk(self.alice, "a", 0)])
        self.assertEqual((again.seq, again.details), (1, {"duplicate": True}))
        self.assertEqual(BoardEvent.objects.count(), 1)
        self.assertEqual(Stroke.objects.get().point_count, 1)

    @override_settings(WHITEBOARD_MAX_STROKES=3)
    def test_the_board_counts_the_strokes_it_stores_and_a_batch_stops_at_its_limit(self):
        services.shape_add(
            board=self.board, actor=self.alice, stroke_id="box", tool="rect", color="#112233", width=2,
            points=[[0.1, 0.1], [0.2, 0.2]],
        )
        commands = [
            chunk(self.alice, "a", 3),  # refused before it starts: not counted
            chunk(self.alice, "a", 0),
            chunk(self.alice, "a", 0),  # re-sent: not counted again
            chunk(self.bob, "b", 0),
            chunk(self.bob, "c", 0),  # the fourth stroke of a board of three
            chunk(self.alice, "a", 1),  # a stroke on the board can still grow
        ]
        results = services.stroke_chunks_add(board=self.board, commands=commands)
        self.assertEqual([getattr(result, "code", "stored") for result in results],
                         ["chunk_out_of_order", "stored", "stored", "stored", "board_full", "stored"])
        self.assertEqual(Board.objects.get(pk=self.board.pk).stored_strokes, 3)
        self.assertEqual(sorted(Stroke.objects.values_list("client_id", flat=True)), ["a", "b", "box"])


class PipelinedDrawingTests(TransactionTestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.bob = make_user("bob")
        self.board = services.board_create(name="Plans", owner=self.alice)
        self.board.members.add(self.bob)

    def test_pipelined_chunks_from_two_people_are_all_acked_and_seen_once_in_order(self):
        async def scenario():
            alice, _ = await join(self.board, self.alice)
            bob, _ = await join(self.board, self.bob)
            for number in range(30):
                await alice.send_json_to(stroke_message("a", chunk=number, ref=f"a{number}"))
                await bob.send_json_to(stroke_message("b", chunk=number, ref=f"b{number}"))
            frames = {"alice": [], "bob": []}
            for name, communicator in (("alice", alice), ("bob", bob)):
                while sum(frame["type"] in ("ack", "stroke") for frame in frames[name]) < 60:
                    frames[name].append(await receive_frame(communicator, timeout=5))
            await alice.disconnect()
            await bob.disconnect()
            return frames

        frames = in_a_loop_of_its_own(scenario)
        for name, other in (("alice", "bob"), ("bob", "alice")):
            acks = [frame for frame in frames[name] if frame["type"] == "ack"]
            events = [frame for frame in frames[name] if frame["type"] == "stroke"]
            self.assertEqual([ack["ref"] for ack in acks], [f"{name[0]}{n}" for n in range(30)], "acked in order")
            self.assertEqual({event["user"] for event in events}, {other}, "no echo of one's own chunks")
            self.assertEqual([event["seq"] for event in events], sorted(event["seq"] for event in events))
            seen = sorted([ack["seq"] for ack in acks] + [event["seq"] for event in events])
            self.assertEqual(seen, list(range(1, 61)), "every seq once, as an ack or an event")
        self.assertEqual(Stroke.objects.get(client_id="a").chunk_seqs, sorted(Stroke.objects.get(client_id="a").chunk_seqs))

    def test_an_undo_sent_right_after_a_chunk_applies_after_it(self):
        async def scenario():
            alice, _ = await join(self.board, self.alice)
            await alice.send_json_to(stroke_message("a", chunk=0, ref="draw"))
            await alice.send_json_to({"type": "undo", "ref": "undo"})
            answers = {}
            while len(answers) < 2:
                frame = await receive_frame(alice, timeout=5)
                if frame.get("ref") in ("draw", "undo"):
                    answers[frame["ref"]] = frame
            await alice.disconnect()
            return answers

        answers = in_a_loop_of_its_own(scenario)
        self.assertEqual(answers["draw"]["type"], "ack")
        self.assertEqual(answers["undo"]["type"], "ack")
        self.assertGreater(answers["undo"]["seq"], answers["draw"]["seq"])
        self.assertTrue(Stroke.objects.get(client_id="a").hidden)


class DroppedChunkTests(TransactionTestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.board = services.board_create(name="Plans", owner=self.alice)

    def test_the_rest_of_a_stroke_after_a_dropped_chunk_is_refused_without_closing_the_socket(self):
        async def scenario():
            alice, _ = await join(self.board, self.alice)
            await alice.send_json_to(stroke_message("a", chunk=0, ref="c0"))
            answers = []
            for number in range(2, 8):  # chunk 1 never arrived (dropped by the rate limit, say)
                await alice.send_json_to(stroke_message("a", chunk=number, ref=f"c{number}"))
            while len(answers) < 7:
                frame = await receive_frame(alice, timeout=5)
                if frame["type"] in ("ack", "error"):
                    answers.append(frame)
            await alice.send_json_to({"type": "sync", "since": 0, "ref": "still-open"})
            synced = None
            while synced is None:
                frame = await receive_frame(alice, timeout=5)
                if frame["type"] == "synced":
                    synced = frame
            await alice.disconnect()
            return answers, synced

        with self.settings(REALTIME_MAX_INVALID_PER_MINUTE=3):
            answers, synced = in_a_loop_of_its_own(scenario)
        self.assertEqual(answers[0]["type"], "ack")
        self.assertEqual({answer["code"] for answer in answers[1:]}, {"chunk_out_of_order"})
        self.assertEqual(synced["ref"], "still-open", "six follow-on refusals did not close the connection")
