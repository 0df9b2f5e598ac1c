from django.test import RequestFactory
from django.views import defaults

from kanban.models import Board as KanbanBoard
from tests.browser.base import BrowserTestCase
from tests.browser.test_content_security_policy import RECORD_VIOLATIONS
from tests.support import make_user


class ErrorPageTests(BrowserTestCase):
    def watched_page(self, page):
        page.add_init_script(RECORD_VIOLATIONS)
        return page

    def test_a_board_you_are_not_a_member_of_shows_the_sites_404_page(self):
        owner = make_user("alice")
        board = KanbanBoard.objects.create(name="Private plans", owner=owner)
        _, page = self.user_page("bob")
        self.watched_page(page)
        response = page.goto(f"{self.live_server_url}/kanban/{board.slug}/")
        self.assertEqual(response.status, 404)
        self.assertEqual(page.inner_text("h1"), "Page not found")
        self.assertIn("ask its owner to add you", page.inner_text("main"))
        self.assertTrue(page.is_visible("header.topbar >> text=Whiteboards"))
        self.assertEqual(page.inner_text(".whoami"), "bob")
        # Styled by the site's stylesheet: the card has the site's corners, not the browser's defaults.
        self.assertEqual(page.eval_on_selector(".error-page", "e => getComputedStyle(e).borderRadius"), "10px")
        self.assertEqual(page.evaluate("window.cspViolations"), [])
        self.screenshot(page, "not-found.png")
        page.click("text=Go to your boards")
        self.assertEqual(page.inner_text("h1"), "Hello, bob")

    def test_the_500_page_is_styled_under_the_sites_policy(self):
        """What Django sends for an unhandled error, served with the policy every page carries."""
        body = defaults.server_error(RequestFactory().get("/")).content
        policy = self.new_page().request.get(f"{self.live_server_url}/accounts/login/").headers["content-security-policy"]
        page = self.watched_page(self.new_page())
        page.route("**/broken/", lambda route: route.fulfill(
            status=500, body=body, headers={"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": policy},
        ))
        page.goto(f"{self.live_server_url}/broken/")
        self.assertEqual(page.inner_text("h1"), "Something went wrong on our side")
        self.assertEqual(page.eval_on_selector(".error-page", "e => getComputedStyle(e).borderRadius"), "10px")
        self.assertEqual(page.evaluate("window.cspViolations"), [])
        self.screenshot(page, "server-error.png")
