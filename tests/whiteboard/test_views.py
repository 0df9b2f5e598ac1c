import gzip
import json
import re

from django.test import TestCase

from boardsite.collab import services as collab_services
from tests.support import make_user
from tests.whiteboard.helpers import export_svg, path_points, snapshot_strokes, svg_drawing
from whiteboard import services
from whiteboard.models import Board


class BoardPagesTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.bob = make_user("bob")
        self.board = services.board_create(name="Roadmap", owner=self.alice)
        self.client.force_login(self.alice)

    def test_the_list_shows_only_boards_the_user_may_open(self):
        services.board_create(name="Bob's secret", owner=self.bob)
        response = self.client.get("/whiteboard/")
        self.assertContains(response, "Roadmap")
        self.assertNotContains(response, "Bob&#x27;s secret")

    def test_creating_a_board_redirects_to_it(self):
        response = self.client.post("/whiteboard/new/", {"name": "  Retro   ideas "})
        board = Board.objects.get(name="Retro ideas")
        self.assertRedirects(response, f"/whiteboard/{board.slug}/", fetch_redirect_response=False)
        self.assertEqual(board.owner, self.alice)

    def test_a_blank_name_is_refused_with_a_message(self):
        response = self.client.post("/whiteboard/new/", {"name": "   "}, follow=True)
        self.assertContains(response, "Give the board a name.")
        self.assertEqual(Board.objects.count(), 1)

    def test_the_board_page_carries_its_configuration_safely(self):
        board = services.board_create(name="</script><script>alert(1)</script>", owner=self.alice)
        response = self.client.get(f"/whiteboard/{board.slug}/")
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "<script>alert(1)")
        self.assertContains(response, 'id="board-canvas"')
        config = json.loads(re.search(r'id="whiteboard-config"[^>]*>(.*?)</script>', response.content.decode()).group(1))
        self.assertEqual(config["socketPath"], f"/ws/whiteboard/{board.slug}/")
        self.assertEqual(config["me"], "alice")

    def test_the_owner_adds_a_member_who_can_then_open_the_board(self):
        page = f"/whiteboard/{self.board.slug}/"
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(page).status_code, 404)
        self.client.force_login(self.alice)
        self.client.post(f"{page}members/", {"username": "bob"})
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(page).status_code, 200)

    def test_non_members_get_404_everywhere(self):
        self.client.force_login(self.bob)
        for suffix in ("", "snapshot.json", "export.svg"):
            with self.subTest(suffix or "page"):
                self.assertEqual(self.client.get(f"/whiteboard/{self.board.slug}/{suffix}").status_code, 404)
        self.assertEqual(self.client.post(f"/whiteboard/{self.board.slug}/delete/").status_code, 404)
        self.assertTrue(Board.objects.filter(pk=self.board.pk).exists())

    def test_anonymous_visitors_are_sent_to_log_in(self):
        self.client.logout()
        response = self.client.get(f"/whiteboard/{self.board.slug}/snapshot.json")
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/login/", response["Location"])

    def test_only_the_owner_deletes(self):
        collab_services.board_add_member(board=self.board, username="bob", actor=self.alice)
        self.client.force_login(self.bob)
        self.client.post(f"/whiteboard/{self.board.slug}/delete/")
        self.assertTrue(Board.objects.filter(pk=self.board.pk).exists())
        self.client.force_login(self.alice)
        self.client.post(f"/whiteboard/{self.board.slug}/delete/")
        self.assertFalse(Board.objects.filter(pk=self.board.pk).exists())


class SnapshotAndExportTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.board = services.board_create(name='Plan <b>"bold"</b> & co', owner=self.alice)
        services.stroke_add_chunk(
            board=self.board, actor=self.alice, stroke_id="s1", chunk=0, tool="pen", color="#1971c2", width=6,
            points=[[0.1, 0.1], [0.2, 0.3], [0.3, 0.2]],
        )
        services.shape_add(
            board=self.board, actor=self.alice, stroke_id="r1", tool="rect", color="#2f9e44", width=4,
            points=[[0.5, 0.5], [0.25, 0.75]],
        )
        self.client.force_login(self.alice)

    def test_the_snapshot_is_compressed_json_with_the_seq_and_every_point(self):
        services.stroke_add_chunk(
            board=self.board, actor=self.alice, stroke_id="s1", chunk=1, tool="pen", color="#1971c2", width=6,
            points=[[0.35, 0.25, 0.5], [0.4, 0.3, 0.75]],
        )
        response = self.client.get(f"/whiteboard/{self.board.slug}/snapshot.json", HTTP_ACCEPT_ENCODING="gzip, br")
        self.assertEqual(response.status_code, 200, response.content[:300])
        self.assertEqual(response.get("Content-Encoding"), "gzip", response.headers)
        self.assertIn("no-store", response["Cache-Control"])
        self.assertIn("Accept-Encoding", response["Vary"])
        self.assertEqual(json.loads(gzip.decompress(response.content))["seq"], 3)
        self.assertEqual(
            [(stroke["id"], stroke["tool"], stroke["chunks"], stroke["points"]) for stroke in
             snapshot_strokes(gzip.decompress(response.content))],
            [
                ("s1", "pen", 2, [[0.1, 0.1], [0.2, 0.3], [0.3, 0.2], [0.35, 0.25, 0.5], [0.4, 0.3, 0.75]]),
                ("r1", "rect", 1, [[0.5, 0.5], [0.25, 0.75]]),
            ],
        )

    def test_the_snapshot_is_plain_json_for_a_client_that_does_not_take_gzip(self):
        response = self.client.get(f"/whiteboard/{self.board.slug}/snapshot.json")
        self.assertEqual(response.status_code, 200)
        self.assertFalse(response.has_header("Content-Encoding"))
        self.assertEqual([stroke["id"] for stroke in snapshot_strokes(response.content)], ["s1", "r1"])

    def test_the_svg_export_draws_the_strokes_and_escapes_the_name(self):
        response, svg = export_svg(self.client, f"/whiteboard/{self.board.slug}/export.svg")
        self.assertEqual(response["Content-Type"], "image/svg+xml; charset=utf-8")
        self.assertIn("<title>Plan &lt;b&gt;&quot;bold&quot;&lt;/b&gt; &amp; co</title>", svg)
        self.assertNotIn("<b>", svg)
        _, elements = svg_drawing(svg)
        # In half pixels: from (192, 120) curving through (384, 360) to (576, 240), where the pen was lifted.
        self.assertEqual(
            elements[0],
            {**elements[0], "tag": "path", "d": "M384 240q384 480 576 360l192-120", "stroke": "#1971c2", "stroke-width": "12"},
        )
        self.assertEqual(elements[0]["stroke-linecap"], "round")
        self.assertEqual(path_points(elements[0]["d"])[-1], ("L", 576, 240))
        self.assertEqual(
            elements[1],
            {**elements[1], "tag": "rect", "x": "960", "y": "1200", "width": "960", "height": "600", "stroke": "#2f9e44"},
        )

    def test_every_tool_has_its_svg_shape(self):
        for stroke_id, tool, points in (("l1", "line", [[0, 0], [0.5, 0.5]]), ("e1", "ellipse", [[0.5, 0.5], [1, 1]])):
            services.shape_add(
                board=self.board, actor=self.alice, stroke_id=stroke_id, tool=tool, color="#7048e8", width=3, points=points
            )
        services.stroke_add_chunk(
            board=self.board, actor=self.alice, stroke_id="h1", chunk=0, tool="highlighter", color="#fcc419", width=24,
            points=[[0.5, 0.1]],
        )
        _, svg = export_svg(self.client, f"/whiteboard/{self.board.slug}/export.svg")
        _, elements = svg_drawing(svg)
        line, ellipse, highlighter = elements[2:]
        self.assertEqual(line, {**line, "tag": "line", "x1": "0", "y1": "0", "x2": "1920", "y2": "1200", "stroke-width": "6"})
        self.assertEqual(ellipse, {**ellipse, "tag": "ellipse", "cx": "2880", "cy": "1800", "rx": "960", "ry": "600"})
        self.assertEqual(
            highlighter,
            {**highlighter, "tag": "path", "d": "M1920 240l0 0", "stroke-width": "48", "stroke-opacity": "0.45"},
        )

    def test_erased_strokes_are_not_exported(self):
        services.strokes_erase(board=self.board, actor=self.alice, stroke_ids=["s1"])
        _, svg = export_svg(self.client, f"/whiteboard/{self.board.slug}/export.svg")
        self.assertNotIn("#1971c2", svg)
        self.assertIn("#2f9e44", svg)

    def test_the_export_can_be_downloaded(self):
        response = self.client.get(f"/whiteboard/{self.board.slug}/export.svg?download")
        self.assertEqual(response["Content-Disposition"], f'attachment; filename="{self.board.slug}.svg"')
