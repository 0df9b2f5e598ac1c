from io import StringIO

from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import TestCase

from kanban.models import Board as KanbanBoard
from whiteboard.models import Board as Whiteboard


class DemoDataTests(TestCase):
    def run_command(self):
        out = StringIO()
        call_command("demo_data", stdout=out)
        return out.getvalue()

    def test_creates_a_demo_login_a_whiteboard_and_a_kanban_board(self):
        output = self.run_command()
        self.assertIn("demo", output)
        self.assertIn("boardsite-demo", output)
        user = authenticate(username="demo", password="boardsite-demo")
        self.assertIsNotNone(user, "the documented demo password works")
        self.assertEqual(Whiteboard.objects.filter(owner=user).count(), 1)
        self.assertEqual(KanbanBoard.objects.filter(owner=user).count(), 1)
        self.client.force_login(user)
        home = self.client.get("/")
        self.assertContains(home, "Demo whiteboard")
        self.assertContains(home, "Demo kanban board")

    def test_running_it_again_changes_nothing(self):
        self.run_command()
        snapshot = (
            list(Whiteboard.objects.values_list("pk", "last_seq")),
            list(KanbanBoard.objects.values_list("pk", "last_seq")),
        )
        self.run_command()
        self.assertEqual(
            snapshot,
            (
                list(Whiteboard.objects.values_list("pk", "last_seq")),
                list(KanbanBoard.objects.values_list("pk", "last_seq")),
            ),
        )
