"""
Every kind of element on a 390 px touch phone, as its owner would use it
there: drawn, written or picked by touch, selected with a tap, moved and
resized with a finger, a text or note rewritten, deleted, undone and redone
across a reload; each step seen live on the same person's desktop page and
stored by the server. Then the history on the phone: the time-lapse, a
restore for everyone, and both exports.
"""

import io
import time

from PIL import Image
from playwright.sync_api import expect

from boardsite.collab import services as collab_services
from tests.browser.base import COUNT_PIXELS, BrowserTestCase, outside_the_event_loop, touch_finger
from tests.browser.test_kanban_depth import on_a_phone_and_desk
from tests.browser.test_whiteboard import RED, RED_RGB, WhiteboardPages
from tests.browser.test_whiteboard_transforms import BLUE, BLUE_RGB
from tests.browser.test_whiteboard_transforms import stored_when
from tests.support import make_user
from whiteboard import services
from whiteboard.models import Stroke

KINDS = ("pen", "highlighter", "line", "arrow", "rect", "ellipse", "diamond", "text", "note", "image")

# Whatever is drawn on the canvas (the board is otherwise empty): its extent as fractions of
# the canvas, how many pixels, and the pixel of it nearest the middle of that extent.
INK = """() => {
  const canvas = document.getElementById("board-canvas");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const ink = (i) => data[i + 3] > 0 && (data[i] < 230 || data[i + 1] < 230 || data[i + 2] < 230);
  let [left, top, right, bottom, count] = [Infinity, Infinity, -Infinity, -Infinity, 0];
  for (let i = 0; i < data.length; i += 4) {
    if (!ink(i)) continue;
    const [x, y] = [(i / 4) % canvas.width, Math.floor(i / 4 / canvas.width)];
    [left, top, right, bottom] = [Math.min(left, x), Math.min(top, y), Math.max(right, x), Math.max(bottom, y)];
    count += 1;
  }
  const [cx, cy] = [(left + right) / 2, (top + bottom) / 2];
  let [nearest, best] = [null, Infinity];
  for (let i = 0; i < data.length; i += 4) {
    if (!ink(i)) continue;
    const [x, y] = [(i / 4) % canvas.width, Math.floor(i / 4 / canvas.width)];
    const distance = (x - cx) ** 2 + (y - cy) ** 2;
    if (distance < best) [nearest, best] = [[x / canvas.width, y / canvas.height], distance];
  }
  return { count, span: [left / canvas.width, top / canvas.height, right / canvas.width, bottom / canvas.height], nearest };
}"""


