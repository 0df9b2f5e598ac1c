"""
Creating, sharing, renaming and deleting boards over HTTP: the shared views
in boardsite.collab, exercised through both apps' URLs.
"""

from django.test import TestCase

from kanban.models import Board as KanbanBoard
from tests.support import make_user
from whiteboard.models import Board as Whiteboard

APPS = (("whiteboard", Whiteboard), ("kanban", KanbanBoard))


class BoardManagementTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.bob = make_user("bob")
        self.client.force_login(self.alice)

    def test_create_redirects_to_the_new_board(self):
        for prefix, model in APPS:
            with self.subTest(app=prefix):
                response = self.client.post(f"/{prefix}/new/", {"name": "  Team   plans "})
                board = model.objects.get(owner=self.alice)
                self.assertEqual(board.name, "Team plans")
                self.assertRedirects(response, f"/{prefix}/{board.slug}/", fetch_redirect_response=False)
                self.assertTrue(board.slug.startswith("team-plans-"))

    def test_create_refuses_a_blank_or_overlong_name(self):
        for prefix, model in APPS:
            for name in ("   ", "x" * 81):
                with self.subTest(app=prefix, name=name[:5]):
                    response = self.client.post(f"/{prefix}/new/", {"name": name}, follow=True)
                    self.assertEqual(model.objects.count(), 0)
                    self.assertTrue(any(m.level_tag == "error" for m in response.context["messages"]))

    def test_create_answers_json_to_fetch(self):
        response = self.client.post("/whiteboard/new/", {"name": ""}, headers={"accept": "application/json"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["code"], "invalid_name")

    def test_owner_adds_a_member_who_can_then_open_the_board(self):
        for prefix, model in APPS:
            with self.subTest(app=prefix):
                board = model.objects.create(name="Plans", owner=self.alice)
                self.client.force_login(self.bob)
                self.assertEqual(self.client.get(f"/{prefix}/{board.slug}/").status_code, 404)
                self.client.force_login(self.alice)
                self.client.post(f"/{prefix}/{board.slug}/members/", {"username": "bob"})
                self.assertTrue(board.members.filter(pk=self.bob.pk).exists())
                self.client.force_login(self.bob)
                self.assertEqual(self.client.get(f"/{prefix}/{board.slug}/").status_code, 200)
                self.client.force_login(self.alice)

    def test_adding_an_unknown_user_says_so(self):
        board = Whiteboard.objects.create(name="Plans", owner=self.alice)
        response = self.client.post(f"/whiteboard/{board.slug}/members/", {"username": "nobody"}, follow=True)
        self.assertContains(response, "There is no user called “nobody”.")
        self.assertFalse(board.members.exists())

    def test_a_username_holding_a_nul_is_refused_clearly_not_a_server_error(self):
        """Issue 18: PostgreSQL refuses NUL in text, and the add and remove views answered 500."""
        board = KanbanBoard.objects.create(name="Plans", owner=self.alice)
        board.members.add(self.bob)
        for action in ("members/", "members/remove/"):
            with self.subTest(action=action):
                url = f"/kanban/{board.slug}/{action}"
                response = self.client.post(url, {"username": "bo\x00b"}, headers={"accept": "application/json"})
                self.assertEqual(response.status_code, 400)
                self.assertEqual(response.json()["code"], "invalid_field")
                self.assertIn("`username` contains a control character (U+0000)", response.json()["error"])
                self.assertEqual(self.client.post(url, {"username": "bo\x00b"}).status_code, 400)
        self.assertEqual(list(board.members.all()), [self.bob])
        self.assertFalse(board.events.exists())

    OWNER_ONLY = (
        ("members/", {"username": "carol"}, "Only the board’s owner can add members."),
        ("members/remove/", {"username": "dave"}, "Only the board’s owner can remove other members."),
        ("rename/", {"name": "Mine now"}, "Only the board’s owner can rename it."),
        ("share/", {"shared_with_all": "on"}, "Only the board’s owner can change who can open it."),
        ("delete/", {}, "Only the board’s owner can delete it."),
    )

    def test_members_are_refused_the_owners_actions_with_403_and_the_reason(self):
        """Issue 18: these answered 400, as if the request were malformed rather than not allowed."""
        make_user("carol")
        dave = make_user("dave")
        for prefix, model in APPS:
            board = model.objects.create(name="Plans", owner=self.alice)
            board.members.add(self.bob, dave)
            self.client.force_login(self.bob)
            for action, data, message in self.OWNER_ONLY:
                with self.subTest(app=prefix, action=action, client="fetch"):
                    url = f"/{prefix}/{board.slug}/{action}"
                    response = self.client.post(url, data, headers={"accept": "application/json"})
                    self.assertEqual(response.status_code, 403)
                    self.assertEqual(response.json(), {"ok": False, "code": "forbidden", "error": message})
                with self.subTest(app=prefix, action=action, client="page"):
                    response = self.client.post(url, data)
                    self.assertContains(response, message, status_code=403)
            board.refresh_from_db()
            self.assertEqual(board.name, "Plans")
            self.assertFalse(board.shared_with_all)
            self.assertEqual(set(board.members.all()), {self.bob, dave})
            self.assertFalse(board.events.exists())

    def test_a_refusal_that_is_not_about_permission_stays_400(self):
        board = Whiteboard.objects.create(name="Plans", owner=self.alice)
        response = self.client.post(
            f"/whiteboard/{board.slug}/rename/", {"name": " "}, headers={"accept": "application/json"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["code"], "invalid_name")

    def test_a_member_can_leave(self):
        board = Whiteboard.objects.create(name="Plans", owner=self.alice)
        board.members.add(self.bob)
        self.client.force_login(self.bob)
        response = self.client.post(f"/whiteboard/{board.slug}/members/remove/", {"username": "bob"})
        self.assertRedirects(response, "/whiteboard/", fetch_redirect_response=False)
        self.assertFalse(board.members.exists())

    def test_share_with_everyone_then_take_it_back(self):
        board = Whiteboard.objects.create(name="Plans", owner=self.alice)
        self.client.post(f"/whiteboard/{board.slug}/share/", {"shared_with_all": "on"})
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(f"/whiteboard/{board.slug}/").status_code, 200)
        self.client.force_login(self.alice)
        self.client.post(f"/whiteboard/{board.slug}/share/", {})
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(f"/whiteboard/{board.slug}/").status_code, 404)

    def test_owner_renames_and_deletes(self):
        for prefix, model in APPS:
            with self.subTest(app=prefix):
                board = model.objects.create(name="Plans", owner=self.alice)
                self.client.post(f"/{prefix}/{board.slug}/rename/", {"name": "Roadmap"})
                board.refresh_from_db()
                self.assertEqual(board.name, "Roadmap")
                self.assertEqual(board.events.get().payload, {"type": "board.renamed", "seq": 1, "name": "Roadmap"})
                response = self.client.post(f"/{prefix}/{board.slug}/delete/")
                self.assertRedirects(response, f"/{prefix}/", fetch_redirect_response=False)
                self.assertFalse(model.objects.filter(pk=board.pk).exists())

    def test_management_forms_need_csrf_tokens(self):
        board = Whiteboard.objects.create(name="Plans", owner=self.alice)
        client = self.client_class(enforce_csrf_checks=True)
        client.force_login(self.alice)
        for path in ("/whiteboard/new/", f"/whiteboard/{board.slug}/delete/", f"/whiteboard/{board.slug}/members/"):
            with self.subTest(path=path):
                self.assertEqual(client.post(path, {"name": "x", "username": "bob"}).status_code, 403)
        self.assertTrue(Whiteboard.objects.filter(pk=board.pk).exists())

    def test_get_is_not_allowed_on_actions(self):
        board = Whiteboard.objects.create(name="Plans", owner=self.alice)
        self.assertEqual(self.client.get(f"/whiteboard/{board.slug}/delete/").status_code, 405)
