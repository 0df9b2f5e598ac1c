"""
The board's PNG (drawn by the page, as on screen) and its SVG (drawn by the
server) in real Chromium: both files as a person downloads them, decoded
and compared pixel by pixel in the browser. Each stroke is where the page
drew it, as wide and as long in both.
"""

import base64
import json
import time

from tests.browser.base import BrowserTestCase
from tests.browser.test_whiteboard import WhiteboardPages
from whiteboard.models import Stroke

# Compare two pictures of the board (data URLs, 1920 x 1200) on their ink:
# a pixel darker than light grey, or coloured. `unmatched` counts the ink
# pixels of one with no ink of the other within `reach` pixels, each way.
COMPARE = """async ([pngUrl, svgUrl, reach]) => {
  const load = (url) => new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => reject(new Error("could not decode " + url.slice(0, 30)));
    image.src = url;
  });
  const inkOf = async (url) => {
    const canvas = document.createElement("canvas");
    canvas.width = 1920;
    canvas.height = 1200;
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, 1920, 1200);
    context.drawImage(await load(url), 0, 0, 1920, 1200);
    const data = context.getImageData(0, 0, 1920, 1200).data;
    const ink = new Uint8Array(1920 * 1200);
    for (let i = 0; i < ink.length; i += 1) {
      const [r, g, b] = [data[4 * i], data[4 * i + 1], data[4 * i + 2]];
      ink[i] = Math.max(r, g, b) - Math.min(r, g, b) > 40 || r + g + b < 600 ? 1 : 0;
    }
    return ink;
  };
  const [png, svg] = [await inkOf(pngUrl), await inkOf(svgUrl)];
  const near = (ink, x, y) => {
    for (let dy = -reach; dy <= reach; dy += 1) {
      for (let dx = -reach; dx <= reach; dx += 1) {
        const [nx, ny] = [x + dx, y + dy];
        if (nx >= 0 && ny >= 0 && nx < 1920 && ny < 1200 && ink[ny * 1920 + nx]) return true;
      }
    }
    return false;
  };
  const unmatched = (a, b) => {
    let count = 0;
    for (let i = 0; i < a.length; i += 1) if (a[i] && !near(b, i % 1920, Math.floor(i / 1920))) count += 1;
    return count;
  };
  const sum = (ink) => ink.reduce((total, value) => total + value, 0);
  // Ink rows in column x, between y0 and y1: how thick a horizontal stroke is there.
  const thickness = (ink, x, y0, y1) => { let rows = 0; for (let y = y0; y < y1; y += 1) rows += ink[y * 1920 + x]; return rows; };
  // The rightmost ink left of xMax in rows y0..y1: where a stroke drawn rightwards ends.
  const rightEnd = (ink, y0, y1, xMax) => {
    for (let x = xMax; x >= 0; x -= 1) for (let y = y0; y < y1; y += 1) if (ink[y * 1920 + x]) return x;
    return -1;
  };
  window.measure = { png, svg, thickness, rightEnd };
  return { pngInk: sum(png), svgInk: sum(svg), pngOnly: unmatched(png, svg), svgOnly: unmatched(svg, png) };
}"""


def compare_pictures(blank_page, png, svg, *, reach=2):
    """COMPARE's counts for a PNG and an SVG (bytes) of the first sheet, drawn in `blank_page` (about:blank)."""
    return blank_page.evaluate(COMPARE, [
        "data:image/png;base64," + base64.b64encode(png).decode(),
        "data:image/svg+xml;base64," + base64.b64encode(svg).decode(),
        reach,
    ])