def red_picture():
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), tuple(RED_RGB)).save(buffer, "PNG")
    return {"name": "red.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


class PhoneElementsBrowserTests(WhiteboardPages, BrowserTestCase):
    def setUp(self):
        self.user, self.desk = self.user_page("tina")
        self.board = outside_the_event_loop(lambda: services.board_create(name="Pocket board", owner=self.user))
        self.phone = on_a_phone_and_desk(self, self.user, self.desk, self.board)
        self.finger = touch_finger(self.phone)
        self.box = self.phone.locator("#board-canvas").bounding_box()

    def at(self, x, y):
        """Canvas fractions (x, y) of the phone, in page pixels."""
        return self.box["x"] + x * self.box["width"], self.box["y"] + y * self.box["height"]

    def swipe(self, start, end, steps=10):
        """One finger from `start` to `end` (page pixels), a step each animation frame."""
        self.finger("touchStart", *start)
        for step in range(1, steps + 1):
            self.finger("touchMove", start[0] + (end[0] - start[0]) * step / steps,
                        start[1] + (end[1] - start[1]) * step / steps + (4 if step % 2 else 0))
            self.phone.wait_for_timeout(16)
        self.finger("touchEnd", 0, 0)
        # The next tap comes through Playwright's own DevTools session: let the page have this
        # finger's end first, or Chromium sees the tap as a second finger, and no tap at all.
        self.phone.wait_for_timeout(100)

    def tap_at(self, x, y):
        """
        One finger's tap at (x, y), page pixels. Every touch of the phone goes
        through the one DevTools session of `self.finger`: a tap through
        Playwright's own session can reach the page before the end of a swipe
        sent just before it, and Chromium then takes it for a second finger.
        """
        self.finger("touchStart", x, y)
        self.phone.wait_for_timeout(16)
        self.finger("touchEnd", 0, 0)
        self.phone.wait_for_timeout(100)

    def tap(self, selector):
        """
        Tap the middle of what `selector` finds, in view and still: the
        toolbar moves while the rows a tool adds open or close, and a tap
        measured before that lands beside the button.
        """
        target = self.phone.locator(selector)
        target.scroll_into_view_if_needed()
        box, deadline = target.bounding_box(), time.monotonic() + 5
        while time.monotonic() < deadline:
            self.phone.wait_for_timeout(50)
            box, before = target.bounding_box(), box
            if box == before:
                break
        self.tap_at(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    def choose(self, tool):
        """Tap a tool's button: it is the tool in use."""
        self.tap(f'button[data-tool="{tool}"]')
        expect(self.phone.locator(f'button[data-tool="{tool}"]')).to_have_attribute("aria-pressed", "true")

    def ink(self, page):
        return page.evaluate(INK)

    def wait_for_ink(self, page, *, none=False):
        condition = "=== 0" if none else "> 40"
        page.wait_for_function(f"() => ({INK})().count {condition}", timeout=10_000)

    def element(self, kind):
        return Stroke.objects.filter(board=self.board, tool=kind).order_by("-created_seq").first()

    def make(self, kind):
        """Draw, write or pick one element of `kind` by touch on the phone."""
        phone = self.phone
        if kind == "image":
            phone.set_input_files("#image-file", files=[red_picture()])
        elif kind in ("text", "note"):
            self.choose(kind)
            self.tap_at(*self.at(0.25, 0.3))
            expect(phone.locator(".wb-text-editor")).to_be_focused()
            phone.keyboard.type("Pocket")
            self.choose("select")  # leaving the text for another tool keeps it
        else:
            self.choose(kind)
            self.tap(f'[data-color="{RED}"]')
            self.swipe(self.at(0.25, 0.3), self.at(0.6, 0.45))
        stored_when(lambda: self.element(kind) is not None, f"the {kind} was not stored")

    def test_every_kind_is_made_moved_resized_deleted_and_undone_by_touch_and_seen_on_the_desk(self):
        phone, desk = self.phone, self.desk
        for kind in KINDS:
            with self.subTest(kind):
                # Close enough that a word of text is the size of a fingertip, as a phone user would zoom.
                self.tap("#zoom-reset")
                for _ in range(6):
                    self.tap("#zoom-in")
                self.make(kind)
                self.wait_for_ink(desk)
                element = self.element(kind)
                if kind in ("text", "note"):
                    self.assertEqual(element.props["text"], "Pocket")

                # A tap on it selects it; a finger inside its box moves it, for the desk too.
                drawn = self.ink(phone)
                self.choose("select")
                self.tap_at(*self.at(*drawn["nearest"]))
                expect(phone.locator("#selection-actions")).to_be_visible()
                desk_left = self.ink(desk)["span"][0]
                left, top, right, bottom = drawn["span"]
                grip = self.at((left + right) / 2, (top + bottom) / 2)
                self.swipe(grip, (grip[0] + 60, grip[1] + 40))
                stored_when(lambda: Stroke.objects.get(pk=element.pk).offset_x > 0, f"the {kind} was not moved")
                desk.wait_for_function(f"() => ({INK})().span[0] > {desk_left + 0.005}", timeout=10_000)

                # Its bottom-right handle, a finger's width off, resizes it.
                corner = self.at(right, bottom)
                handle = (corner[0] + 60 + 6, corner[1] + 40 + 6)
                self.swipe(handle, (handle[0] + 40, handle[1] + 30))
                stored_when(lambda: Stroke.objects.get(pk=element.pk).version > 0, f"the {kind} was not resized")

                if kind in ("text", "note"):
                    # The text tool's tap on it opens it for writing.
                    moved = self.ink(phone)
                    self.choose(kind)
                    self.tap_at(*self.at(*moved["nearest"]))
                    expect(phone.locator(".wb-text-editor")).to_be_focused()
                    phone.keyboard.press("End")
                    phone.keyboard.type(" book")
                    self.choose("select")
                    stored_when(lambda: Stroke.objects.get(pk=element.pk).props["text"] == "Pocket book",
                                f"the {kind} was not rewritten")

                # Deleted from the selection's toolbar; undone, and redone after a reload.
                moved = self.ink(phone)
                self.choose("select")
                self.tap_at(*self.at(*moved["nearest"]))
                self.tap('[data-selection="delete"]')
                self.wait_for_ink(desk, none=True)
                self.assertTrue(Stroke.objects.get(pk=element.pk).hidden)
                self.tap("#undo")
                self.wait_for_ink(desk)
                self.assertFalse(Stroke.objects.get(pk=element.pk).hidden)
                if kind == KINDS[0]:
                    self.screenshot(phone, "whiteboard-phone-elements.png")
                phone.reload()
                phone.wait_for_selector("#connection-status[data-state=live]")
                self.wait_for_ink(phone)
                self.tap("#redo")
                self.wait_for_ink(desk, none=True)
                self.wait_for_ink(phone, none=True)
                self.assertTrue(Stroke.objects.get(pk=element.pk).hidden)
                self.box = phone.locator("#board-canvas").bounding_box()


class PhoneHistoryBrowserTests(WhiteboardPages, BrowserTestCase):
    def test_the_time_lapse_a_restore_and_both_exports_on_a_phone(self):
        user, desk = self.user_page("tina")

        def make_board():
            board = services.board_create(name="Pocket history", owner=user)
            for stroke_id, colour, corners in (("red", RED, [[0.2, 0.2], [0.4, 0.4]]), ("blue", BLUE, [[0.5, 0.5], [0.7, 0.7]])):
                services.shape_add(board=board, actor=user, stroke_id=stroke_id, tool="rect", color=colour, width=12,
                                   points=corners, props={"fill": colour})
            return board

        board = outside_the_event_loop(make_board)
        phone = on_a_phone_and_desk(self, user, desk, board)
        blue = f"() => ({COUNT_PIXELS})({BLUE_RGB}) > 100"
        no_blue = f"() => ({COUNT_PIXELS})({BLUE_RGB}) === 0"
        phone.wait_for_function(blue, timeout=10_000)

        # One step back in the time-lapse: the blue rectangle is not drawn yet, on the phone only.
        phone.tap("#history-open")
        expect(phone.locator("[data-history=position]")).to_contain_text("#2 of 2")
        phone.tap('[data-history="back"]')
        expect(phone.locator("[data-history=position]")).to_contain_text("#1 of 2")
        phone.wait_for_function(no_blue, timeout=10_000)
        self.assertGreater(desk.evaluate(COUNT_PIXELS, BLUE_RGB), 100)
        self.screenshot(phone, "whiteboard-phone-history.png")

        # Restored as it was then, for everyone; one step the phone's Undo takes back.
        phone.tap("[data-history=restore]")
        expect(phone.locator("#restore-dialog")).to_have_attribute("open", "")
        phone.tap("#restore-dialog button[value=confirm]")
        desk.wait_for_function(no_blue, timeout=10_000)
        stored_when(lambda: Stroke.objects.get(board=board, client_id="blue").hidden, "the restore was not stored")
        phone.tap("#undo")
        desk.wait_for_function(blue, timeout=10_000)
        self.assertFalse(Stroke.objects.get(board=board, client_id="blue").hidden)

        # Both exports download from the phone, with both rectangles.
        with phone.expect_download() as download:
            phone.tap("#export-png")
        png = Image.open(io.BytesIO(download.value.path().read_bytes())).convert("RGB")
        colours = set(png.getdata())
        self.assertIn(tuple(RED_RGB), colours)
        self.assertIn(tuple(BLUE_RGB), colours)
        with phone.expect_download() as download:
            phone.tap("#export-svg")
        svg = download.value.path().read_text()
        self.assertIn(RED, svg)
        self.assertIn(BLUE, svg)

    def test_the_owner_reverts_one_person_from_a_phone(self):
        """Issue 19: revert by author, by touch on a phone: what one member drew after a moment goes, for everyone, and comes back with Undo."""
        user, desk = self.user_page("tina")
        vic = make_user("vic")

        def make_board():
            board = services.board_create(name="Pocket revert", owner=user)
            collab_services.board_add_member(board=board, username="vic", actor=user)
            services.shape_add(board=board, actor=vic, stroke_id="green", tool="rect", color="#2f9e44", width=12,
                               points=[[0.75, 0.1], [0.9, 0.2]], props={"fill": "#2f9e44"})
            services.shape_add(board=board, actor=user, stroke_id="red", tool="rect", color=RED, width=12,
                               points=[[0.2, 0.2], [0.4, 0.4]], props={"fill": RED})
            services.shape_add(board=board, actor=vic, stroke_id="blue", tool="rect", color=BLUE, width=12,
                               points=[[0.5, 0.5], [0.7, 0.7]], props={"fill": BLUE})
            return board

        board = outside_the_event_loop(make_board)
        phone = on_a_phone_and_desk(self, user, desk, board)
        blue = f"() => ({COUNT_PIXELS})({BLUE_RGB}) > 100"
        no_blue = f"() => ({COUNT_PIXELS})({BLUE_RGB}) === 0"
        red = f"() => ({COUNT_PIXELS})({RED_RGB}) > 100"
        phone.wait_for_function(blue, timeout=10_000)

        # Back to before vic's blue rectangle, vic's strokes alone, and "Revert vic after this".
        phone.tap("#history-open")
        phone.tap('[data-history="back"]')
        expect(phone.locator("[data-history=position]")).to_contain_text("#3 of 4")  # #1: vic was added
        phone.tap(".wb-author[data-author=vic]")
        expect(phone.locator("[data-history=revert]")).to_have_text("Revert vic after this")
        phone.tap("[data-history=revert]")
        expect(phone.locator("#restore-dialog")).to_contain_text("Revert vic")
        phone.tap("#restore-dialog button[value=confirm]")
        expect(phone.locator("#toast")).to_contain_text("Changes taken back")
        desk.wait_for_function(no_blue, timeout=10_000)
        desk.wait_for_function(red, timeout=10_000)
        phone.wait_for_function(no_blue, timeout=10_000)
        self.assertEqual(
            {stroke.client_id: stroke.hidden for stroke in Stroke.objects.filter(board=board)},
            {"green": False, "red": False, "blue": True},  # vic's stroke from before the moment stays
        )
        self.screenshot(phone, "whiteboard-phone-revert.png")

        # The revert is one step of the owner's: the phone's Undo brings vic's drawing back for everyone.
        phone.tap("#undo")
        desk.wait_for_function(blue, timeout=10_000)
        phone.wait_for_function(blue, timeout=10_000)
        self.assertFalse(Stroke.objects.get(board=board, client_id="blue").hidden)
