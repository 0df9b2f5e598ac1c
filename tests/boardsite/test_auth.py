from django.test import TestCase, override_settings
from django.urls import reverse

from kanban.models import Board as KanbanBoard
from tests.support import PASSWORD, make_user, use_a_fresh_cache
from whiteboard.models import Board as Whiteboard


class LoginRequiredTests(TestCase):
    """Every page but login, sign-up and health sends anonymous visitors to log in."""

    @classmethod
    def setUpTestData(cls):
        owner = make_user("owner")
        cls.whiteboard = Whiteboard.objects.create(name="Plans", owner=owner)
        cls.kanban_board = KanbanBoard.objects.create(name="Sprint", owner=owner)

    def test_pages_redirect_anonymous_visitors_to_login(self):
        pages = [
            "/",
            "/token",
            "/whiteboard/",
            f"/whiteboard/{self.whiteboard.slug}/",
            "/kanban/",
            f"/kanban/{self.kanban_board.slug}/",
        ]
        for path in pages:
            with self.subTest(path=path):
                response = self.client.get(path)
                self.assertEqual(response.status_code, 302)
                self.assertEqual(response["Location"], f"{reverse('login')}?next={path}")

    def test_forms_refuse_anonymous_posts(self):
        posts = [
            "/whiteboard/new/",
            f"/whiteboard/{self.whiteboard.slug}/members/",
            f"/whiteboard/{self.whiteboard.slug}/delete/",
            "/kanban/new/",
            f"/kanban/{self.kanban_board.slug}/members/",
            f"/kanban/{self.kanban_board.slug}/delete/",
        ]
        for path in posts:
            with self.subTest(path=path):
                response = self.client.post(path, {"name": "x", "username": "owner"})
                self.assertEqual(response.status_code, 302)
                self.assertTrue(response["Location"].startswith(reverse("login")))
        self.assertEqual(Whiteboard.objects.count(), 1)
        self.assertEqual(KanbanBoard.objects.count(), 1)

    def test_admin_asks_for_an_admin_login(self):
        response = self.client.get("/admin/")
        self.assertEqual(response.status_code, 302)
        self.assertIn("/admin/login/", response["Location"])

    def test_open_pages(self):
        for path in ["/accounts/login/", "/accounts/signup/", "/healthz"]:
            with self.subTest(path=path):
                self.assertEqual(self.client.get(path).status_code, 200)


class LoginLogoutTests(TestCase):
    def test_log_in_with_the_form_then_log_out(self):
        make_user("alice")
        page = self.client.get("/accounts/login/")
        self.assertContains(page, 'name="csrfmiddlewaretoken"')
        response = self.client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
        self.assertRedirects(response, "/")
        self.assertContains(self.client.get("/"), "Hello, alice")
        response = self.client.post("/accounts/logout/")
        self.assertRedirects(response, "/accounts/login/")
        self.assertEqual(self.client.get("/").status_code, 302)

    def test_wrong_password_is_refused_with_a_message(self):
        make_user("alice")
        response = self.client.post("/accounts/login/", {"username": "alice", "password": "nope"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Please enter a correct username and password")
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_login_form_needs_a_csrf_token(self):
        make_user("alice")
        client = self.client_class(enforce_csrf_checks=True)
        response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
        self.assertEqual(response.status_code, 403)


class SignupTests(TestCase):
    def setUp(self):
        use_a_fresh_cache(self)  # each test's sign-ups count apart (boardsite.throttling)

    def test_sign_up_creates_the_account_and_logs_in(self):
        response = self.client.post(
            "/accounts/signup/",
            {"username": "newbie", "password1": "a-long-unusual-passphrase", "password2": "a-long-unusual-passphrase"},
        )
        self.assertRedirects(response, "/")
        self.assertContains(self.client.get("/"), "Hello, newbie")

    def test_weak_passwords_are_refused_by_djangos_validators(self):
        response = self.client.post(
            "/accounts/signup/", {"username": "newbie", "password1": "12345678", "password2": "12345678"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "This password is too common.")
        self.assertContains(response, "This password is entirely numeric.")
        self.assertFalse(self.client.session.get("_auth_user_id"))

    def test_duplicate_usernames_are_refused(self):
        make_user("taken")
        response = self.client.post(
            "/accounts/signup/",
            {"username": "taken", "password1": "a-long-unusual-passphrase", "password2": "a-long-unusual-passphrase"},
        )
        self.assertContains(response, "A user with that username already exists.")

    @override_settings(SIGNUP_ENABLED=False)
    def test_sign_up_can_be_turned_off(self):
        self.assertEqual(self.client.get("/accounts/signup/").status_code, 404)
        response = self.client.post(
            "/accounts/signup/",
            {"username": "newbie", "password1": "a-long-unusual-passphrase", "password2": "a-long-unusual-passphrase"},
        )
        self.assertEqual(response.status_code, 404)
        self.assertNotContains(self.client.get("/accounts/login/"), "/accounts/signup/")
