"""
Texts, sticky notes, styled shapes and the unbounded canvas in real
Chromium, for two people: written or drawn by one, seen live by the other,
undone and redone across a reload, in the time-lapse and in both exports.
"""

import io
import re
import time

from PIL import Image

from playwright.sync_api import expect

from tests.browser.base import COUNT_PIXELS, BrowserTestCase, outside_the_event_loop, touch_finger
from tests.browser.test_exports import compare_pictures
from tests.browser.test_kanban_depth import on_a_phone_and_desk
from tests.browser.test_whiteboard import RED, RED_RGB, WhiteboardPages
from whiteboard import services
from whiteboard.models import Move, Stroke

NOTE_RGB = [0xFF, 0xF3, 0xBF]  # a note written in ink is yellow


def pixels(page, rgb):
    return page.evaluate(COUNT_PIXELS, rgb)


def wait_for_pixels(page, rgb, *, more_than=None, none=False):
    condition = "=== 0" if none else f"> {more_than}"
    page.wait_for_function(f"() => ({COUNT_PIXELS})({rgb}) {condition}", timeout=10_000)


def stored(board, count=1, **filters):
    """The board's elements matching `filters`, once there are `count` (the page sends, the server stores)."""
    deadline = time.monotonic() + 10
    while len(elements := list(Stroke.objects.filter(board=board, **filters).order_by("created_seq"))) < count:
        assert time.monotonic() < deadline, f"fewer than {count} stored matching {filters}"
        time.sleep(0.05)
    return elements


class AliceAndBobOnTheBoard:
    """Alice, who owns the board `make_board` makes, and bob, a member, each with it open in a browser of their own."""

    def setUp(self):
        self.alice, self.alice_page = self.user_page("alice")
        self.bob, self.bob_page = self.user_page("bob")
        self.board = outside_the_event_loop(self.make_board)
        for page in (self.alice_page, self.bob_page):
            self.open_board(page, self.board)


