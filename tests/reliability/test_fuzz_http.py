"""
Property-based fuzzing of every HTTP input that carries text (hypothesis):
the board management forms, the description preview, the query parameters
of the activity feed, history and export, Django's admin (a list filter, the
search, an autocomplete term) and the log-in form. Whatever the text, the
answer is never a server error, and text boardsite.collab.text refuses
anywhere (NUL, the other control characters but tab and line breaks) is
answered 400 naming the parameter, on SQLite and on PostgreSQL alike. (Tabs
and line breaks reach the view, which refuses them in one-line text or, for
names, makes them spaces: tests/kanban/test_activity.py and the services'
tests.)
"""

from django.test import TestCase
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from boardsite.collab.text import text_problem
from kanban import services as kanban_services
from tests.reliability.fuzzing import LINE_CHARACTERS, REFUSED_CHARACTERS
from tests.support import PASSWORD, make_user
from whiteboard import services as whiteboard_services

EXAMPLES = 600
# Lone surrogates cannot be sent over HTTP (a request is bytes, decoded as UTF-8 with
# replacement), so text here is any other code point, or ordinary text with a refused one.
REFUSED_OVER_HTTP = [character for character in REFUSED_CHARACTERS if not "\ud800" <= character <= "\udfff"]
text = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
    st.builds(
        lambda before, character, after: before + character + after,
        st.sampled_from(["", "bob", "12", "red", "- one\n"]),
        st.sampled_from(REFUSED_OVER_HTTP + LINE_CHARACTERS),
        st.sampled_from(["", "b", "3", "\t- two"]),
    ),
)

# (method, path, parameter, other parameters)
INPUTS = [
    ("post", "/kanban/{kanban}/members/", "username", {}),
    ("post", "/kanban/{kanban}/members/remove/", "username", {}),
    ("post", "/whiteboard/{whiteboard}/rename/", "name", {}),
    ("post", "/kanban/new/", "name", {}),
    ("post", "/kanban/{kanban}/preview/", "description", {}),
    ("get", "/kanban/{kanban}/activity.json", "user", {}),
    ("get", "/kanban/{kanban}/activity.json", "before", {}),
    ("get", "/kanban/{kanban}/activity.json", "card", {}),
    ("get", "/whiteboard/{whiteboard}/history.json", "after", {}),
    ("get", "/whiteboard/{whiteboard}/export.svg", "seq", {}),
    ("get", "/admin/kanban/label/", "colour__exact", {}),
    ("get", "/admin/kanban/card/", "q", {}),
    ("get", "/admin/autocomplete/", "term", {"app_label": "kanban", "model_name": "card", "field_name": "assignees"}),
    ("post", "/accounts/login/", "username", {"password": PASSWORD}),
]


class HttpTextFuzzTests(TestCase):
    def setUp(self):
        self.root = make_user("root", is_staff=True, is_superuser=True)
        self.bob = make_user("bob")
        self.paths = {
            "kanban": kanban_services.board_create(name="Plans", owner=self.root).slug,
            "whiteboard": whiteboard_services.board_create(name="Sketch", owner=self.root).slug,
        }

    def test_text_never_makes_a_server_error_and_refused_text_gets_400(self):
        self.client.raise_request_exception = False
        checked = given(st.sampled_from(INPUTS), text)(self.check_input)
        hypothesis_settings(
            max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
        )(checked)()

    def check_input(self, case, value):
        method, path, name, others = case
        if path == "/accounts/login/":
            self.client.logout()
        else:
            self.client.force_login(self.root)
        url = path.format(**self.paths)
        response = getattr(self.client, method)(url, {name: value, **others}, headers={"accept": "application/json"})
        self.assertLess(response.status_code, 500, f"{method} {url} {name}={value!r}")
        if text_problem(value, multiline=True) is not None:
            self.assertEqual(response.status_code, 400, f"{method} {url} {name}={value!r}")
            self.assertEqual(response.json()["code"], "invalid_field")
            self.assertIn(f"`{name}`", response.json()["error"])
