"""
Access follows the session live: a change sent on a connection is checked
again under the board's lock when it is applied, so a user deactivated,
deleted or taken off the board since the connection opened has nothing
applied, and the connection is closed with 4403.
"""

import asyncio
import json

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, TestCase, TransactionTestCase, override_settings
from django.urls import reverse

from boardsite.asgi import application
from boardsite.collab import services as collab_services
from boardsite.collab.consumers import CloseCode
from boardsite.collab.errors import ActionError
from kanban import services as kanban_services
from tests.kanban.helpers import columns_of
from tests.support import admin_user_form, make_user, receive_frame, receive_until
from tests.whiteboard.helpers import join, stroke_message
from whiteboard import services as whiteboard_services
from whiteboard.models import Board, BoardEvent

ORIGIN = "a-connection"


def chunk(user, stroke_id, number, *, origin=ORIGIN):
    return whiteboard_services.ChunkCommand(
        actor=user, stroke_id=stroke_id, chunk=number, tool="pen", color="#112233", width=3, points=[[0.1, 0.1]],
        origin=origin,
    )


async def closed_with(communicator, timeout=3):
    """Read until the server closes the socket; its close code."""
    while True:
        output = await communicator.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output.get("code")


class ChangesCheckAccessUnderTheLockTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.bob = make_user("bob")
        self.whiteboard = whiteboard_services.board_create(name="Sketches", owner=self.alice)
        self.kanban = kanban_services.board_create(name="Plans", owner=self.alice)
        for board in (self.whiteboard, self.kanban):
            board.members.add(self.bob)

    def assert_refused(self, service, **kwargs):
        with self.assertRaises(ActionError) as refused:
            service(**kwargs)
        self.assertEqual(refused.exception.code, collab_services.ACCESS_REVOKED)

    def test_a_removed_member_s_commands_are_refused_on_both_apps(self):
        for board in (self.whiteboard, self.kanban):
            board.members.remove(self.bob)
        self.assert_refused(
            whiteboard_services.shape_add, board=self.whiteboard, actor=self.bob, stroke_id="r1", tool="rect",
            color="#000000", width=2, points=[[0.1, 0.1], [0.2, 0.2]], origin=ORIGIN,
        )
        self.assert_refused(
            kanban_services.card_create, board=self.kanban, column_id=columns_of(self.kanban)["To do"].pk,
            title="late", actor=self.bob, origin=ORIGIN,
        )
        self.assertFalse(BoardEvent.objects.filter(author=self.bob).exists())
        self.assertFalse(self.kanban.cards.exists())

    def test_a_deactivated_or_deleted_user_s_commands_are_refused(self):
        get_user_model().objects.filter(pk=self.bob.pk).update(is_active=False)
        self.assert_refused(whiteboard_services.board_clear, board=self.whiteboard, actor=self.bob, origin=ORIGIN)
        carol = make_user("carol")
        collab_services.board_set_shared(board=self.kanban, shared=True, actor=self.alice)
        carol_in_memory = get_user_model().objects.get(pk=carol.pk)
        carol.delete()
        self.assert_refused(
            kanban_services.column_create, board=self.kanban, title="Carol's", actor=carol_in_memory, origin=ORIGIN,
        )

    def test_un_sharing_refuses_users_who_were_only_there_because_it_was_shared(self):
        carol = make_user("carol")
        collab_services.board_set_shared(board=self.whiteboard, shared=True, actor=self.alice)
        whiteboard_services.stroke_chunks_add(board=self.whiteboard, commands=[chunk(carol, "c", 0)])
        collab_services.board_set_shared(board=self.whiteboard, shared=False, actor=self.alice)
        (result,) = whiteboard_services.stroke_chunks_add(board=self.whiteboard, commands=[chunk(carol, "c", 1)])
        self.assertEqual(result.code, collab_services.ACCESS_REVOKED)

    def test_a_batch_refuses_only_the_chunks_of_the_user_who_lost_access(self):
        carol = make_user("carol")
        self.whiteboard.members.add(carol)
        self.whiteboard.members.remove(self.bob)
        commands = [chunk(self.bob, "b", 0), chunk(carol, "c", 0), chunk(self.bob, "b", 1), chunk(self.alice, "a", 0)]
        results = whiteboard_services.stroke_chunks_add(board=self.whiteboard, commands=commands)
        self.assertEqual([getattr(result, "code", None) for result in results],
                         [collab_services.ACCESS_REVOKED, None, collab_services.ACCESS_REVOKED, None])
        self.assertEqual(list(BoardEvent.objects.order_by("seq").values_list("author__username", flat=True)),
                         ["carol", "alice"])

    def test_changes_made_elsewhere_than_a_connection_are_authorised_by_their_own_entry_point(self):
        """The admin makes changes as staff who need not be on the board: no `origin`, no check here."""
        staff = make_user("root", is_staff=True, is_superuser=True)
        frame = kanban_services.column_create(board=self.kanban, title="From the admin", actor=staff)
        self.assertEqual(frame.details["column"]["title"], "From the admin")


