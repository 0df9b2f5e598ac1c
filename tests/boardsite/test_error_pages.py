"""
The error pages a person meets with DEBUG off: in the site's look (its
header and navigation), saying what happened, with a way home.
"""

from django.templatetags.static import static
from django.test import RequestFactory, TestCase, override_settings
from django.views import defaults

from tests.support import make_user
from whiteboard.models import Board as Whiteboard


@override_settings(DEBUG=False)
class ErrorPageTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.bob = make_user("bob")

    def assert_site_page(self, response, status):
        self.assertEqual(response.status_code, status)
        self.assertContains(response, '<header class="topbar">', status_code=status)
        self.assertContains(response, f"Error {status}", status_code=status)
        self.assertContains(response, '<a class="button primary" href="/">Go to your boards</a>', status_code=status)

    def test_a_board_you_are_not_a_member_of_is_a_styled_404_that_says_whom_to_ask(self):
        board = Whiteboard.objects.create(name="Alice's plans", owner=self.alice)
        self.client.force_login(self.bob)
        response = self.client.get(f"/whiteboard/{board.slug}/")
        self.assert_site_page(response, 404)
        self.assertContains(response, "Page not found", status_code=404)
        self.assertContains(response, "ask its owner to add you", status_code=404)
        self.assertContains(response, f"/whiteboard/{board.slug}/", status_code=404)
        # The signed-in user's navigation, as on every page; the board's name is not given away.
        self.assertContains(response, ">Kanban</a>", status_code=404)
        self.assertContains(response, "bob", status_code=404)
        self.assertNotContains(response, "Alice", status_code=404)

    def test_a_logged_out_visitor_gets_the_404_page_with_the_log_in_link(self):
        response = self.client.get("/no-such-page/")
        self.assert_site_page(response, 404)
        self.assertContains(response, 'href="/accounts/login/">Log in</a>', status_code=404)

    def test_the_path_shown_on_the_404_page_is_escaped(self):
        self.client.force_login(self.bob)
        response = self.client.get("/<b>bold</b>/")
        self.assertNotContains(response, "<b>bold</b>", status_code=404)

    def test_a_permission_refusal_is_a_styled_403_with_its_reason(self):
        board = Whiteboard.objects.create(name="Plans", owner=self.alice)
        board.members.add(self.bob)
        self.client.force_login(self.bob)
        response = self.client.post(f"/whiteboard/{board.slug}/delete/")
        self.assert_site_page(response, 403)
        self.assertContains(response, "Only the board’s owner can delete it.", status_code=403)
        self.assertTrue(Whiteboard.objects.filter(pk=board.pk).exists())

    def test_a_form_without_its_csrf_token_gets_the_styled_csrf_page(self):
        client = self.client_class(enforce_csrf_checks=True)
        client.force_login(self.alice)
        response = client.post("/whiteboard/new/", {"name": "Plans"})
        self.assert_site_page(response, 403)
        self.assertContains(response, "That form could not be sent", status_code=403)
        self.assertContains(response, "reload the page and try again", status_code=403)
        self.assertFalse(Whiteboard.objects.exists())

    def test_a_bad_request_gets_the_styled_400_page(self):
        # A Host header the site does not serve is a SuspiciousOperation: Django's 400 handler.
        with self.assertLogs("django.security.DisallowedHost", "WARNING"):
            response = self.client.get("/", headers={"host": "elsewhere.example"})
        self.assert_site_page(response, 400)
        self.assertContains(response, "That request could not be understood", status_code=400)

    def test_the_500_page_needs_no_context_or_database_and_no_inline_style(self):
        with self.assertNumQueries(0):
            response = defaults.server_error(RequestFactory().get("/"))
        self.assertEqual(response.status_code, 500)
        body = response.content.decode()
        self.assertIn('<header class="topbar">', body)
        self.assertIn("Something went wrong on our side", body)
        self.assertIn('<a class="button primary" href="/">Go to your boards</a>', body)
        # The site's stylesheet at the address written out in the template; the policy allows no inline style.
        self.assertIn(f'<link rel="stylesheet" href="{static("css/site.css")}">', body)
        self.assertEqual(self.client.get(static("css/site.css")).status_code, 200)
        self.assertNotIn("<style", body)
        self.assertNotIn("style=", body)
        self.assertNotIn("{%", body)
