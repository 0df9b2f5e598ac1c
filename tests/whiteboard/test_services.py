import json

from django.test import TestCase

from boardsite.collab.errors import ActionError
from tests.support import make_user
from tests.whiteboard.helpers import snapshot_strokes
from whiteboard import selectors, services
from whiteboard.demo import ensure_demo_board
from whiteboard.models import Board, BoardEvent, HistoryStep, Stroke
from whiteboard.protocol import MAX_POINTS_PER_STROKE


def draw(board, user, stroke_id, *, chunk=0, points=((0.1, 0.1), (0.2, 0.2)), color="#000000", width=4):
    return services.stroke_add_chunk(
        board=board, actor=user, stroke_id=stroke_id, chunk=chunk, tool="pen", color=color, width=width,
        points=[list(point) for point in points],
    )


def visible_ids(board):
    return list(Stroke.objects.filter(board=board, hidden=False).values_list("client_id", flat=True))


class StrokeTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.bob = make_user("bob")
        self.board = services.board_create(name="Plans", owner=self.alice)

    def test_chunks_are_appended_to_one_row_and_each_gets_the_next_seq(self):
        first = draw(self.board, self.alice, "s1")
        second = draw(self.board, self.alice, "s1", chunk=1, points=[(0.3, 0.3, 0.8)])
        self.assertEqual(second.seq, first.seq + 1)
        stroke = Stroke.objects.get()
        self.assertEqual(json.loads(stroke.points_json), [[0.1, 0.1], [0.2, 0.2], [0.3, 0.3, 0.8]])
        self.assertEqual((stroke.point_count, stroke.chunk_seqs), (3, [first.seq, second.seq]))
        self.assertEqual(list(BoardEvent.objects.values_list("type", flat=True)), ["stroke", "stroke"])

    def test_a_chunk_without_a_number_continues_the_stroke(self):
        draw(self.board, self.alice, "s1")
        draw(self.board, self.alice, "s1", chunk=None, points=[(0.5, 0.5)])
        self.assertEqual(Stroke.objects.get().chunk_count, 2)

    def test_a_stroke_cannot_grow_without_limit(self):
        stroke = Stroke.objects.get(pk=Stroke.objects.create(
            board=self.board, client_id="long", author=self.alice, tool="pen", color="#000000", width=4,
            points_json="[[0.1,0.1]]", point_count=MAX_POINTS_PER_STROKE, chunk_seqs=[1], created_seq=1,
        ).pk)
        with self.assertRaises(ActionError) as refused:
            draw(self.board, self.alice, stroke.client_id, chunk=1, points=[(0.2, 0.2)])
        self.assertEqual(refused.exception.code, "stroke_too_long")

    def test_snapshot_holds_the_visible_strokes_and_the_seq_they_are_current_at(self):
        draw(self.board, self.alice, "s1")
        draw(self.board, self.bob, "s2", color="#ff0000")
        services.strokes_erase(board=self.board, actor=self.bob, stroke_ids=["s1"])
        snapshot_json = selectors.board_snapshot_json(board=self.board)
        self.board.refresh_from_db()
        self.assertEqual(json.loads(snapshot_json)["seq"], self.board.last_seq)
        self.assertEqual(
            snapshot_strokes(snapshot_json),
            [{"id": "s2", "user": "bob", "tool": "pen", "color": "#ff0000", "width": 4.0, "chunks": 1, "props": {}, "dx": 0.0, "dy": 0.0, "version": 0, "points": [[0.1, 0.1], [0.2, 0.2]]}],
        )

    def test_the_snapshot_of_a_large_board_takes_a_fixed_number_of_queries(self):
        for index in range(30):
            draw(self.board, self.alice, f"s{index}")
        with self.assertNumQueries(4):  # savepoint, seq, strokes, release
            snapshot_json = selectors.board_snapshot_json(board=self.board)
        self.assertEqual(len(snapshot_strokes(snapshot_json)), 30)


class HistoryTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.bob = make_user("bob")
        self.board = services.board_create(name="Plans", owner=self.alice)

    def test_undo_takes_back_only_your_own_latest_step(self):
        draw(self.board, self.alice, "a1")
        draw(self.board, self.bob, "b1")
        draw(self.board, self.alice, "a2")
        services.history_undo(board=self.board, actor=self.alice)
        self.assertEqual(visible_ids(self.board), ["a1", "b1"])
        services.history_undo(board=self.board, actor=self.alice)
        self.assertEqual(visible_ids(self.board), ["b1"])
        with self.assertRaises(ActionError) as refused:
            services.history_undo(board=self.board, actor=self.alice)
        self.assertEqual(refused.exception.code, "nothing_to_undo")

    def test_redo_replays_in_order_and_a_new_step_forgets_the_redo_stack(self):
        draw(self.board, self.alice, "a1")
        draw(self.board, self.alice, "a2")
        services.history_undo(board=self.board, actor=self.alice)
        services.history_undo(board=self.board, actor=self.alice)
        services.history_redo(board=self.board, actor=self.alice)
        self.assertEqual(visible_ids(self.board), ["a1"])
        draw(self.board, self.alice, "a3")
        self.assertEqual(services.history_state(board=self.board, user=self.alice), {"can_undo": True, "can_redo": False})
        with self.assertRaises(ActionError):
            services.history_redo(board=self.board, actor=self.alice)

    def test_clear_is_one_step_that_undo_reverses_and_redo_repeats(self):
        draw(self.board, self.alice, "a1")
        draw(self.board, self.bob, "b1")
        services.board_clear(board=self.board, actor=self.bob)
        self.assertEqual(visible_ids(self.board), [])
        clear_seq = Board.objects.get(pk=self.board.pk).last_seq
        undo = services.history_undo(board=self.board, actor=self.bob)
        self.assertEqual(visible_ids(self.board), ["a1", "b1"])
        # The undo names the clear's mark, not the strokes.
        self.assertEqual((undo.details["show_marks"], "show_ids" in undo.details), ([clear_seq], False))
        redo = services.history_redo(board=self.board, actor=self.bob)
        self.assertEqual(visible_ids(self.board), [])
        self.assertEqual((redo.details["hide_marks"], "hide" in redo.details), ([clear_seq], False))

    def test_history_is_kept_per_board_and_user_in_the_database(self):
        draw(self.board, self.alice, "a1")
        other = services.board_create(name="Other", owner=self.alice)
        self.assertEqual(services.history_state(board=other, user=self.alice), {"can_undo": False, "can_redo": False})
        self.assertEqual(HistoryStep.objects.get().kind, "draw")

    def test_refused_actions_change_nothing(self):
        draw(self.board, self.alice, "a1")
        services.strokes_erase(board=self.board, actor=self.alice, stroke_ids=["a1"])
        self.board.refresh_from_db()
        seq = self.board.last_seq
        for action in (
            lambda: services.strokes_erase(board=self.board, actor=self.alice, stroke_ids=["a1"]),
            lambda: services.board_clear(board=self.board, actor=self.alice),
            lambda: draw(self.board, self.alice, "a1", chunk=1),
            lambda: draw(self.board, self.bob, "a1", chunk=1),
        ):
            with self.assertRaises(ActionError):
                action()
        self.board.refresh_from_db()
        self.assertEqual(self.board.last_seq, seq)
        self.assertEqual(HistoryStep.objects.count(), 2)


class DemoTests(TestCase):
    def test_the_demo_board_has_real_strokes_and_running_it_again_changes_nothing(self):
        owner = make_user("demo")
        board = ensure_demo_board(owner=owner)
        board.refresh_from_db()
        seq, strokes = board.last_seq, Stroke.objects.filter(board=board).count()
        self.assertGreaterEqual(strokes, 5)
        again = ensure_demo_board(owner=owner)
        again.refresh_from_db()
        self.assertEqual((again.pk, again.last_seq), (board.pk, seq))
        self.assertEqual(Stroke.objects.filter(board=board).count(), strokes)
