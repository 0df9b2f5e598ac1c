from datetime import timedelta

from django.test import TestCase
from django.utils import timezone

from kanban.models import Board as KanbanBoard
from tests.support import make_user
from whiteboard.models import Board as Whiteboard


class HomePageTests(TestCase):
    def test_lists_the_boards_the_user_can_open_and_no_others(self):
        alice, bob = make_user("alice"), make_user("bob")
        Whiteboard.objects.create(name="Alice's sketches", owner=alice)
        shared = Whiteboard.objects.create(name="Bob's shared plan", owner=bob)
        shared.members.add(alice)
        Whiteboard.objects.create(name="Bob's private notes", owner=bob)
        KanbanBoard.objects.create(name="Team sprint", owner=bob, shared_with_all=True)
        KanbanBoard.objects.create(name="Bob's chores", owner=bob)

        self.client.force_login(alice)
        response = self.client.get("/")
        self.assertContains(response, "Alice&#x27;s sketches")
        self.assertContains(response, "Bob&#x27;s shared plan")
        self.assertContains(response, "Team sprint")
        self.assertNotContains(response, "private notes")
        self.assertNotContains(response, "chores")

    def test_board_names_are_shown_as_text(self):
        alice = make_user("alice")
        Whiteboard.objects.create(name="<script>alert(1)</script>", owner=alice)
        self.client.force_login(alice)
        response = self.client.get("/")
        self.assertNotContains(response, "<script>alert(1)</script>")
        self.assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")


class BoardActivityWordingTests(TestCase):
    """Issue 18: a board just used was listed as "active 0 minutes ago"."""

    def setUp(self):
        self.alice = make_user("alice")
        self.client.force_login(self.alice)

    def test_a_board_active_in_the_last_minute_was_active_just_now(self):
        Whiteboard.objects.create(name="Fresh", owner=self.alice)
        response = self.client.get("/whiteboard/")
        self.assertContains(response, "yours · active just now")
        self.assertNotContains(response, "0 minutes")

    def test_an_older_board_says_how_long_ago(self):
        board = KanbanBoard.objects.create(name="Older", owner=self.alice)
        KanbanBoard.objects.filter(pk=board.pk).update(last_activity_at=timezone.now() - timedelta(hours=3, minutes=5))
        response = self.client.get("/")
        self.assertContains(response, "active 3\xa0hours, 5\xa0minutes ago")
