from kanban.models import Board as KanbanBoard
from tests.browser.base import BrowserTestCase
from tests.support import make_user


class ErrorPageTests(BrowserTestCase):
    def test_a_board_you_are_not_a_member_of_shows_the_sites_404_page(self):
        owner = make_user("alice")
        board = KanbanBoard.objects.create(name="Private plans", owner=owner)
        _, page = self.user_page("bob")
        response = page.goto(f"{self.live_server_url}/kanban/{board.slug}/")
        self.assertEqual(response.status, 404)
        self.assertEqual(page.inner_text("h1"), "Page not found")
        self.assertIn("ask its owner to add you", page.inner_text("main"))
        self.assertTrue(page.is_visible("header.topbar >> text=Whiteboards"))
        self.assertEqual(page.inner_text(".whoami"), "bob")
        # Styled by the site's stylesheet: the card has the site's surface, not the browser's default.
        self.assertEqual(page.eval_on_selector(".error-page", "e => getComputedStyle(e).borderRadius"), "10px")
        self.screenshot(page, "not-found.png")
        page.click("text=Go to your boards")
        self.assertEqual(page.inner_text("h1"), "Hello, bob")
