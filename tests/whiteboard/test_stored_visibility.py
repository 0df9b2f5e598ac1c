"""
A clear, an undo or a restore that changes many strokes is recorded without
rewriting their rows (whiteboard.stored_visibility). Every reader must still
see the board as it is: the page's snapshot, the exports, the admin, and
every command that refuses what is no longer on the board. Here a board of
1,200 strokes, past WRITE_AT_ONCE_AT_MOST, is cleared, so its rows still
say "visible" while the board is empty.
"""

from django.contrib import admin
from django.db import connection, transaction
from django.test import RequestFactory, TestCase
from django.test.utils import CaptureQueriesContext

from bench import fixtures
from boardsite.collab import services as collab_services
from boardsite.collab.errors import ActionError
from tests.support import make_user
from tests.whiteboard.helpers import snapshot_strokes
from whiteboard import exports, holds, selectors, services, stored_visibility, transforms
from whiteboard.models import Board, Stroke

STROKES = stored_visibility.WRITE_AT_ONCE_AT_MOST + 200


class UnwrittenClearTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.owner, cls.member = make_user("owner"), make_user("member", is_staff=True, is_superuser=True)
        cls.board = services.board_create(name="Large", owner=cls.owner)
        collab_services.board_add_member(board=cls.board, username="member", actor=cls.owner)
        fixtures.fill_whiteboard(cls.board, strokes=STROKES, points=3, author=cls.owner)

    def setUp(self):
        self.board = Board.objects.get(pk=self.board.pk)
        services.text_add(
            board=self.board, actor=self.member, stroke_id="note", tool="note", color="#000000",
            points=[[0.1, 0.1], [0.2, 0.2]], props={"text": "Plans", "size": 24, "align": "left", "fill": "#fff3bf"},
        )
        self.drawing = services.stroke_add_chunk(
            board=self.board, actor=self.member, stroke_id="drawing", chunk=0, tool="pen", color="#000000", width=4,
            points=[[0.3, 0.3]],
        )
        self.cleared = services.board_clear(board=self.board, actor=self.member)
        self.board.refresh_from_db()

    def test_the_clear_is_recorded_without_rewriting_the_rows(self):
        self.assertEqual(self.board.unwritten_visibility, [self.cleared.seq])
        self.assertEqual(Stroke.objects.filter(board=self.board, hidden=False).count(), STROKES + 2)
        self.assertEqual(stored_visibility.visible_ids(board=self.board), [])

    def test_a_late_joiner_loads_an_empty_board_and_its_marks(self):
        strokes = snapshot_strokes(selectors.board_snapshot_json(board=self.board), hidden_too=True)
        self.assertEqual(len(strokes), STROKES + 2)
        self.assertTrue(all(stroke["hidden"] and stroke["hidden_by"] == self.cleared.seq for stroke in strokes))

    def test_the_snapshot_reads_the_strokes_once_though_changes_wait(self):
        """The board's row, its strokes and the waiting events: the strokes are not read a second time for their states."""
        with CaptureQueriesContext(connection) as queries:
            selectors.board_snapshot_json(board=self.board)
        reads = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT")]
        self.assertEqual(len(reads), 3, reads)
        self.assertEqual(sum('FROM "whiteboard_stroke"' in sql for sql in reads), 1)

    def test_the_export_draws_nothing(self):
        self.assertEqual(exports.plan_export(board=self.board).stroke_pks, [])

    def test_the_admin_counts_no_strokes(self):
        request = RequestFactory().get("/admin/whiteboard/board/")
        request.user = self.member
        model_admin = admin.site._registry[Board]
        board = model_admin.get_queryset(request).get(pk=self.board.pk)
        self.assertEqual(model_admin.stroke_count(board), 0)
        stroke_admin = admin.site._registry[Stroke]
        self.assertTrue(stroke_admin.is_hidden(Stroke.objects.select_related("board").get(client_id="note")))

    def test_commands_on_cleared_elements_are_refused(self):
        refusals = {
            "nothing_to_erase": lambda: services.strokes_erase(board=self.board, actor=self.member, stroke_ids=["note"]),
            "stroke_gone": lambda: services.stroke_add_chunk(
                board=self.board, actor=self.member, stroke_id="drawing", chunk=1, tool="pen", color="#000000",
                width=4, points=[[0.4, 0.4]],
            ),
            "nothing_to_move": lambda: services.elements_move(
                board=self.board, actor=self.member, move_id="m1", stroke_ids=["note"], dx=0.1, dy=0.1,
            ),
            "element_gone": lambda: services.text_edit(
                board=self.board, actor=self.member, edit_id="e1", stroke_id="note", version=0, color="#000000",
                points=[[0.1, 0.1], [0.2, 0.2]], props={"text": "Lost", "size": 24, "align": "left", "fill": None},
            ),
            "nothing_to_change": lambda: transforms.elements_transform(
                board=self.board, actor=self.member, transform_id="t1", stroke_ids=["note"], origin_point=[0.1, 0.1],
                sx=2, sy=2, angle=0,
            ),
        }
        for code, command in refusals.items():
            with self.subTest(code), self.assertRaises(ActionError) as raised:
                command()
            self.assertEqual(raised.exception.code, code)
        with self.assertRaises(ActionError) as raised:
            holds.elements_hold(board=self.board, actor=self.member, stroke_ids=["note"], connection="c1")
        self.assertEqual(raised.exception.code, "nothing_to_move")
        with self.assertRaises(ActionError) as raised:
            services.board_clear(board=self.board, actor=self.member)
        self.assertEqual(raised.exception.code, "board_empty")

    def test_a_stroke_started_after_the_clear_is_drawn_on_without_reading_what_waits(self):
        def draw(chunk):
            return services.stroke_add_chunk(
                board=self.board, actor=self.member, stroke_id="after", chunk=chunk, tool="pen", color="#000000",
                width=4, points=[[0.5, 0.5 + chunk / 100]],
            )

        draw(0)
        with CaptureQueriesContext(connection) as queries:
            draw(1)
        self.assertEqual(Stroke.objects.get(client_id="after").chunk_count, 2)
        reads_of_events = [query["sql"] for query in queries if query["sql"].startswith("SELECT") and "boardevent" in query["sql"]]
        self.assertEqual(reads_of_events, [])  # the drawing's hot path does not apply the waiting clear

    def test_undoing_the_clear_brings_everything_back_and_the_rows_are_written_later(self):
        undone = services.history_undo(board=self.board, actor=self.member)
        self.assertEqual(undone.details["show_marks"], [self.cleared.seq])
        self.assertEqual(len(stored_visibility.visible_ids(board=self.board)), STROKES + 2)
        # Redo and undo until MAX_UNWRITTEN changes wait: then one pass writes them all.
        while True:
            services.history_redo(board=self.board, actor=self.member)
            services.history_undo(board=self.board, actor=self.member)
            self.board.refresh_from_db()
            if not self.board.unwritten_visibility:
                break
            self.assertLess(len(self.board.unwritten_visibility), stored_visibility.MAX_UNWRITTEN)
        self.assertEqual(Stroke.objects.filter(board=self.board, hidden=False).count(), STROKES + 2)
        marks = set(Stroke.objects.filter(board=self.board).values_list("hidden_by", flat=True))
        self.assertEqual(len(marks), 1)  # every stroke was last hidden by the same redo

    def test_writing_what_waits_changes_nothing_anyone_sees(self):
        services.history_undo(board=self.board, actor=self.member)
        services.strokes_erase(board=self.board, actor=self.owner, stroke_ids=["note"])
        self.board.refresh_from_db()
        before = stored_visibility.stroke_states(board=self.board)
        snapshot = selectors.board_snapshot_json(board=self.board)
        with transaction.atomic():
            services.lock_board(self.board)
            stored_visibility.write_unwritten(board=self.board)
        self.assertEqual(Board.objects.get(pk=self.board.pk).unwritten_visibility, [])
        rows = {row[0]: row[1:3] for row in stored_visibility.read_rows(board=self.board)}
        self.assertEqual(rows, {stroke_id: state[:2] for stroke_id, state in before.items()})
        self.assertTrue(rows["note"][0])
        self.assertEqual(selectors.board_snapshot_json(board=self.board), snapshot)