class RefusedCommandClosesTheSocketTests(TransactionTestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.bob = make_user("bob")
        self.board = whiteboard_services.board_create(name="Sketches", owner=self.alice)
        self.board.members.add(self.bob)

    async def test_a_user_deactivated_without_a_signal_is_closed_at_the_next_command(self):
        """A bulk update() sends no signal, so nothing closes the socket at once; its next command does."""
        bob, _ = await join(self.board, self.bob)
        await get_user_model().objects.filter(pk=self.bob.pk).aupdate(is_active=False)
        await bob.send_json_to(stroke_message("late", ref="late"))
        error = await receive_frame(bob)
        self.assertEqual((error["type"], error["ref"], error["code"]), ("error", "late", "access_revoked"))
        self.assertEqual(await closed_with(bob), CloseCode.ACCESS_REVOKED)
        self.assertFalse(await BoardEvent.objects.filter(author=self.bob).aexists())


@override_settings(REALTIME_RATE_PER_SECOND=100000, REALTIME_RATE_BURST=100000,
                   REALTIME_USER_RATE_PER_SECOND=100000, REALTIME_USER_RATE_BURST=100000)
class RemovalDuringAStreamOfCommandsTests(TransactionTestCase):
    """
    A member draws without waiting for acks (pipelined stroke chunks, with
    shapes between them) and goes on until their socket is closed, while the
    owner removes them: nothing of theirs is stored after the removal.
    Whatever the interleaving, each command commits before the removal or is
    refused after it.
    """

    def setUp(self):
        self.alice = make_user("alice")
        self.bob = make_user("bob")
        self.board = whiteboard_services.board_create(name="Sketches", owner=self.alice)
        self.board.members.add(self.bob)

    async def test_nothing_authored_by_a_removed_member_has_a_seq_after_the_removal(self):
        bob, _ = await join(self.board, self.bob)
        acked, errors, drawing_is_under_way, closed = [], [], asyncio.Event(), asyncio.Event()

        async def draw():
            number = 0
            while not closed.is_set() and number < 20000:
                if number % 25 == 24:
                    message = {"type": "shape", "id": f"r{number}", "shape": "rect", "color": "#000000", "width": 2,
                               "points": [[0.1, 0.1], [0.3, 0.3]], "ref": f"c{number}"}
                else:
                    message = stroke_message(f"s{number // 25}", chunk=number % 25, ref=f"c{number}")
                await bob.send_json_to(message)
                number += 1
                await asyncio.sleep(0)
            return number

        async def read():
            while True:
                output = await bob.receive_output(timeout=5)
                if output["type"] == "websocket.close":
                    closed.set()
                    return output["code"]
                if '"type":"error"' in output["text"]:
                    errors.append(output["text"])
                if '"type":"ack"' in output["text"]:
                    acked.append(output["text"])
                    if len(acked) == 20:
                        drawing_is_under_way.set()

        drawing = asyncio.create_task(draw())
        reading = asyncio.create_task(read())
        await asyncio.wait_for(drawing_is_under_way.wait(), 10)
        await database_sync_to_async(collab_services.board_remove_member)(
            board=self.board, username="bob", actor=self.alice
        )
        self.assertEqual(await reading, CloseCode.ACCESS_REVOKED)
        # Every refusal was for the removal, or for a chunk whose stroke it stopped: none for a bad message.
        codes = {json.loads(text)["code"] for text in errors}
        self.assertLessEqual(codes, {"access_revoked", "chunk_out_of_order", "stroke_gone"}, errors[:3])
        sent = await drawing
        removal = await BoardEvent.objects.aget(board=self.board, type="board.member_removed")
        after = [event async for event in BoardEvent.objects.filter(author=self.bob, seq__gt=removal.seq)]
        self.assertEqual(after, [], "a command of the removed member was applied after the removal")
        stored = await BoardEvent.objects.filter(author=self.bob).acount()
        print(f"\nremoval at seq {removal.seq}: of bob's {sent} commands, {stored} stored (all before it), "
              f"{len(acked)} acked")
        self.assertLess(stored, sent, "every command was stored: the removal came after the drawing")


class BrowserSession:
    """A logged-in browser: its HTTP client and websockets opened with the same session cookie."""

    def __init__(self, user):
        self.client = Client()
        self.client.force_login(user)
        self.cookie = f"{settings.SESSION_COOKIE_NAME}={self.client.cookies[settings.SESSION_COOKIE_NAME].value}"

    async def open(self, path):
        """A connected, synced websocket of this browser's session on `path`."""
        socket = WebsocketCommunicator(application, path, headers=[(b"host", b"localhost"), (b"origin", b"http://localhost"),
                                                                  (b"cookie", self.cookie.encode())])
        connected, code = await socket.connect()
        assert connected, f"refused with {code}"
        hello = await receive_frame(socket)
        await socket.send_json_to({"type": "sync", "since": hello["seq"]})
        await receive_until(socket, "synced")
        return socket


async def still_open(socket):
    """The socket answers a sync: the server has not closed it."""
    await socket.send_json_to({"type": "sync", "since": 0, "ref": "still-open"})
    while True:
        output = await socket.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            return False
        if '"ref":"still-open"' in output["text"] and '"type":"synced"' in output["text"]:
            return True


class ChangesOfAccessCloseOpenSocketsTests(TransactionTestCase):
    """Every way access ends closes the sockets concerned at once, and only those."""

    def setUp(self):
        self.alice = make_user("alice")
        self.bob = make_user("bob")
        self.board = whiteboard_services.board_create(name="Sketches", owner=self.alice)
        self.board.members.add(self.bob)
        self.kanban = kanban_services.board_create(name="Plans", owner=self.alice)
        self.kanban.members.add(self.bob)
        self.path = f"/ws/whiteboard/{self.board.slug}/"

    async def browser(self, user):
        return await database_sync_to_async(BrowserSession)(user)

    async def test_logging_out_closes_that_session_s_sockets_only(self):
        laptop, phone, owner = await self.browser(self.bob), await self.browser(self.bob), await self.browser(self.alice)
        on_laptop = [await laptop.open(self.path), await laptop.open(f"/ws/kanban/{self.kanban.slug}/")]
        on_phone, alice = await phone.open(self.path), await owner.open(self.path)
        response = await database_sync_to_async(laptop.client.post)("/accounts/logout/")
        self.assertEqual(response.status_code, 302)
        for socket in on_laptop:
            self.assertEqual(await closed_with(socket), CloseCode.NOT_AUTHENTICATED)
        self.assertTrue(await still_open(on_phone), "bob's phone, another session, was closed")
        self.assertTrue(await still_open(alice))

    async def test_deactivating_a_user_closes_their_sockets_on_both_apps(self):
        browser = await self.browser(self.bob)
        sockets = [await browser.open(self.path), await browser.open(f"/ws/kanban/{self.kanban.slug}/")]
        alice = await (await self.browser(self.alice)).open(self.path)
        self.bob.is_active = False
        await database_sync_to_async(self.bob.save)()
        for socket in sockets:
            self.assertEqual(await closed_with(socket), CloseCode.ACCESS_REVOKED)
        self.assertTrue(await still_open(alice))

    async def test_deactivating_a_user_in_the_admin_closes_their_sockets(self):
        socket = await (await self.browser(self.bob)).open(self.path)
        staff = await self.browser(await database_sync_to_async(make_user)("root", is_staff=True, is_superuser=True))
        response = await database_sync_to_async(staff.client.post)(
            reverse("admin:auth_user_change", args=[self.bob.pk]), admin_user_form(self.bob, is_active=False),
        )
        self.assertEqual(response.status_code, 302, response.content.decode()[:2000])
        self.assertEqual(await closed_with(socket), CloseCode.ACCESS_REVOKED)

    async def test_deleting_a_user_closes_their_sockets_and_those_on_their_boards(self):
        bob = await (await self.browser(self.bob)).open(self.path)
        on_alices_board = await (await self.browser(self.alice)).open(self.path)
        carol = await database_sync_to_async(make_user)("carol")
        carols_board = await database_sync_to_async(whiteboard_services.board_create)(name="Carol's", owner=carol)
        await carols_board.members.aadd(self.bob)
        bob_on_carols = await (await self.browser(self.bob)).open(f"/ws/whiteboard/{carols_board.slug}/")
        await database_sync_to_async(carol.delete)()
        self.assertEqual(await closed_with(bob_on_carols), CloseCode.BOARD_NOT_FOUND, "her board went with her")
        self.assertTrue(await still_open(bob))
        await database_sync_to_async(self.bob.delete)()
        self.assertEqual(await closed_with(bob), CloseCode.ACCESS_REVOKED)
        self.assertTrue(await still_open(on_alices_board))

    async def test_taking_a_member_off_the_board_from_either_side_closes_their_socket(self):
        carol = await database_sync_to_async(make_user)("carol")
        await self.board.members.aadd(carol)
        bob = await (await self.browser(self.bob)).open(self.path)
        carol_socket = await (await self.browser(carol)).open(self.path)
        await self.board.members.aremove(self.bob)  # no service, no event: still closed
        self.assertEqual(await closed_with(bob), CloseCode.ACCESS_REVOKED)
        self.assertTrue(await still_open(carol_socket))
        await carol.whiteboard_boards.aclear()  # from the user's side
        self.assertEqual(await closed_with(carol_socket), CloseCode.ACCESS_REVOKED)

    async def test_un_sharing_closes_the_sockets_of_those_who_were_there_only_because_it_was_shared(self):
        carol = await database_sync_to_async(make_user)("carol")
        await database_sync_to_async(collab_services.board_set_shared)(board=self.board, shared=True, actor=self.alice)
        carol_socket = await (await self.browser(carol)).open(self.path)
        bob = await (await self.browser(self.bob)).open(self.path)
        await database_sync_to_async(collab_services.board_set_shared)(board=self.board, shared=False, actor=self.alice)
        self.assertEqual(await closed_with(carol_socket), CloseCode.ACCESS_REVOKED)
        self.assertTrue(await still_open(bob), "a member stays")

    async def test_deleting_boards_in_bulk_closes_their_sockets(self):
        bob = await (await self.browser(self.bob)).open(self.path)
        await Board.objects.filter(pk=self.board.pk).adelete()
        self.assertEqual(await closed_with(bob), CloseCode.BOARD_NOT_FOUND)

