from asgiref.sync import sync_to_async
from django.test import TestCase, TransactionTestCase
from django.urls import reverse

from boardsite.collab.consumers import CloseCode
from tests.support import make_user, receive_until
from tests.whiteboard.helpers import closed_with, join
from whiteboard import services
from whiteboard.models import Board, BoardEvent


class WhiteboardAdminTests(TestCase):
    def setUp(self):
        self.admin = make_user("root", is_staff=True, is_superuser=True)
        self.alice = make_user("alice")
        self.board = services.board_create(name="Sketches", owner=self.alice)
        for stroke_id in ("s1", "s2", "s3"):
            services.stroke_add_chunk(
                board=self.board, actor=self.alice, stroke_id=stroke_id, chunk=0, tool="pen", color="#000000", width=4,
                points=[[0.1, 0.1]],
            )
        services.strokes_erase(board=self.board, actor=self.alice, stroke_ids=["s3"])
        self.client.force_login(self.admin)

    def test_the_board_list_shows_owner_stroke_count_and_finds_boards_by_member_or_name(self):
        response = self.client.get("/admin/whiteboard/board/?q=sketch")
        self.assertContains(response, "Sketches")
        self.assertContains(response, '<td class="field-stroke_count">2</td>', html=True)
        self.assertNotContains(self.client.get("/admin/whiteboard/board/?q=nothing-like-it"), "Sketches")

    def test_the_stroke_history_is_readable_but_not_editable(self):
        event = BoardEvent.objects.filter(board=self.board).first()
        self.assertContains(self.client.get(f"/admin/whiteboard/boardevent/?board__id__exact={self.board.pk}"), "erase")
        self.assertEqual(self.client.get("/admin/whiteboard/boardevent/add/").status_code, 403)
        self.client.post(f"/admin/whiteboard/boardevent/{event.pk}/change/", {"type": "forged"})
        event.refresh_from_db()
        self.assertEqual(event.type, "stroke")
        self.assertEqual(self.client.get(f"/admin/whiteboard/board/{self.board.pk}/change/").status_code, 200)


class AdminEditsReachOpenBoardsTests(TransactionTestCase):
    """What a staff member changes on a whiteboard in the admin reaches the people who have it open."""

    def setUp(self):
        self.admin = make_user("root", is_staff=True, is_superuser=True)
        self.alice = make_user("alice")
        self.bob = make_user("bob")
        self.board = services.board_create(name="Sketches", owner=self.alice)
        self.board.members.add(self.bob)
        self.client.force_login(self.admin)

    def change_board(self, **fields):
        data = {"name": self.board.name, "owner": self.alice.pk, "members": [self.bob.pk], **fields}
        response = self.client.post(reverse("admin:whiteboard_board_change", args=[self.board.pk]), data)
        self.assertEqual(response.status_code, 302, response.content.decode()[:2000])

    async def test_a_rename_in_the_admin_appears_on_the_open_board_marked_as_made_there(self):
        socket, _ = await join(self.board, self.bob)
        await sync_to_async(self.change_board)(name="Sketches, tidied")
        renamed, _ = await receive_until(socket, "board.renamed")
        self.assertEqual((renamed["name"], renamed["via"]), ("Sketches, tidied", "admin"))
        await socket.disconnect()

    async def test_a_member_removed_in_the_admin_loses_the_open_board_at_once(self):
        bob, _ = await join(self.board, self.bob)
        alice, _ = await join(self.board, self.alice)
        await sync_to_async(self.change_board)(members=[])
        self.assertEqual(await closed_with(bob), CloseCode.ACCESS_REVOKED)
        removed, _ = await receive_until(alice, "board.member_removed")
        self.assertEqual((removed["member"]["username"], removed["via"]), ("bob", "admin"))
        await alice.send_json_to({"type": "sync", "since": 0, "ref": "still-here"})
        synced, _ = await receive_until(alice, "synced")
        self.assertEqual(synced["ref"], "still-here", "the owner stays connected")
        await alice.disconnect()

    async def test_a_board_deleted_in_the_admin_closes_its_open_connections(self):
        socket, _ = await join(self.board, self.bob)
        url = reverse("admin:whiteboard_board_delete", args=[self.board.pk])
        response = await sync_to_async(self.client.post)(url, {"post": "yes"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(await closed_with(socket), CloseCode.BOARD_NOT_FOUND)
        self.assertFalse(await Board.objects.filter(pk=self.board.pk).aexists())