class WhiteboardElementsBrowserTests(AliceAndBobOnTheBoard, WhiteboardPages, BrowserTestCase):
    def red_span(self, page):
        return page.evaluate(RED_SPAN, RED_RGB)

    def make_board(self):
        board = services.board_create(name="Elements", owner=self.alice)
        board.members.add(self.bob)
        return board

    def click_canvas(self, page, x, y):
        box = page.locator("#board-canvas").bounding_box()
        page.mouse.click(box["x"] + x * box["width"], box["y"] + y * box["height"])

    def wait_until_saved(self, page):
        expect(page.locator("#connection-status")).to_have_text("Live")

    def test_a_note_and_a_text_are_written_in_place_seen_live_and_undone_across_a_reload(self):
        alice, bob = self.alice_page, self.bob_page
        alice.click('[data-tool="note"]')
        self.click_canvas(alice, 0.35, 0.3)
        editor = alice.locator(".wb-text-editor")
        expect(editor).to_be_focused()
        alice.keyboard.type("Buy milk")
        alice.keyboard.press("Enter")
        alice.keyboard.type("Call <b>Bob</b>")
        alice.keyboard.press("Escape")
        expect(editor).to_have_count(0)
        (note,) = stored(self.board, tool="note")
        self.assertEqual(note.props, {"text": "Buy milk\nCall <b>Bob</b>", "size": 24, "align": "left", "fill": "#fff3bf"})
        self.assertEqual(note.author, self.alice)
        wait_for_pixels(bob, NOTE_RGB, more_than=5000)  # at least a 200 px square note, at bob's zoom

        alice.click('[data-tool="text"]')
        alice.click('[data-text-size="64"]')
        alice.click('[data-align="center"]')
        self.click_canvas(alice, 0.6, 0.6)
        expect(alice.locator(".wb-text-editor")).to_be_focused()
        alice.keyboard.type("Hello")
        self.click_canvas(alice, 0.2, 0.8)  # writing elsewhere finishes the first; a blank one is dropped
        alice.keyboard.press("Escape")
        (text,) = stored(self.board, tool="text")
        self.assertEqual(text.props, {"text": "Hello", "size": 64, "align": "center"})
        self.assertGreater(text.max_x - text.min_x, 0.05, "the box holds five letters 64 px high")
        self.wait_until_saved(alice)
        self.screenshot(alice, "whiteboard-note-and-text.png")

        alice.reload()
        alice.wait_for_selector("#connection-status[data-state=live]")
        wait_for_pixels(alice, NOTE_RGB, more_than=5000)  # drawn from the snapshot
        alice.keyboard.press("Control+z")  # the text
        alice.keyboard.press("Control+z")  # the note
        wait_for_pixels(bob, NOTE_RGB, none=True)
        self.assertEqual(Stroke.objects.filter(board=self.board, hidden=False).count(), 0)
        alice.keyboard.press("Control+Shift+z")
        wait_for_pixels(bob, NOTE_RGB, more_than=5000)
        note.refresh_from_db()
        self.assertFalse(note.hidden)

        # In the time-lapse: one event back from the redo, the note is gone again.
        bob.click("#history-open")
        expect(bob.locator('[data-history="when"]')).not_to_have_text("")
        expect(bob.locator('[data-history="position"]')).to_have_text(re.compile(r"#\d+"))
        bob.click('[data-history="back"]')
        wait_for_pixels(bob, NOTE_RGB, none=True)
        bob.click('[data-history="forward"]')
        wait_for_pixels(bob, NOTE_RGB, more_than=5000)

        svg = self.client_svg()
        self.assertIn("Call &lt;b&gt;Bob&lt;/b&gt;", svg)
        self.assertIn('fill="#fff3bf"', svg)

    def client_svg(self):
        """The board's SVG export as alice's browser downloads it."""
        response = self.alice_page.request.get(f"{self.live_server_url}/whiteboard/{self.board.slug}/export.svg")
        self.assertEqual(response.status, 200)
        return response.text()

    def test_styled_shapes_are_drawn_alike_live_in_the_png_and_in_the_svg(self):
        alice, bob = self.alice_page, self.bob_page
        alice.click(f'[data-color="{RED}"]')
        alice.click('[data-tool="diamond"]')
        expect(alice.locator("#shape-style")).to_be_visible()
        expect(alice.locator("#text-style")).to_be_hidden()
        alice.click('[data-fill="solid"]')
        alice.click('[data-dash="dashed"]')
        self.draw(alice, [(0.3, 0.3), (0.45, 0.55)])
        (diamond,) = stored(self.board, tool="diamond")
        self.assertEqual(diamond.props, {"fill": RED, "dash": "dashed"})
        wait_for_pixels(bob, RED_RGB, more_than=3000)  # filled, not only outlined

        alice.click('[data-tool="arrow"]')
        expect(alice.locator('[data-fill="solid"]')).to_be_disabled()  # a line has nothing to fill
        self.draw(alice, [(0.5, 0.7), (0.7, 0.4)])
        alice.click('[data-tool="ellipse"]')
        alice.click('[data-fill="tint"]')
        alice.click('[data-opacity="0.5"]')
        alice.click('[data-dash="dotted"]')
        self.draw(alice, [(0.55, 0.25), (0.68, 0.35)])
        alice.click('[data-tool="note"]')
        self.click_canvas(alice, 0.22, 0.6)
        expect(alice.locator(".wb-text-editor")).to_be_focused()
        alice.keyboard.type("Note")
        alice.keyboard.press("Escape")
        stored(self.board, tool="note")
        (arrow,) = stored(self.board, tool="arrow")
        (ellipse,) = stored(self.board, tool="ellipse")
        self.assertEqual(arrow.props, {"dash": "dashed"})
        self.assertEqual(ellipse.props, {"fill": "#f8d2d2", "opacity": 0.5, "dash": "dotted"})
        self.wait_until_saved(alice)
        self.screenshot(bob, "whiteboard-shapes.png")

        with alice.expect_download() as download:
            alice.click("#export-png")
        png = download.value.path().read_bytes()
        self.assertEqual((int.from_bytes(png[16:20]), int.from_bytes(png[20:24])), (1920, 1200))
        svg = self.client_svg().encode()
        result = compare_pictures(self.new_page(), png, svg)
        self.assertGreater(result["pngInk"], 20_000, result)
        for only in ("pngOnly", "svgOnly"):
            self.assertLess(result[only], 0.01 * result["pngInk"], result)

    def test_the_canvas_goes_on_past_the_first_sheet(self):
        alice, bob = self.alice_page, self.bob_page
        alice.click('[data-tool="hand"]')
        self.draw(alice, [(0.3, 0.5), (0.8, 0.5)])  # the view moves right: left of the sheet comes into sight
        alice.click(f'[data-color="{RED}"]')  # back to the pen
        self.draw(alice, [(0.05, 0.4), (0.2, 0.45)])
        (stroke,) = stored(self.board, tool="pen")
        self.assertLess(stroke.max_x, 0, "the stroke lies left of the first sheet")
        bob.keyboard.press("0")  # zoom to fit: the whole drawing
        wait_for_pixels(bob, RED_RGB, more_than=50)
        before = self.red_span(bob)
        bob.keyboard.press("Shift+ArrowLeft")  # the view looks further left: the drawing moves right on the screen
        bob.wait_for_function(f"() => ({RED_SPAN})({RED_RGB})[0] > {before[0] + 0.1}", timeout=10_000)
        self.assertLess(int(bob.inner_text("#zoom-reset").rstrip("%")), 100)
        svg = self.client_svg()
        left = int(re.search(r'viewBox="(-?\d+) ', svg).group(1))
        self.assertLess(left, round(stroke.min_x * 1920))
        with alice.expect_download() as download:
            alice.click("#export-png")
        png = download.value.path().read_bytes()
        width = int(re.search(r'width="(\d+)"', svg).group(1))
        self.assertEqual(int.from_bytes(png[16:20]), width, "the PNG and the SVG frame the drawing alike")


