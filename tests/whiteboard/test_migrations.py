"""Migration 0004 gives strokes drawn before it their packed points, so old boards load like new ones."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase

from tests.support import make_user
from whiteboard.points import unpacked

BEFORE = ("whiteboard", "0003_history_restore_step")
AFTER = ("whiteboard", "0004_stroke_points_packed")


class PackExistingStrokesTests(TransactionTestCase):
    def migrate(self, target):
        executor = MigrationExecutor(connection)
        executor.migrate([target])
        return executor.loader.project_state([target]).apps

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
