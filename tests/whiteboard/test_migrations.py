"""
Data migrations bring boards drawn before them in step: 0004 gives old strokes
their packed points, so old boards load like new ones; 0005 counts the strokes
a board already holds, so its limit still holds; 0007 measures the extent of
every stroke, so exports frame old boards like new ones.
"""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase

from tests.support import make_user
from whiteboard.points import unpacked

BEFORE = ("whiteboard", "0003_history_restore_step")
AFTER = ("whiteboard", "0004_stroke_points_packed")
COUNTED = ("whiteboard", "0005_board_stored_strokes")


class MigrationTestCase(TransactionTestCase):
    def migrate(self, target):
        executor = MigrationExecutor(connection)
        executor.migrate([target])
        return executor.loader.project_state([target]).apps

    def tearDown(self):
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("whiteboard"))


class PackExistingStrokesTests(MigrationTestCase):
    def test_strokes_stored_before_the_packed_column_get_it_from_their_json_points(self):
        owner = make_user("olga")
        old = self.migrate(BEFORE)
        board = old.get_model("whiteboard", "Board").objects.create(name="Old", slug="old", owner_id=owner.pk)
        old.get_model("whiteboard", "Stroke").objects.create(
            board=board, client_id="s1", author_id=owner.pk, tool="pen", color="#000000", width=4,
            points_json="[[0.1,0.2],[0.15,0.25,0.5],[0.2,0.3]]", point_count=3, chunk_seqs=[1, 2], created_seq=1,
        )
        new = self.migrate(AFTER)
        stroke = new.get_model("whiteboard", "Stroke").objects.get(client_id="s1")
        self.assertEqual(unpacked(stroke.points_packed), [[0.1, 0.2], [0.15, 0.25, 0.5], [0.2, 0.3]])


class CountExistingStrokesTests(MigrationTestCase):
    def test_boards_drawn_on_before_the_counter_start_from_the_strokes_they_hold(self):
        owner = make_user("olga")
        old = self.migrate(AFTER)
        Board, Stroke = old.get_model("whiteboard", "Board"), old.get_model("whiteboard", "Stroke")
        drawn = Board.objects.create(name="Drawn", slug="drawn", owner_id=owner.pk)
        empty = Board.objects.create(name="Empty", slug="empty", owner_id=owner.pk)
        for number, hidden in enumerate([False, True, False]):
            Stroke.objects.create(
                board=drawn, client_id=f"s{number}", author_id=owner.pk, tool="pen", color="#000000", width=4,
                points_json="[[0.1,0.2]]", point_count=1, chunk_seqs=[number + 1], created_seq=number + 1,
                hidden=hidden,
            )
        new = self.migrate(COUNTED)
        counts = dict(new.get_model("whiteboard", "Board").objects.values_list("slug", "stored_strokes"))
        self.assertEqual(counts, {drawn.slug: 3, empty.slug: 0})


class MeasureExistingStrokesTests(MigrationTestCase):
    def test_strokes_drawn_before_elements_had_an_extent_get_it_from_their_points(self):
        owner = make_user("olga")
        old = self.migrate(("whiteboard", "0006_stroke_hidden_by"))
        board = old.get_model("whiteboard", "Board").objects.create(name="Old", slug="old", owner_id=owner.pk)
        old.get_model("whiteboard", "Stroke").objects.create(
            board=board, client_id="s1", author_id=owner.pk, tool="pen", color="#000000", width=4,
            points_json="[[0.3,0.2],[0.1,0.9,0.5],[0.2,0.4]]", point_count=3, chunk_seqs=[1], created_seq=1,
        )
        new = self.migrate(("whiteboard", "0007_element_kinds_and_extent"))
        stroke = new.get_model("whiteboard", "Stroke").objects.get(client_id="s1")
        self.assertEqual((stroke.min_x, stroke.min_y, stroke.max_x, stroke.max_y), (0.1, 0.2, 0.3, 0.9))
        self.assertEqual(stroke.props, {})
