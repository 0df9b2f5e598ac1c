from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import TestCase, override_settings

from boardsite.collab.errors import ActionError
from kanban import history as kanban_history
from kanban import selectors as kanban_selectors
from kanban.models import Board as KanbanBoard
from whiteboard import services as whiteboard_services
from whiteboard.models import Board as Whiteboard


@override_settings(DEBUG=True)
class DemoDataTests(TestCase):
    def run_command(self):
        out = StringIO()
        call_command("demo_data", stdout=out)
        return out.getvalue()

    def test_creates_a_demo_login_a_whiteboard_and_a_kanban_board(self):
        output = self.run_command()
        self.assertIn("demo", output)
        self.assertIn("boardsite-demo", output)
        login = self.client.post("/accounts/login/", {"username": "demo", "password": "boardsite-demo"})
        self.assertRedirects(login, "/", msg_prefix="the documented demo password works")
        user = get_user_model().objects.get(username="demo")
        self.assertEqual(Whiteboard.objects.filter(owner=user).count(), 1)
        self.assertEqual(KanbanBoard.objects.filter(owner=user).count(), 1)
        home = self.client.get("/")
        self.assertContains(home, "Demo whiteboard")
        self.assertContains(home, "Demo kanban board")
        # The kanban shows its comments, one of them mentioning the demo user.
        guide = KanbanBoard.objects.get(owner=user).cards.get(title="Write the user guide")
        self.assertEqual(guide.comment_count, 2)
        self.assertEqual((guide.checklist_done, guide.checklist_items), (2, 4))
        mention = guide.comments.get(body__startswith="@demo")
        self.assertEqual(list(mention.mentions.all()), [user])
        self.assertIn('<span class="mention">@demo</span>', mention.body_html)

    def test_the_demo_user_has_nothing_to_undo_on_a_fresh_demo(self):
        """Issue 18: on a fresh database, demo's first Undo deleted a seeded card."""
        self.run_command()
        user = get_user_model().objects.get(username="demo")
        kanban = KanbanBoard.objects.get(owner=user)
        whiteboard = Whiteboard.objects.get(owner=user)
        self.assertEqual(kanban_selectors.history_status(board=kanban, user=user), {"can_undo": False, "can_redo": False})
        self.assertEqual(whiteboard_services.history_state(board=whiteboard, user=user),
                         {"can_undo": False, "can_redo": False})
        cards = kanban.cards.count()
        with self.assertRaises(ActionError) as refused:
            kanban_history.history_undo(board=kanban, actor=user)
        self.assertEqual(refused.exception.code, "nothing_to_undo")
        self.assertEqual(kanban.cards.count(), cards)

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


@override_settings(DEBUG=False)
class DemoDataInProductionTests(TestCase):
    """The demo user's password is published: with DEBUG off, only on explicit request."""

    def test_refuses_with_debug_off_and_creates_nothing(self):
        with self.assertRaisesMessage(CommandError, "--allow-production"):
            call_command("demo_data", stdout=StringIO())
        self.assertFalse(get_user_model().objects.filter(username="demo").exists())
        self.assertFalse(Whiteboard.objects.exists())
        self.assertFalse(KanbanBoard.objects.exists())

    def test_runs_with_allow_production(self):
        call_command("demo_data", "--allow-production", stdout=StringIO())
        login = self.client.post("/accounts/login/", {"username": "demo", "password": "boardsite-demo"})
        self.assertRedirects(login, "/")
