"""
Text checked at the HTTP door (boardsite.text_middleware): every path, query
string and form body, the views Django writes (admin, log in) included. On
PostgreSQL each of these requests answered 500 before it (issue 18).
"""

from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse

from kanban import services
from kanban.models import Column
from tests.kanban.test_admin import admin_client
from tests.support import make_user


class TextDoorTests(TestCase):
    def setUp(self):
        self.client = admin_client()
        self.board = services.board_create(name="Plans", owner=make_user("alice"))

    def assert_refused(self, response, message):
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json(), {"ok": False, "code": "invalid_field", "error": message})

    def test_admin_list_filters_and_autocomplete_terms_with_a_nul_are_refused(self):
        cases = [
            (reverse("admin:kanban_label_changelist"), {"colour__exact": "red\x00"}, "colour__exact"),
            (reverse("admin:whiteboard_boardevent_changelist"), {"type__exact": "\x00"}, "type__exact"),
            (reverse("admin:whiteboard_stroke_changelist"), {"tool__exact": "pen\x00"}, "tool__exact"),
            (
                reverse("admin:autocomplete"),
                {"term": "a\x00", "app_label": "kanban", "model_name": "card", "field_name": "assignees"},
                "term",
            ),
        ]
        for url, query, name in cases:
            with self.subTest(url=url):
                self.assert_refused(self.client.get(url, query), f"`{name}` contains a control character (U+0000).")

    def test_an_admin_form_with_a_control_character_is_refused_and_saves_nothing(self):
        response = self.client.post(
            reverse("admin:kanban_column_add"), {"board": self.board.pk, "title": "Do\x01ne", "wip_limit": ""}
        )
        self.assert_refused(response, "`title` contains a control character (U+0001).")
        self.assertEqual(Column.objects.filter(board=self.board).count(), 3)

    def test_parameter_names_and_paths_are_checked_too(self):
        self.assert_refused(self.client.get("/kanban/", {"a\x00": "1"}), "A parameter name contains a control character (U+0000).")
        self.assert_refused(self.client.get("/kanban/a%00b/"), "The address contains a control character (U+0000).")

    def test_the_log_in_form_is_checked_before_anyone_is_looked_up(self):
        self.client.logout()
        response = self.client.post(reverse("login"), {"username": "root\x00", "password": "admin-password-123"})
        self.assert_refused(response, "`username` contains a control character (U+0000).")

    def test_a_page_gets_the_message_as_text(self):
        response = self.client.get("/kanban/", {"q": "\x1b"}, headers={"accept": "text/html,application/xhtml+xml"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response["Content-Type"], "text/plain; charset=utf-8")
        self.assertEqual(response.content.decode(), "`q` contains a control character (U+001B).")

    def test_tabs_and_line_breaks_pass_the_door_for_the_fields_that_take_them(self):
        response = self.client.post(
            reverse("kanban:preview", args=[self.board.slug]), {"description": "- one\r\n\t- two"}
        )
        self.assertEqual(response.status_code, 404)  # root is no member: the view, not the door, answered
        self.board.members.add(get_user_model().objects.get(username="root"))
        response = self.client.post(
            reverse("kanban:preview", args=[self.board.slug]), {"description": "- one\r\n\t- two"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("<li>one", response.json()["html"])