# Where the colour is on the canvas: [left, top, right, bottom] as fractions of the canvas box.
RED_SPAN = """([r, g, b]) => {
  const canvas = document.getElementById("board-canvas");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let [left, top, right, bottom] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i] - r) < 8 && Math.abs(data[i + 1] - g) < 8 && Math.abs(data[i + 2] - b) < 8) {
      const [x, y] = [(i / 4) % canvas.width, Math.floor(i / 4 / canvas.width)];
      [left, top, right, bottom] = [Math.min(left, x), Math.min(top, y), Math.max(right, x), Math.max(bottom, y)];
    }
  }
  return [left / canvas.width, top / canvas.height, right / canvas.width, bottom / canvas.height];
}"""


class SelectionBrowserTests(AliceAndBobOnTheBoard, WhiteboardPages, BrowserTestCase):
    def make_board(self):
        board = services.board_create(name="Moving", owner=self.alice)
        board.members.add(self.bob)
        services.shape_add(
            board=board, actor=self.bob, stroke_id="red", tool="rect", color=RED, width=6,
            points=[[0.3, 0.3], [0.4, 0.45]], props={"fill": RED},
        )
        services.text_add(
            board=board, actor=self.bob, stroke_id="note", tool="note", color="#1b1e2b", points=[[0.55, 0.3], [0.65, 0.5]],
            props={"text": "Move me", "size": 24, "align": "left", "fill": "#fff3bf"},
        )
        return board

    def red_span(self, page):
        return page.evaluate(RED_SPAN, RED_RGB)

    def wait_for_red_to_move(self, page, *, right_of):
        page.wait_for_function(f"() => ({RED_SPAN})({RED_RGB})[0] > {right_of}", timeout=10_000)

    def test_a_selection_is_dragged_for_everyone_nudged_erased_and_undone_across_a_reload(self):
        alice, bob = self.alice_page, self.bob_page
        wait_for_pixels(bob, RED_RGB, more_than=1000)
        wait_for_pixels(alice, RED_RGB, more_than=1000)
        left_before = self.red_span(bob)[0]
        left, top, right, bottom = self.red_span(alice)
        middle = ((left + right) / 2, (top + bottom) / 2)
        alice.keyboard.press("s")
        expect(alice.locator('button[data-tool="select"]')).to_have_attribute("aria-pressed", "true")
        # A marquee around both, then a drag of one of them moves both: one move, one event.
        self.draw(alice, [(0.05, 0.2), (0.95, 0.75)])
        box = alice.locator("#board-canvas").bounding_box()
        alice.mouse.move(box["x"] + middle[0] * box["width"], box["y"] + middle[1] * box["height"])
        alice.mouse.down()
        alice.mouse.move(box["x"] + (middle[0] + 0.1) * box["width"], box["y"] + (middle[1] + 0.05) * box["height"], steps=8)
        # Held, and seen moving by bob before alice lets go: nothing is stored yet.
        self.wait_for_red_to_move(bob, right_of=left_before + 0.05)
        self.assertFalse(Move.objects.exists())
        self.assertEqual(set(Stroke.objects.values_list("held_by__username", flat=True)), {"alice"})
        self.screenshot(bob, "whiteboard-held.png")
        alice.mouse.up()
        moved = stored(self.board, offset_x__gt=0, held_connection="")
        self.assertEqual({element.client_id for element in moved}, {"red", "note"})
        self.assertEqual(len({(element.offset_x, element.offset_y) for element in moved}), 1, "moved alike")
        (move,) = Move.objects.filter(board=self.board)
        self.assertEqual((move.author, sorted(move.stroke_ids)), (self.alice, ["note", "red"]))
        self.screenshot(bob, "whiteboard-moved.png")

        offset = moved[0].offset_x
        alice.keyboard.press("Shift+ArrowRight")  # ten board pixels
        deadline = time.monotonic() + 10
        while Stroke.objects.get(client_id="red").offset_x <= offset:
            self.assertLess(time.monotonic(), deadline, "the nudge was not stored")
            time.sleep(0.05)
        self.assertAlmostEqual(Stroke.objects.get(client_id="red").offset_x - offset, 10 / 1920, places=4)

        alice.reload()
        alice.wait_for_selector("#connection-status[data-state=live]")
        alice.keyboard.press("Control+z")  # the nudge
        alice.keyboard.press("Control+z")  # the drag
        page_left = left_before + 0.005
        bob.wait_for_function(f"() => ({RED_SPAN})({RED_RGB})[0] < {page_left}", timeout=10_000)
        self.assertEqual(
            set(Stroke.objects.filter(board=self.board).values_list("offset_x", flat=True)), {0.0}
        )

        # Select one by clicking it, and Delete erases it for everyone.
        alice.keyboard.press("s")
        box = alice.locator("#board-canvas").bounding_box()
        alice.mouse.click(box["x"] + middle[0] * box["width"], box["y"] + middle[1] * box["height"])  # inside the rect
        alice.keyboard.press("Delete")
        wait_for_pixels(bob, RED_RGB, none=True)
        self.assertTrue(Stroke.objects.get(client_id="red").hidden)
        self.assertFalse(Stroke.objects.get(client_id="note").hidden)


    def test_a_note_is_edited_in_place_held_meanwhile_seen_by_the_other_and_undone(self):
        alice, bob = self.alice_page, self.bob_page
        wait_for_pixels(alice, NOTE_RGB, more_than=1000)
        wait_for_pixels(bob, NOTE_RGB, more_than=1000)
        before = pixels(bob, NOTE_RGB)
        left, top, right, bottom = alice.evaluate(RED_SPAN, NOTE_RGB)
        box = alice.locator("#board-canvas").bounding_box()
        alice.keyboard.press("s")
        alice.mouse.dblclick(box["x"] + (left + right) / 2 * box["width"], box["y"] + (top + bottom) / 2 * box["height"])
        editor = alice.locator(".wb-text-editor")
        expect(editor).to_be_focused()
        expect(editor).to_have_value("Move me")
        deadline = time.monotonic() + 10
        while Stroke.objects.get(client_id="note").held_by_id != self.alice.pk:  # bob's page says alice is editing it
            self.assertLess(time.monotonic(), deadline, "the note was not held while alice edited it")
            time.sleep(0.05)
        self.screenshot(bob, "whiteboard-editing.png")
        alice.keyboard.press("Control+a")
        alice.keyboard.type("Moved\nthen\nedited\nto say\nmuch\nmore\nthan\nbefore\nsee")
        alice.keyboard.press("Escape")
        deadline = time.monotonic() + 10
        while (note := Stroke.objects.get(client_id="note")).version < 1:
            self.assertLess(time.monotonic(), deadline, "the edit was not stored")
            time.sleep(0.05)
        self.assertTrue(note.props["text"].startswith("Moved\nthen"))
        self.assertEqual(note.held_connection, "")
        wait_for_pixels(bob, NOTE_RGB, more_than=before * 1.2)  # the note grew with its words, on bob's page too
        alice.keyboard.press("Control+z")
        deadline = time.monotonic() + 10
        while Stroke.objects.get(client_id="note").props["text"] != "Move me":
            self.assertLess(time.monotonic(), deadline, "the undo of the edit was not stored")
            time.sleep(0.05)
        bob.wait_for_function(f"() => ({COUNT_PIXELS})({NOTE_RGB}) < {before * 1.1}", timeout=10_000)

    def test_copy_to_another_board_and_duplicate_draw_new_elements(self):
        alice = self.alice_page
        wait_for_pixels(alice, RED_RGB, more_than=1000)
        alice.keyboard.press("s")
        alice.keyboard.press("Control+a")
        alice.keyboard.press("Shift+Digit2")  # zoom to the selection: closer than the whole sheet
        expect(alice.locator("#zoom-reset")).not_to_have_text("100%")
        self.assertGreater(int(alice.inner_text("#zoom-reset").rstrip("%")), 100)
        alice.keyboard.press("Control+d")  # duplicates both, a little aside, and selects the copies
        copies = stored(self.board, 2, client_id__regex=r"^(?!red$|note$)")
        self.assertEqual(sorted(element.tool for element in copies), ["note", "rect"])
        original = Stroke.objects.get(client_id="red")
        copy = next(element for element in copies if element.tool == "rect")
        self.assertEqual((copy.props, copy.color), (original.props, original.color))
        self.assertAlmostEqual(copy.min_x - original.min_x, 24 / 1920, places=4)

        alice.keyboard.press("Control+c")  # the two copies, still selected
        other = outside_the_event_loop(lambda: services.board_create(name="Elsewhere", owner=self.alice))
        self.open_board(alice, other)
        alice.keyboard.press("Control+v")
        pasted = stored(other, 2)
        self.assertEqual(sorted(element.tool for element in pasted), ["note", "rect"])
        self.assertEqual(next(e for e in pasted if e.tool == "note").props["text"], "Move me")
        wait_for_pixels(alice, NOTE_RGB, more_than=1000)


