"""
Session cookies Django could not have made (boardsite.sessions): a NUL in
one, spelled in octal, reached the session query, and PostgreSQL's refusal
made every page and the websocket handshake fail (issue 18).
"""

from channels.testing import WebsocketCommunicator
from django.test import TransactionTestCase

from boardsite.asgi import application
from kanban import services
from tests.support import in_a_loop_of_its_own, make_user

FORGED_COOKIE = 'sessionid="abcdefgh\\000ijklmnopqrstuvwxyz012345"'


class ForgedSessionCookieTests(TransactionTestCase):
    def test_pages_treat_the_visitor_as_not_logged_in(self):
        response = self.client.get("/kanban/", headers={"cookie": FORGED_COOKIE})
        self.assertRedirects(response, "/accounts/login/?next=/kanban/", fetch_redirect_response=False)
        self.assertEqual(self.client.get("/accounts/login/", headers={"cookie": FORGED_COOKIE}).status_code, 200)

    def test_the_websocket_handshake_is_refused_as_not_logged_in(self):
        board = services.board_create(name="Plans", owner=make_user("alice"))

        async def handshake():
            socket = WebsocketCommunicator(
                application,
                f"/ws/kanban/{board.slug}/",
                headers=[(b"host", b"localhost"), (b"origin", b"http://localhost"), (b"cookie", FORGED_COOKIE.encode())],
            )
            connected, code = await socket.connect()
            await socket.disconnect()
            return connected, code

        self.assertEqual(in_a_loop_of_its_own(handshake), (False, 4401))

    def test_a_real_session_still_logs_in(self):
        alice = make_user("alice")
        self.client.force_login(alice)
        self.assertEqual(self.client.get("/kanban/").status_code, 200)
