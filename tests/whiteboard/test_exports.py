"""
The SVG export: how a stroke is drawn (whiteboard.geometry), and the export
endpoint's streaming, caching per seq, ETag and limit (whiteboard.exports).
The page draws with the same geometry; tests/browser/test_exports.py checks
that the screen's PNG and the SVG agree in Chromium.
"""

import random
import zlib

from asgiref.sync import sync_to_async
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext

from bench import fixtures
from boardsite.collab import services as collab_services
from tests.support import make_user, use_a_fresh_cache
from tests.whiteboard.helpers import export_svg, path_points, svg_drawing
from whiteboard import services
from whiteboard.geometry import centerline_path_data, whole_pixels, stroke_runs


def expected_points(points):
    """What the midpoint curves pass through and are pulled by, in order (board pixels, whole)."""
    xs, ys = [round(x) for x, _ in points], [round(y) for _, y in points]
    if len(points) == 1:
        return [("M", xs[0], ys[0]), ("L", xs[0], ys[0])]
    if len(points) == 2:
        return [("M", xs[0], ys[0]), ("L", xs[1], ys[1])]
    expected = [("M", xs[0], ys[0])]
    for index in range(1, len(points) - 1):
        letter = "Q" if index == 1 else "T"
        expected += [("control", xs[index], ys[index]), (letter, (xs[index] + xs[index + 1]) / 2, (ys[index] + ys[index + 1]) / 2)]
    return expected + [("L", xs[-1], ys[-1])]


class GeometryTests(TestCase):
    def test_a_centre_line_passes_through_every_midpoint_and_ends_where_the_pen_was_lifted(self):
        rng = random.Random(7)
        for count in (1, 2, 3, 4, 50, 500):
            for _ in range(20):
                points = [(rng.uniform(0, 1920), rng.uniform(0, 1200)) for _ in range(count)]
                d = centerline_path_data(whole_pixels([x for x, _ in points], 1), whole_pixels([y for _, y in points], 1))
                with self.subTest(count=count, d=d[:60]):
                    self.assertEqual(path_points(d), expected_points(points))

    def test_a_long_stroke_drifts_by_nothing(self):
        # 20,000 tiny steps: relative path data made of rounded steps would drift; rounded points do not.
        points = [(100 + 0.3 * i % 1700, 100 + 0.17 * i % 1000) for i in range(20_000)]
        d = centerline_path_data(whole_pixels([x for x, _ in points], 1), whole_pixels([y for _, y in points], 1))
        self.assertEqual(path_points(d)[-1], ("L", round(points[-1][0]), round(points[-1][1])))

    def test_path_data_is_compact(self):
        points = [(500 + 3 * i, 400 + 2 * i + (i % 3)) for i in range(100)]
        d = centerline_path_data(whole_pixels([x for x, _ in points], 1), whole_pixels([y for _, y in points], 1))
        self.assertLess(len(d) / len(points), 6, d)

    def test_a_pen_with_pressure_is_drawn_in_runs_of_one_width_that_join(self):
        pressures = [0.5, 0.5, 0.52, 0.75, 0.75, 0.75, 1.0, None, 0.0]
        runs = stroke_runs(tool="pen", width=8, count=len(pressures), pressures=pressures)
        # 0.52 rounds to the same eighth as 0.5; a change at the last point leaves nothing to draw at its width.
        self.assertEqual(runs, [(8.0, 0, 4), (10.0, 3, 7), (12.0, 6, 8), (8.0, 7, 9)])
        for (_, _, stop), (_, start, _) in zip(runs, runs[1:]):
            self.assertEqual(start, stop - 1, "a run starts at the point where the one before ends")

    def test_without_pressure_or_with_a_highlighter_a_stroke_is_one_line(self):
        self.assertEqual(stroke_runs(tool="pen", width=6, count=5), [(6, 0, 5)])
        self.assertEqual(stroke_runs(tool="highlighter", width=24, count=3, pressures=[0.1, 0.9, 0.5]), [(24, 0, 3)])


def draw(board, user, stroke_id, points, *, chunk=0, width=6, tool="pen"):
    services.stroke_add_chunk(
        board=board, actor=user, stroke_id=stroke_id, chunk=chunk, tool=tool, color="#1971c2", width=width, points=points
    )


class ExportEndpointTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.board = services.board_create(name="Exported", owner=self.alice)
        draw(self.board, self.alice, "s1", [[0.1, 0.1], [0.2, 0.2]])
        self.url = f"/whiteboard/{self.board.slug}/export.svg"
        self.client.force_login(self.alice)
        use_a_fresh_cache(self)  # each test's exports count apart

    def test_gzip_and_plain_clients_get_the_same_drawing(self):
        zipped, zipped_svg = export_svg(self.client, self.url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        plain, plain_svg = export_svg(self.client, self.url)
        self.assertEqual(zipped["Content-Encoding"], "gzip")
        self.assertFalse(plain.has_header("Content-Encoding"))
        self.assertEqual(zipped_svg, plain_svg)
        self.assertIn("Accept-Encoding", zipped["Vary"])

    def test_the_etag_names_the_seq_so_an_unchanged_board_is_a_304_and_a_changed_one_is_drawn_again(self):
        first, _ = export_svg(self.client, self.url)
        self.assertIn("no-cache", first["Cache-Control"])
        self.assertIn("private", first["Cache-Control"])
        again = self.client.get(self.url, HTTP_IF_NONE_MATCH=first["ETag"])
        self.assertEqual(again.status_code, 304)
        draw(self.board, self.alice, "s2", [[0.7, 0.7], [0.8, 0.9]])
        changed, svg = export_svg(self.client, self.url, HTTP_IF_NONE_MATCH=first["ETag"])
        self.assertEqual(changed.status_code, 200)
        self.assertNotEqual(changed["ETag"], first["ETag"])
        self.assertEqual(len(svg_drawing(svg)[1]), 2)

    def test_an_export_made_once_is_served_again_without_reading_a_stroke(self):
        export_svg(self.client, self.url, HTTP_ACCEPT_ENCODING="gzip")
        with CaptureQueriesContext(connection) as queries:
            response, svg = export_svg(self.client, self.url, HTTP_ACCEPT_ENCODING="gzip")
        self.assertEqual(response.status_code, 200)
        self.assertIn("M384 240", svg)
        self.assertFalse([query["sql"] for query in queries if "whiteboard_stroke" in query["sql"]])

    def test_a_stroke_still_being_drawn_at_a_seq_shows_only_the_chunks_it_had(self):
        draw(self.board, self.alice, "s1", [[0.3, 0.1], [0.4, 0.2]], chunk=1)  # seq 2
        _, at_one = export_svg(self.client, self.url + "?seq=1")
        _, now = export_svg(self.client, self.url)
        (early,), (whole,) = svg_drawing(at_one)[1], svg_drawing(now)[1]
        self.assertEqual(path_points(early["d"])[-1], ("L", 384, 240))
        self.assertEqual(path_points(whole["d"])[-1], ("L", 768, 240))

    def test_a_pressure_stroke_is_exported_in_runs_of_its_widths(self):
        draw(self.board, self.alice, "p1", [[0.5, 0.5, 0.5], [0.6, 0.5, 0.5], [0.7, 0.5, 1.0], [0.8, 0.5, 1.0]], width=8)
        _, svg = export_svg(self.client, self.url)
        runs = svg_drawing(svg)[1][1:]
        # Widths in half pixels: 8 and then 12 board pixels.
        self.assertEqual([(run["stroke-width"], path_points(run["d"])[0][1:], path_points(run["d"])[-1][1:]) for run in runs],
                         [("16", (960, 600), (1344, 600)), ("24", (1344, 600), (1536, 600))])

    @override_settings(WHITEBOARD_EXPORTS_PER_MINUTE=2)
    def test_drawing_many_seqs_is_limited_but_a_seq_already_made_is_not(self):
        draw(self.board, self.alice, "s2", [[0.7, 0.7]])  # seq 2
        for seq in (0, 1):
            self.assertEqual(export_svg(self.client, f"{self.url}?seq={seq}")[0].status_code, 200)
        refused = self.client.get(f"{self.url}")
        self.assertEqual(refused.status_code, 429)
        self.assertIn("try again in", refused.content.decode())
        self.assertGreaterEqual(int(refused["Retry-After"]), 1)
        self.assertEqual(export_svg(self.client, f"{self.url}?seq=1")[0].status_code, 200)

    def test_a_renamed_board_is_exported_again_with_its_new_name(self):
        first, _ = export_svg(self.client, self.url)
        collab_services.board_rename(board=self.board, name="Renamed <plan>", actor=self.alice)
        renamed, svg = export_svg(self.client, self.url, HTTP_IF_NONE_MATCH=first["ETag"])
        self.assertEqual(renamed.status_code, 200)
        self.assertIn("<title>Renamed &lt;plan&gt;</title>", svg)


class ExportStreamingTests(TestCase):
    """The export is sent a batch of strokes at a time, as it is drawn, never built whole first."""

    async def test_a_large_export_arrives_in_pieces(self):
        alice = await sync_to_async(make_user)("alice")
        board = await sync_to_async(services.board_create)(name="Big", owner=alice)
        await sync_to_async(fixtures.fill_whiteboard)(board, strokes=2500, points=20, author=alice)
        await self.async_client.aforce_login(alice)
        response = await self.async_client.get(f"/whiteboard/{board.slug}/export.svg", headers={"Accept-Encoding": "gzip"})
        self.assertTrue(response.streaming)
        pieces = [piece async for piece in response.streaming_content]
        self.assertGreaterEqual(len([piece for piece in pieces if piece]), 3, "one piece per 1,000 strokes at least")
        svg = zlib.decompress(b"".join(pieces), 16 + zlib.MAX_WBITS).decode()
        self.assertEqual(svg.count("<path"), 2500)