# Drop a PNG of one colour, made in the page, on the middle of the board, as a file dragged from the desktop is.
DROP_PICTURE = """async ([r, g, b]) => {
  const canvas = new OffscreenCanvas(120, 80);
  const context = canvas.getContext("2d");
  context.fillStyle = `rgb(${r}, ${g}, ${b})`;
  context.fillRect(0, 0, 120, 80);
  const blob = await canvas.convertToBlob({ type: "image/png" });
  const transfer = new DataTransfer();
  transfer.items.add(new File([blob], "dropped.png", { type: "image/png" }));
  const stage = document.getElementById("stage");
  const box = document.getElementById("board-canvas").getBoundingClientRect();
  const at = { clientX: box.left + box.width / 2, clientY: box.top + box.height / 2 }; // the middle of the view
  stage.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true, ...at }));
  stage.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true, ...at }));
}"""
GREEN_RGB = [0x2F, 0x9E, 0x44]


class PictureBrowserTests(AliceAndBobOnTheBoard, WhiteboardPages, BrowserTestCase):
    def make_board(self):
        board = services.board_create(name="Pictures", owner=self.alice)
        board.members.add(self.bob)
        return board

    def test_a_picture_chosen_or_dropped_is_seen_by_both_undone_and_in_both_exports(self):
        alice, bob = self.alice_page, self.bob_page
        red = Image.new("RGB", (200, 100), tuple(RED_RGB))
        buffer = io.BytesIO()
        red.save(buffer, "PNG")
        alice.set_input_files("#image-file", files=[{"name": "red.png", "mimeType": "image/png", "buffer": buffer.getvalue()}])
        (placed,) = stored(self.board, tool="image")
        self.assertAlmostEqual((placed.max_x - placed.min_x) * 1920 / ((placed.max_y - placed.min_y) * 1200), 2, places=1)
        wait_for_pixels(bob, RED_RGB, more_than=2000)
        alice.evaluate(DROP_PICTURE, GREEN_RGB)
        stored(self.board, 2, tool="image")
        wait_for_pixels(bob, GREEN_RGB, more_than=2000)
        self.screenshot(bob, "whiteboard-pictures.png")

        alice.set_input_files("#image-file", files=[{"name": "x.svg", "mimeType": "image/svg+xml", "buffer": b"<svg/>"}])
        expect(alice.locator("#toast")).to_contain_text("SVG files are not accepted")

        with alice.expect_download() as download:
            alice.click("#export-png")
        png = Image.open(io.BytesIO(download.value.path().read_bytes())).convert("RGB")
        # 200 x 100 red at one pixel per board pixel, less the 120 x 80 green dropped over its middle (edges may blend).
        red_pixels = sum(1 for pixel in png.getdata() if pixel == tuple(RED_RGB))
        self.assertAlmostEqual(red_pixels, 200 * 100 - 120 * 80, delta=700)
        svg = self.client_svg()
        self.assertEqual(svg.count("data:image/png;base64,"), 2)

        alice.keyboard.press("Control+z")  # the dropped one
        wait_for_pixels(bob, GREEN_RGB, none=True)
        self.assertGreater(pixels(bob, RED_RGB), 2000)

    def client_svg(self):
        response = self.alice_page.request.get(f"{self.live_server_url}/whiteboard/{self.board.slug}/export.svg")
        self.assertEqual(response.status, 200)
        return response.text()