class ExportBrowserTests(WhiteboardPages, BrowserTestCase):
    def draw_with_a_stylus(self, page, points, pressures):
        """Drag a pen (pointerType "pen", with pressure) through `points`, fractions of the canvas box."""
        box = page.locator("#board-canvas").bounding_box()
        session = page.context.new_cdp_session(page)
        at = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in points]
        for index, ((x, y), force) in enumerate(zip(at, pressures)):
            kind = "mousePressed" if index == 0 else "mouseMoved"
            session.send("Input.dispatchMouseEvent", {
                "type": kind, "x": x, "y": y, "button": "left", "buttons": 1, "clickCount": 1,
                "pointerType": "pen", "force": force,
            })
        session.send("Input.dispatchMouseEvent", {
            "type": "mouseReleased", "x": at[-1][0], "y": at[-1][1], "button": "left", "clickCount": 1,
            "pointerType": "pen",
        })

    def test_the_png_and_the_svg_draw_every_stroke_alike_at_its_full_width_and_length(self):
        user, page = self.user_page("paula")
        board = self.create_board(page, "Both ways")
        page.click('[data-width="12"]')
        self.draw(page, [(0.2 + 0.02 * i, 0.3) for i in range(11)])  # a straight pen stroke, left to right
        self.draw(page, self.wave(left=0.2, top=0.45, width=0.5, height=0.15))
        self.draw_with_a_stylus(page, [(0.2 + 0.02 * i, 0.7) for i in range(21)], [0.1 + 0.04 * i for i in range(21)])
        page.click('[data-tool="highlighter"]')
        page.click(f'[data-color="{"#f08c00"}"]')
        self.draw(page, self.wave(left=0.55, top=0.2, width=0.3, height=0.2))
        page.click('[data-tool="rect"]')
        self.draw(page, [(0.7, 0.55), (0.82, 0.75)])  # on the first sheet, so both pictures are framed by it
        self.wait_until_stored(board, 5)
        page.wait_for_function("() => document.querySelector('#connection-status').textContent === 'Live'")
        straight, _, stylus = Stroke.objects.filter(board=board, tool="pen").order_by("created_seq")
        self.assertTrue(all(len(point) == 3 for point in json.loads(stylus.points_json)), "the stylus had no pressure")

        with page.expect_download() as download:
            page.click("#export-png")
        png = download.value.path().read_bytes()
        self.assertEqual((int.from_bytes(png[16:20]), int.from_bytes(png[20:24])), (1920, 1200), "not the first sheet")
        with page.expect_download() as download:
            page.click("#export-svg")
        svg = download.value.path().read_bytes()
        self.assertIn(b'viewBox="0 0 1920 1200"', svg)

        compare = self.new_page()  # about:blank: no page policy between the test and the two pictures
        result = compare_pictures(compare, png, svg)
        self.assertGreater(result["pngInk"], 20_000, result)
        for only in ("pngOnly", "svgOnly"):
            self.assertLess(result[only], 0.002 * result["pngInk"], result)
        self.assertLess(abs(result["pngInk"] - result["svgInk"]), 0.03 * result["pngInk"], result)

        # The straight stroke: 12 board pixels thick in both, and it ends where the mouse was let go.
        points = json.loads(straight.points_json)
        y = round(points[0][1] * 1200)
        middle_x = round((points[0][0] + points[-1][0]) / 2 * 1920)
        end_x = round(points[-1][0] * 1920)
        for picture in ("png", "svg"):
            thick = compare.evaluate(f"([x, y]) => measure.thickness(measure.{picture}, x, y - 20, y + 20)", [middle_x, y])
            end = compare.evaluate(f"([y, x]) => measure.rightEnd(measure.{picture}, y - 20, y + 20, x)", [y, end_x + 60])
            with self.subTest(picture=picture):
                self.assertAlmostEqual(thick, 12, delta=1.5)
                self.assertAlmostEqual(end, end_x + 6, delta=2)  # its round cap: half its width past the last point

    def wait_until_stored(self, board, count):
        deadline = time.monotonic() + 10
        while Stroke.objects.filter(board=board).count() < count:
            self.assertLess(time.monotonic(), deadline, "the strokes were not all stored")
            time.sleep(0.05)
