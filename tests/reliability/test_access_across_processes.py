"""
Access follows the session across server processes (PostgreSQL + Redis, two
real daphne processes): a socket open on the first process is closed soon
after its user is deactivated in the second process's admin, or logs out
through the second process, and a member removed through the second
process while drawing on the first has nothing stored after the removal.

The close is timed from the moment the second process answered the change
(it had committed by then); the figures are printed. The assertion's bound
(5 s) is generous for a shared CI machine; the requirement is 1 s.
"""

import asyncio
import json
import time
from urllib.parse import urlencode

import websockets
from django.test import TransactionTestCase

from bench.servers import UNLIMITED_RATE
from bench.session import login, request
from boardsite.collab.consumers import CloseCode
from tests.reliability.faults import postgres_url, server_environment, start_server
from tests.sockets import BoardSocket
from tests.support import PASSWORD, admin_user_form, make_user, require_postgres, require_redis
from tests.whiteboard.helpers import stroke_message
from whiteboard import services as whiteboard_services
from whiteboard.models import BoardEvent

CLOSE_BOUND = 5.0


def post_form(server, path, cookies, fields):
    """A form POST as a page makes it (CSRF token included); the HTTP status."""
    body = urlencode({**fields, "csrfmiddlewaretoken": cookies["csrftoken"]}, doseq=True)
    return request(server.http_url, "POST", path, cookies=cookies, body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Referer": f"{server.http_url}{path}",
    }).status


class AccessAcrossProcessesTests(TransactionTestCase):
    def setUp(self):
        require_postgres()
        redis_url = require_redis()
        self.alice = make_user("alice")
        self.bob = make_user("bob")
        make_user("root", is_staff=True, is_superuser=True)
        self.board = whiteboard_services.board_create(name="Across", owner=self.alice)
        self.board.members.add(self.bob)
        self.path = f"/ws/whiteboard/{self.board.slug}/"
        environment = server_environment(DATABASE_URL=postgres_url(), REDIS_URL=redis_url, **UNLIMITED_RATE)
        self.first, self.second = (start_server(self, name, environment) for name in ("first", "second"))

    async def close_after(self, socket, change):
        """Run the blocking HTTP `change` against the second process; seconds from its answer to the socket's close."""
        sent = time.monotonic()
        status = await asyncio.to_thread(change)
        answered = time.monotonic()
        self.assertEqual(status, 302)
        code = await socket.wait_closed()
        print(f"\n  socket on the first process closed with {code} {1000 * (socket.closed_at - answered):.0f} ms "
              f"after the second process answered ({1000 * (socket.closed_at - sent):.0f} ms after the request)")
        self.assertLess(socket.closed_at - answered, CLOSE_BOUND)
        return code

    def test_a_user_deactivated_in_the_other_process_s_admin_is_closed(self):
        async def scenario():
            bob = await BoardSocket(self.first, self.path, login(self.first.http_url, "bob", PASSWORD)).open()
            staff = login(self.second.http_url, "root", PASSWORD)
            change = lambda: post_form(  # noqa: E731
                self.second, f"/admin/auth/user/{self.bob.pk}/change/", staff, admin_user_form(self.bob, is_active=False)
            )
            return await self.close_after(bob, change)

        self.assertEqual(asyncio.run(scenario()), CloseCode.ACCESS_REVOKED)
        self.bob.refresh_from_db()
        self.assertFalse(self.bob.is_active)

    def test_logging_out_through_the_other_process_closes_that_session_s_socket_only(self):
        async def scenario():
            laptop = login(self.first.http_url, "bob", PASSWORD)
            on_laptop = await BoardSocket(self.first, self.path, laptop).open()
            on_phone = await BoardSocket(self.first, self.path, login(self.first.http_url, "bob", PASSWORD)).open()
            code = await self.close_after(on_laptop, lambda: post_form(self.second, "/accounts/logout/", laptop, {}))
            ack = await on_phone.command(stroke_message("phone", ref="phone"))
            await on_phone.close()
            return code, ack

        code, ack = asyncio.run(scenario())
        self.assertEqual(code, CloseCode.NOT_AUTHENTICATED)
        self.assertIsNotNone(ack, "bob's other session lost its socket")

    def test_a_member_removed_through_the_other_process_has_nothing_stored_after_the_removal(self):
        async def scenario():
            bob = await BoardSocket(self.first, self.path, login(self.first.http_url, "bob", PASSWORD)).open()
            owner = login(self.second.http_url, "alice", PASSWORD)
            sent = 0

            async def draw():
                nonlocal sent
                while not bob.closed.is_set() and sent < 20000:
                    try:
                        await bob.socket.send(json.dumps(stroke_message(f"s{sent // 20}", chunk=sent % 20)))
                    except websockets.ConnectionClosed:
                        return
                    sent += 1
                    await asyncio.sleep(0.001)

            drawing = asyncio.create_task(draw())
            while len(bob.acks) < 20:
                await asyncio.sleep(0.01)
            remove = lambda: post_form(  # noqa: E731
                self.second, f"/whiteboard/{self.board.slug}/members/remove/", owner, {"username": "bob"}
            )
            code = await self.close_after(bob, remove)
            await drawing
            return code, sent, len(bob.acks)

        code, sent, acked = asyncio.run(scenario())
        self.assertEqual(code, CloseCode.ACCESS_REVOKED)
        removal = BoardEvent.objects.get(board=self.board, type="board.member_removed")
        self.assertFalse(BoardEvent.objects.filter(author=self.bob, seq__gt=removal.seq).exists(),
                         "a command of the removed member was stored after the removal")
        stored = BoardEvent.objects.filter(author=self.bob).count()
        print(f"  removal at seq {removal.seq}: of bob's {sent} chunks, {stored} stored (all before it), {acked} acked")
        self.assertLess(stored, sent, "every chunk was stored: the removal came after the drawing")