class FollowBrowserTests(AliceAndBobOnTheBoard, WhiteboardPages, BrowserTestCase):
    def make_board(self):
        board = services.board_create(name="Follow me", owner=self.alice)
        board.members.add(self.bob)
        return board

    def zoom(self, page):
        return int(page.inner_text("#zoom-reset").rstrip("%"))

    def test_clicking_an_avatar_follows_that_person_s_view_until_you_move_the_board(self):
        alice, bob = self.alice_page, self.bob_page
        follow = alice.locator("#presence button[data-follow=bob]")
        expect(follow).to_have_attribute("aria-pressed", "false")
        follow.click()
        expect(follow).to_have_attribute("aria-pressed", "true")
        for _ in range(3):
            bob.keyboard.press("+")
        alice.wait_for_function("() => parseInt(document.getElementById('zoom-reset').textContent) > 150", timeout=10_000)
        followed = self.zoom(alice)
        bob.keyboard.press("0")  # bob shows the whole board again: so does alice
        alice.wait_for_function(f"() => parseInt(document.getElementById('zoom-reset').textContent) < {followed}")
        alice.keyboard.press("ArrowLeft")  # alice moves the board herself: she stops following
        expect(follow).to_have_attribute("aria-pressed", "false")
        mine = self.zoom(alice)
        bob.keyboard.press("+")
        bob.keyboard.press("+")
        alice.wait_for_timeout(600)  # three of bob's view frames
        self.assertEqual(self.zoom(alice), mine)
        expect(bob.locator("#presence button[data-follow=bob]")).to_have_count(0)  # no one follows themselves


