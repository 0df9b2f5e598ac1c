from django.test import TestCase

from tests.support import make_user
from whiteboard import services
from whiteboard.models import BoardEvent


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
