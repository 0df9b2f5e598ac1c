from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kanban import selectors, services
from kanban.demo import ensure_demo_board
from kanban.models import Board, Card
from tests.kanban.helpers import add_cards, columns_of, make_board, titles_by_column
from tests.support import make_user


class BoardPagesTests(TestCase):
    def setUp(self):
        self.alice, self.bob = make_user("alice"), make_user("bob")
        self.board = make_board(self.alice)

    def test_creating_a_board_makes_three_columns_and_opens_it(self):
        self.client.force_login(self.alice)
        response = self.client.post(reverse("kanban:create"), {"name": "Sprint 12"})
        board = Board.objects.get(name="Sprint 12")
        self.assertRedirects(response, board.get_absolute_url())
        self.assertEqual(titles_by_column(board), {"To do": [], "Doing": [], "Done": []})
        self.assertEqual(board.owner, self.alice)

    def test_a_board_is_listed_for_its_members_only(self):
        self.client.force_login(self.bob)
        self.assertNotContains(self.client.get(reverse("kanban:list")), "Team board")
        self.client.force_login(self.alice)
        response = self.client.post(reverse("kanban:add-member", args=[self.board.slug]), {"username": "bob"})
        self.assertRedirects(response, self.board.get_absolute_url())
        self.client.force_login(self.bob)
        self.assertContains(self.client.get(reverse("kanban:list")), "Team board")
        self.assertEqual(self.client.get(self.board.get_absolute_url()).status_code, 200)

    def test_non_members_get_404_and_anonymous_users_the_login_page(self):
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(self.board.get_absolute_url()).status_code, 404)
        self.assertEqual(self.client.post(reverse("kanban:preview", args=[self.board.slug])).status_code, 404)
        self.client.logout()
        response = self.client.get(self.board.get_absolute_url())
        self.assertRedirects(response, f"{reverse('login')}?next={self.board.get_absolute_url()}")

    def test_the_page_embeds_the_board_with_html_escaped(self):
        hacker = make_user("<img src=x onerror=alert(1)>")
        self.board.members.add(hacker)
        add_cards(self.board, columns_of(self.board)["To do"], ["</script><script>alert(1)</script>"], actor=self.alice)
        self.client.force_login(self.alice)
        content = self.client.get(self.board.get_absolute_url()).content.decode()
        self.assertIn('<script id="board-snapshot" type="application/json">', content)
        self.assertNotIn("<script>alert(1)", content)
        self.assertNotIn("<img src=x", content)
        self.assertIn("\\u003C/script\\u003E\\u003Cscript\\u003Ealert(1)", content)

    def page_queries(self, cards):
        board = make_board(self.alice, name=f"{cards} cards")
        todo = columns_of(board)["To do"]
        Card.objects.bulk_create(
            Card(board=board, column=todo, title=f"c{n}", position=n) for n in range(cards)
        )
        for card in Card.objects.filter(board=board):
            card.assignees.add(self.alice)
        self.client.force_login(self.alice)
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(board.get_absolute_url())
        self.assertContains(response, f"c{cards - 1}")
        return len(queries.captured_queries)

    def test_the_page_takes_the_same_queries_for_10_or_300_cards(self):
        self.assertEqual(self.page_queries(10), self.page_queries(300))

    def test_the_description_preview_is_sanitised_and_needs_csrf(self):
        self.client.force_login(self.alice)
        url = reverse("kanban:preview", args=[self.board.slug])
        response = self.client.post(url, {"description": "**hi** <script>x()</script> [a](javascript:x())"})
        html = response.json()["html"]
        self.assertIn("<strong>hi</strong>", html)
        self.assertNotIn("<script", html)
        self.assertNotIn("javascript:", html)
        self.assertEqual(self.client.post(url, {"description": "x" * 10_001}).status_code, 400)
        strict = self.client_class(enforce_csrf_checks=True)
        strict.force_login(self.alice)
        self.assertEqual(strict.post(url, {"description": "hi"}).status_code, 403)

    def test_the_preview_shows_what_saving_would_store_within_the_same_limits(self):
        self.client.force_login(self.alice)
        url = reverse("kanban:preview", args=[self.board.slug])
        text = "  ~~done~~, see www.example.com\n\n- [x] a\n"
        (card,) = add_cards(self.board, columns_of(self.board)["To do"], ["a"], actor=self.alice)
        saved = services.card_update(board=self.board, card_id=card["id"], version=1, changes={"description": text},
                                     actor=self.alice).details["card"]["description_html"]
        self.assertIn("<del>done</del>", saved)
        self.assertEqual(self.client.post(url, {"description": text}).json()["html"], saved)
        refused = self.client.post(url, {"description": "bell\a"})
        self.assertEqual((refused.status_code, refused.json()["code"]), (400, "invalid_field"))
        self.assertEqual(self.client.post(url, {"description": "x" * 10_001}).json()["code"], "too_long")
        brackets = self.client.post(url, {"description": "[" * 10_000})
        self.assertEqual(brackets.json(), {"ok": True, "html": f"<p>{'[' * 10_000}</p>\n"})

    def test_the_demo_board_has_cards_and_is_made_once(self):
        first = ensure_demo_board(owner=self.alice)
        again = ensure_demo_board(owner=self.alice)
        self.assertEqual(first, again)
        self.assertEqual(len(titles_by_column(first)["To do"]), 3)
        self.assertTrue(selectors.board_snapshot(board=first)["labels"])
        # The demo user has cards assigned, one of them overdue, for My cards.
        self.client.force_login(self.alice)
        mine = self.client.get(reverse("kanban:mine"))
        self.assertEqual(len(mine.context["cards"]), 3)
        self.assertContains(mine, "Overdue: due", count=1)