class ProtocolVersionBrowserTests(WhiteboardPages, BrowserTestCase):
    def test_a_page_older_than_the_server_stops_and_asks_to_be_reloaded(self):
        user, page = self.user_page("olive")
        board = outside_the_event_loop(lambda: services.board_create(name="Versions", owner=user))

        def older_scripts(route):
            response = route.fetch()
            body = response.text().replace("PROTOCOL_VERSION = 5;", "PROTOCOL_VERSION = 4;")
            route.fulfill(response=response, body=body)

        page.route(re.compile(r"/static/js/connection(\.\w+)?\.js$"), older_scripts)
        page.goto(f"{self.live_server_url}{board.get_absolute_url()}")
        expect(page.locator("#toast")).to_contain_text("Boardsite has been updated. Reload the page")
        expect(page.locator("#connection-status")).to_have_attribute("data-state", "offline")


class PhoneElementsBrowserTests(WhiteboardPages, BrowserTestCase):
    def test_a_note_written_on_a_phone_shows_on_the_desk(self):
        user, desk = self.user_page("phil")
        board = outside_the_event_loop(lambda: services.board_create(name="Pocket notes", owner=user))
        phone = on_a_phone_and_desk(self, user, desk, board)
        phone.tap('[data-tool="note"]')
        box = phone.locator("#board-canvas").bounding_box()
        phone.touchscreen.tap(box["x"] + 0.3 * box["width"], box["y"] + 0.35 * box["height"])
        expect(phone.locator(".wb-text-editor")).to_be_focused()
        phone.keyboard.type("Written on the bus")
        phone.tap('[data-tool="pen"]')  # another tool finishes the note
        (note,) = stored(board, tool="note")
        self.assertEqual(note.props["text"], "Written on the bus")
        wait_for_pixels(desk, NOTE_RGB, more_than=5000)
        self.screenshot(phone, "whiteboard-phone-note.png")

    def test_a_note_is_moved_by_touch_on_a_phone_and_the_desk_sees_it_move(self):
        user, desk = self.user_page("tina")

        def make_board():
            board = services.board_create(name="Pocket moves", owner=user)
            services.text_add(
                board=board, actor=user, stroke_id="note", tool="note", color="#1b1e2b",
                points=[[0.3, 0.3], [0.5, 0.6]], props={"text": "Drag me", "size": 24, "align": "left", "fill": "#fff3bf"},
            )
            return board

        board = outside_the_event_loop(make_board)
        phone = on_a_phone_and_desk(self, user, desk, board)
        wait_for_pixels(phone, NOTE_RGB, more_than=500)
        wait_for_pixels(desk, NOTE_RGB, more_than=500)
        desk_left = desk.evaluate(RED_SPAN, NOTE_RGB)[0]
        left, top, right, bottom = phone.evaluate(RED_SPAN, NOTE_RGB)
        phone.tap('button[data-tool="select"]')
        box = phone.locator("#board-canvas").bounding_box()
        finger = touch_finger(phone)
        x, y = box["x"] + (left + right) / 2 * box["width"], box["y"] + (top + bottom) / 2 * box["height"]
        finger("touchStart", x, y)
        for step in range(1, 11):
            finger("touchMove", x + step * 8, y)
            phone.wait_for_timeout(16)
        desk.wait_for_function(f"() => ({RED_SPAN})({NOTE_RGB})[0] > {desk_left + 0.01}", timeout=10_000)  # live
        finger("touchEnd", 0, 0)
        (note,) = stored(board, offset_x__gt=0, held_connection="")
        self.assertGreater(note.offset_x, 0.02)
        self.assertEqual(note.offset_y, 0)
        self.screenshot(phone, "whiteboard-phone-moved.png")