class MyCardsPageTests(TestCase):
    """Issue 20: a "my cards" page across every board the user can open, with due dates."""

    def setUp(self):
        self.alice, self.bob = make_user("alice"), make_user("bob")
        self.shared = make_board(self.alice, name="Shared plans", members=[self.bob])
        self.private = make_board(self.alice, name="Alice only")
        columns = columns_of(self.shared)
        cards = add_cards(self.shared, columns["To do"], ["<b>Soon</b>", "Later", "Someday", "Alice's"], actor=self.alice)
        changes = {"<b>Soon</b>": {"due": "2020-01-02"}, "Later": {"due": "2099-05-01"}, "Someday": {}, "Alice's": {}}
        for card in cards:
            assignee = self.alice if card["title"] == "Alice's" else self.bob
            services.card_update(board=self.shared, card_id=card["id"], version=card["version"], actor=self.alice,
                                 changes={"assignees": [assignee.pk], **changes[card["title"]]})
        hidden = add_cards(self.private, columns_of(self.private)["Doing"], ["Not yours to see"], actor=self.alice)[0]
        # Assigned to bob on a board he cannot open: not shown to him.
        Card.objects.get(pk=hidden["id"]).assignees.add(self.bob)
        self.client.force_login(self.bob)

    def test_the_cards_assigned_to_me_soonest_due_first_with_overdue_marked(self):
        response = self.client.get(reverse("kanban:mine"))
        self.assertEqual(response.status_code, 200)
        titles = [card.title for card in response.context["cards"]]
        self.assertEqual(titles, ["<b>Soon</b>", "Later", "Someday"])
        self.assertContains(response, "&lt;b&gt;Soon&lt;/b&gt;")
        self.assertNotContains(response, "<b>Soon</b>")
        self.assertContains(response, "Overdue: due", count=1)
        self.assertContains(response, f'href="{self.shared.get_absolute_url()}?card=', count=3)
        self.assertNotContains(response, "Not yours to see")

    def test_in_a_fixed_number_of_queries(self):
        self.client.get(reverse("kanban:mine"))
        with CaptureQueriesContext(connection) as few:
            self.client.get(reverse("kanban:mine"))
        more = add_cards(self.shared, columns_of(self.shared)["Doing"], [f"Task {n}" for n in range(10)], actor=self.alice)
        for card in more:
            services.card_update(board=self.shared, card_id=card["id"], version=card["version"], actor=self.alice,
                                 changes={"assignees": [self.bob.pk]})
        with CaptureQueriesContext(connection) as many:
            response = self.client.get(reverse("kanban:mine"))
        self.assertEqual(len(response.context["cards"]), 13)
        self.assertEqual(len(many), len(few))

    def test_someone_with_nothing_assigned_is_told_so(self):
        self.client.force_login(make_user("carol"))
        self.assertContains(self.client.get(reverse("kanban:mine")), "No cards are assigned to you.")
