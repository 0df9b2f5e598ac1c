"""
The whiteboard in real Chromium: two people in two browser contexts. What
they see is checked on the canvas pixels, not only in the DOM.
"""

import math
import re

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.browser.base import COLOUR_MASK, COUNT_PIXELS, BrowserTestCase, SocketSwitch, outside_the_event_loop
from tests.support import make_user
from whiteboard.models import Board, Stroke
from whiteboard.points import packed

RED = "#e03131"
FONT_SIZE = "node => parseFloat(getComputedStyle(node).fontSize)"
# The leftmost and rightmost columns of the canvas holding a pixel of the colour, and the canvas's width.
RED_SPAN = """([r, g, b]) => {
  const canvas = document.getElementById("board-canvas");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let [left, right] = [Infinity, -Infinity];
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i] - r) < 8 && Math.abs(data[i + 1] - g) < 8 && Math.abs(data[i + 2] - b) < 8) {
      const x = (i / 4) % canvas.width;
      left = Math.min(left, x);
      right = Math.max(right, x);
    }
  }
  return [left, right, canvas.width];
}"""
# Whole: not cut short itself, nor by anything around it that hides what overflows it.
NOT_CLIPPED = """node => {
  if (node.scrollWidth > node.clientWidth + 1) return false;
  const box = node.getBoundingClientRect();
  for (let around = node.parentElement; around; around = around.parentElement) {
    if (getComputedStyle(around).overflowX === "visible") continue;
    const edge = around.getBoundingClientRect();
    if (box.left < edge.left - 1 || box.right > edge.right + 1) return false;
  }
  return true;
}"""
# Every visible button of the whiteboard's toolbar and view panel smaller than 44 x 44 px, by name and size.
SMALL_TARGETS = """() => [...document.querySelectorAll('.wb-toolbar button, .wb-toolbar label, .wb-view button')]
  .filter((node) => node.offsetParent !== null)
  .map((node) => [node.getAttribute('aria-label') || node.title || node.textContent.trim(), node.getBoundingClientRect()])
  .filter(([, box]) => box.width < 44 || box.height < 44)
  .map(([name, box]) => `${name} ${Math.round(box.width)}x${Math.round(box.height)}`)"""
RED_RGB = [0xE0, 0x31, 0x31]
BLUE = "#1971c2"
BLUE_RGB = [0x19, 0x71, 0xC2]
# Pan the view right by `steps` wheel steps of 12 px, one each animation frame, then count the canvas's
# pixels of the colour `rgb` two frames after the last step: before the view has rested.
PAN_IN_STEPS = """async ({ steps, rgb }) => {
  const canvas = document.getElementById("board-canvas");
  const box = canvas.getBoundingClientRect();
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  for (let step = 0; step < steps; step += 1) {
    await frame();
    canvas.dispatchEvent(new WheelEvent("wheel", {
      clientX: box.left + box.width / 2, clientY: box.top + box.height / 2, deltaX: -12, deltaY: 0,
      bubbles: true, cancelable: true,
    }));
  }
  await frame();
  await frame();
  window.redAtOnce = (""" + COLOUR_MASK + """)(rgb);
  return window.redAtOnce.filter(Boolean).length;
}"""
# How many pixels are red now and were not when PAN_IN_STEPS counted them, or the other way round.
RED_MOVED = """(rgb) => {
  const now = (""" + COLOUR_MASK + """)(rgb);
  return now.filter((red, index) => red !== window.redAtOnce[index]).length;
}"""


class WhiteboardPages:
    """What a person does on the whiteboard pages, for the browser test classes."""

    def create_board(self, page, name, *, members=()):
        """Create a board and add members the way its owner does: through the pages."""
        page.goto(f"{self.live_server_url}/whiteboard/")
        page.fill("input[name=name]", name)
        page.click("main form button[type=submit]")
        page.wait_for_selector("#connection-status[data-state=live]")
        for username in members:
            page.click("text=Share")
            page.fill("#add-member-username", username)
            page.click("#board-settings button:has-text('Add')")
            page.wait_for_selector(f"#member-list [data-username={username}]", state="attached")
        return Board.objects.get(name=name)

    def open_board(self, page, board):
        page.goto(f"{self.live_server_url}{board.get_absolute_url()}")
        page.wait_for_selector("#connection-status[data-state=live]")

    def red_pixels(self, page):
        return page.evaluate(COUNT_PIXELS, RED_RGB)

    def wait_for_red_pixels(self, page, *, present):
        condition = f"() => ({COUNT_PIXELS})({RED_RGB}) {'> 200' if present else '=== 0'}"
        page.wait_for_function(condition, timeout=10_000)

    def draw(self, page, points):
        """Drag the mouse through `points`, given as fractions of the canvas box."""
        box = page.locator("#board-canvas").bounding_box()
        at = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in points]
        page.mouse.move(*at[0])
        page.mouse.down()
        for x, y in at[1:]:
            page.mouse.move(x, y, steps=4)
        page.mouse.up()

    def wave(self, *, left, top, width, height, steps=30):
        return [(left + width * i / steps, top + height * (0.5 + 0.5 * math.sin(i / 3))) for i in range(steps + 1)]



class WhiteboardBrowserTests(WhiteboardPages, BrowserTestCase):
    def test_a_stroke_appears_for_the_other_user_survives_reload_and_undo_removes_it_for_both(self):
        alice, alice_page = self.user_page("alice")
        bob, bob_page = self.user_page("bob")
        board = self.create_board(alice_page, "Team sketch", members=["bob"])
        self.open_board(alice_page, board)
        self.open_board(bob_page, board)
        bob_page.wait_for_selector("#presence [data-username=alice]")
        self.assertEqual(self.red_pixels(bob_page), 0)

        alice_page.click(f'[data-color="{RED}"]')
        self.draw(alice_page, self.wave(left=0.3, top=0.4, width=0.4, height=0.15))

        self.wait_for_red_pixels(bob_page, present=True)
        self.wait_for_red_pixels(alice_page, present=True)
        stroke = Stroke.objects.get(board=board)
        self.assertEqual((stroke.author, stroke.color, stroke.hidden), (alice, RED, False))
        self.assertGreater(stroke.point_count, 20)

        bob_page.reload()
        bob_page.wait_for_selector("#connection-status[data-state=live]")
        self.wait_for_red_pixels(bob_page, present=True)

        alice_page.keyboard.press("Control+z")
        self.wait_for_red_pixels(alice_page, present=False)
        self.wait_for_red_pixels(bob_page, present=False)
        stroke.refresh_from_db()
        self.assertTrue(stroke.hidden)

        # Undo survives a reload: redo brings the stroke back for both.
        alice_page.reload()
        alice_page.wait_for_selector("#redo:not([disabled])")
        alice_page.click("#redo")
        self.wait_for_red_pixels(bob_page, present=True)
        self.wait_for_red_pixels(alice_page, present=True)

    def test_live_cursors_presence_shapes_and_the_screenshot(self):
        ana, ana_page = self.user_page("ana")
        ben, ben_page = self.user_page("ben")
        board = self.create_board(ana_page, "Launch plan <sketch>", members=["ben"])
        self.open_board(ana_page, board)
        self.open_board(ben_page, board)
        self.assertEqual(ana_page.inner_text("#board-name"), "Launch plan <sketch>")

        ana_page.click('[data-color="#1971c2"]')
        self.draw(ana_page, self.wave(left=0.15, top=0.3, width=0.3, height=0.12))
        ana_page.click('[data-tool="rect"]')
        ana_page.click('[data-color="#2f9e44"]')
        self.draw(ana_page, [(0.55, 0.3), (0.8, 0.55)])
        ana_page.click('[data-tool="ellipse"]')
        ana_page.click('[data-color="#7048e8"]')
        self.draw(ana_page, [(0.2, 0.6), (0.42, 0.82)])
        ben_page.click('[data-tool="highlighter"]')
        ben_page.click('[data-color="#fcc419"]')
        self.draw(ben_page, [(0.56, 0.68), (0.7, 0.69), (0.82, 0.7)])
        ben_page.click('[data-tool="line"]')
        ben_page.click(f'[data-color="{RED}"]')
        self.draw(ben_page, [(0.5, 0.2), (0.62, 0.26)])
        ben_page.mouse.move(*self.canvas_point(ben_page, 0.48, 0.5))

        ana_page.wait_for_selector(".wb-cursor >> text=ben")
        ana_page.wait_for_function("() => document.querySelectorAll('#presence .avatar').length === 2")
        self.wait_for_red_pixels(ana_page, present=True)
        self.assertEqual(
            sorted(Stroke.objects.filter(board=board).values_list("tool", flat=True)),
            ["ellipse", "highlighter", "line", "pen", "rect"],
        )
        self.screenshot(ana_page, "whiteboard.png")

        # The eraser removes the whole line ben drew, for ben too.
        ana_page.click('[data-tool="eraser"]')
        self.draw(ana_page, [(0.55, 0.18), (0.57, 0.28)])
        self.wait_for_red_pixels(ben_page, present=False)

    def test_a_member_taken_off_the_board_can_no_longer_draw_and_is_told_so(self):
        """
        Issue 18: a removed member could keep drawing, and the page said
        "Your drawing is kept and sent when the connection is back", which
        never happened.
        """
        alice, alice_page = self.user_page("alice")
        bob, bob_page = self.user_page("bob")
        board = self.create_board(alice_page, "Members only", members=["bob"])
        self.open_board(bob_page, board)
        bob_page.click(f'[data-color="{RED}"]')
        alice_page.click("text=Share")
        alice_page.click("#member-list [data-username=bob] button:has-text('Remove')")
        expect(bob_page.locator("#connection-status")).to_have_attribute("data-state", "offline")
        # The words of the server's 4403 close; once in CI under load the socket closed without it, and the
        # page, refused on reconnecting, asked the board's page and said so in its own words (connection.js).
        expect(bob_page.locator("#toast")).to_contain_text(
            re.compile("You no longer have access to this board.|This board was deleted or is no longer shared with you.")
        )
        self.assertTrue(bob_page.locator(".wb-toolbar").evaluate("toolbar => toolbar.inert"))
        expect(bob_page.locator("#presence .avatar")).to_have_count(1)  # no longer told who is there
        self.draw(bob_page, self.wave(left=0.2, top=0.5, width=0.5, height=0.2))
        bob_page.wait_for_timeout(300)
        self.assertEqual(self.red_pixels(bob_page), 0, "the removed member could still draw")
        expect(bob_page.locator("#connection-status")).not_to_contain_text("unsaved")
        self.assertFalse(Stroke.objects.filter(board=board).exists())
        self.screenshot(bob_page, "whiteboard-access-removed.png")

    def test_a_stroke_drawn_while_the_connection_is_down_arrives_after_the_reconnect(self):
        alice, alice_page = self.user_page("alice")
        bob, bob_page = self.user_page("bob")
        board = self.create_board(alice_page, "Flaky wifi", members=["bob"])
        switch = SocketSwitch(alice_page)
        self.open_board(bob_page, board)
        self.open_board(alice_page, board)

        switch.hold()
        alice_page.wait_for_selector("#connection-status[data-state=reconnecting]")
        alice_page.click(f'[data-color="{RED}"]')
        self.draw(alice_page, self.wave(left=0.2, top=0.5, width=0.5, height=0.2))
        expect(alice_page.locator("#connection-status")).to_contain_text("unsaved")
        self.wait_for_red_pixels(bob_page, present=False)

        switch.release()
        alice_page.wait_for_selector("#connection-status[data-state=live]")
        self.wait_for_red_pixels(bob_page, present=True)
        stroke = Stroke.objects.get(board=board)
        chunk_events = board.events.filter(type="stroke").count()
        self.assertEqual(chunk_events, stroke.chunk_count, "a chunk was stored twice or lost")
        self.assertGreater(stroke.point_count, 20)

    def test_the_board_downloads_as_png_and_svg(self):
        user, page = self.user_page("paula")
        board = self.create_board(page, "Exported")
        page.click(f'[data-color="{RED}"]')
        self.draw(page, self.wave(left=0.3, top=0.3, width=0.3, height=0.2))
        page.wait_for_function("() => document.querySelector('#connection-status').textContent === 'Live'")
        with page.expect_download() as download:
            page.click("#export-png")
        self.assertEqual(download.value.suggested_filename, f"{board.slug}.png")
        with open(download.value.path(), "rb") as png:
            header = png.read(24)
        self.assertEqual(header[:8], b"\x89PNG\r\n\x1a\n")
        self.assertEqual((int.from_bytes(header[16:20]), int.from_bytes(header[20:24])), (1920, 1200))
        with page.expect_download() as download:
            page.click("#export-svg")
        with open(download.value.path(), encoding="utf-8") as svg:
            self.assertIn('stroke="#e03131"', svg.read())

    def test_clearing_asks_first_and_undo_brings_the_board_back(self):
        alice, alice_page = self.user_page("alice")
        bob, bob_page = self.user_page("bob")
        board = self.create_board(alice_page, "Clean slate", members=["bob"])
        self.open_board(bob_page, board)
        self.open_board(alice_page, board)
        alice_page.click(f'[data-color="{RED}"]')
        self.draw(alice_page, self.wave(left=0.2, top=0.3, width=0.5, height=0.2))
        self.wait_for_red_pixels(bob_page, present=True)

        bob_page.click("#clear")
        bob_page.click("#clear-dialog button[value=cancel]")
        bob_page.wait_for_timeout(300)
        self.assertGreater(self.red_pixels(alice_page), 200, "cancelling the dialog cleared the board")

        bob_page.click("#clear")
        bob_page.click("#clear-dialog button[value=clear]")
        self.wait_for_red_pixels(alice_page, present=False)
        self.wait_for_red_pixels(bob_page, present=False)
        alice_page.wait_for_selector("#toast >> text=bob cleared the board.")

        # Carol opens the board after the clear: she is sent the hidden strokes too, so the undo, which
        # names the clear rather than copying its strokes, shows them to her as well.
        carol, carol_page = self.user_page("carol")
        outside_the_event_loop(lambda: board.members.add(carol))
        self.open_board(carol_page, board)
        self.assertEqual(self.red_pixels(carol_page), 0)

        # The clear is bob's step: his undo brings alice's stroke back for everyone; his redo clears it again.
        bob_page.click("#undo")
        for page in (alice_page, bob_page, carol_page):
            self.wait_for_red_pixels(page, present=True)
        bob_page.click("#redo")
        for page in (alice_page, carol_page):
            self.wait_for_red_pixels(page, present=False)
        # Reloaded, and replayed from the first event, the board is the same.
        carol_page.reload()
        carol_page.wait_for_selector("#connection-status[data-state=live]")
        self.assertEqual(self.red_pixels(carol_page), 0)
        bob_page.click("#undo")
        self.wait_for_red_pixels(carol_page, present=True)

    def test_zoom_buttons_and_the_wheel_change_the_view_not_the_board(self):
        user, page = self.user_page("zoe")
        self.create_board(page, "Zoomable")
        page.click(f'[data-color="{RED}"]')
        self.draw(page, [(0.45, 0.45), (0.55, 0.55)])
        page.wait_for_function("() => document.querySelector('#connection-status').textContent === 'Live'")
        before = self.red_pixels(page)
        page.click("#zoom-in")
        page.click("#zoom-in")
        self.assertEqual(page.inner_text("#zoom-reset"), "156%")
        page.wait_for_function(f"() => ({COUNT_PIXELS})({RED_RGB}) > {before * 1.3}")
        page.click("#zoom-reset")
        self.assertEqual(page.inner_text("#zoom-reset"), "100%")
        page.mouse.move(*self.canvas_point(page, 0.5, 0.5))
        page.keyboard.down("Control")
        page.mouse.wheel(0, -300)
        page.keyboard.up("Control")
        self.assertNotEqual(page.inner_text("#zoom-reset"), "100%")

    def test_a_pan_draws_what_it_uncovers_at_once_as_a_whole_redraw_would(self):
        """
        Issue 19: a pan left the strip it uncovered blank until the view had
        rested and the whole board was drawn again. The board now moves with
        the view and only the uncovered strips are drawn, in the pan's own
        frame; stitched together they show what drawing it all again shows.
        """
        user, page = self.user_page("pam")
        self.create_board(page, "Panned")
        page.click(f'[data-color="{RED}"]')
        self.draw(page, self.wave(left=0.05, top=0.4, width=0.1, height=0.2))
        page.click(f'[data-color="{BLUE}"]')
        self.draw(page, [(0.5, 0.5), (0.55, 0.55)])  # drawn last: its undo draws the board again whole
        page.wait_for_function("() => document.querySelector('#connection-status').textContent === 'Live'")
        for _ in range(3):
            page.click("#zoom-in")  # about the middle: the red wave is now off the window's left edge
        page.wait_for_timeout(600)  # both strokes rest in the base, drawn for this view
        self.assertEqual(self.red_pixels(page), 0)
        # 32 wheel steps of 12 px, one a frame, bring the wave back in from the left; counted two frames after the last.
        red_at_once = page.evaluate(PAN_IN_STEPS, {"steps": 32, "rgb": RED_RGB})
        self.assertGreater(red_at_once, 200, "the uncovered strips were not drawn in the pan's frames")
        page.click("#undo")
        page.wait_for_function(f"() => ({COUNT_PIXELS})({BLUE_RGB}) === 0")
        page.wait_for_timeout(300)
        # Where the red wave is, pixel for pixel; anti-aliasing may tell a pixel or two apart where strips meet.
        moved = page.evaluate(RED_MOVED, RED_RGB)
        self.assertLessEqual(moved, 4, f"{moved} pixels are red in the stitched strips or in the board drawn whole, not both")

    def test_one_finger_draws_and_two_fingers_pinch_zoom_on_a_phone(self):
        user = make_user("tess")
        context = self.browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
        self.addCleanup(context.close)
        page = self.log_in(context.new_page(), user)
        board = self.create_board(page, "Touch board")
        touch = context.new_cdp_session(page)
        box = page.locator("#board-canvas").bounding_box()

        def touch_event(kind, *fingers):
            points = [{"x": box["x"] + x * box["width"], "y": box["y"] + y * box["height"]} for x, y in fingers]
            touch.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

        touch_event("touchStart", (0.3, 0.45))
        for step in range(1, 16):
            touch_event("touchMove", (0.3 + step * 0.02, 0.45 + (step % 4) * 0.01))
            page.wait_for_timeout(16)
        touch_event("touchEnd")
        page.wait_for_function("() => document.querySelector('#connection-status').textContent === 'Live'")
        stroke = Stroke.objects.get(board=board)
        self.assertGreater(stroke.point_count, 10)

        touch_event("touchStart", (0.45, 0.5), (0.55, 0.5))
        for step in range(1, 11):
            touch_event("touchMove", (0.45 - step * 0.02, 0.5), (0.55 + step * 0.02, 0.5))
            page.wait_for_timeout(16)
        touch_event("touchEnd")
        self.assertNotEqual(page.inner_text("#zoom-reset"), "100%")
        self.assertEqual(Stroke.objects.filter(board=board).count(), 1, "the pinch drew a stroke")

    def test_the_client_applies_events_and_its_own_acks_in_seq_order_once_each(self):
        """The page's connection module, fed frames as a server may send them (no socket needed)."""
        user, page = self.user_page("otto")
        page.goto(f"{self.live_server_url}/whiteboard/")
        applied = page.evaluate(
            """async () => {
              const { BoardConnection } = await import("/static/js/connection.js");
              const applied = [];
              const connection = new BoardConnection({
                path: "/ws/none/", since: 10,
                onEvent: (frame) => applied.push(`event ${frame.seq}`),
                onAck: (command, ack) => applied.push(`ack ${ack.seq} ${command.type}`),
                onError: () => applied.push("error"),
                onEphemeral: () => {},
                onStatus: () => {},
              });
              connection.send({ type: "stroke", id: "s1", chunk: 0 });
              connection.send({ type: "undo" }, { idempotent: false });
              const deliver = (frame) => connection.receive(JSON.stringify(frame));
              deliver({ type: "ack", ref: 1, seq: 12 });          // own chunk, stored after someone else's 11
              deliver({ type: "stroke", seq: 10 });              // already in the snapshot
              deliver({ type: "stroke", seq: 11 });              // fills the gap: 11, then the ack at 12
              deliver({ type: "ack", ref: 1, seq: 12 });          // a repeated ack changes nothing
              deliver({ type: "erase", seq: 14 });               // waits for 13
              deliver({ type: "ack", ref: 2, seq: 13 });
              deliver({ type: "erase", seq: 14 });               // a repeat (catch-up) is ignored
              applied.push(`last ${connection.lastSeq} pending ${connection.pendingCount}`);
              return applied;
            }"""
        )
        self.assertEqual(
            applied, ["event 11", "ack 12 stroke", "ack 13 undo", "event 14", "last 14 pending 0"]
        )

    def test_the_board_state_applies_every_event_idempotently(self):
        user, page = self.user_page("stella")
        page.goto(f"{self.live_server_url}/whiteboard/")
        result = page.evaluate(
            """async (oldPoints) => {
              const { BoardState } = await import("/static/whiteboard/strokes.js");
              const state = new BoardState({ onChange: () => {} });
              const stroke = { user: "ann", tool: "pen", color: "#000000", width: 4 };
              const columns = {
                id: ["old", "gone"], user: ["ann", "ann"], tool: ["pen", "pen"], color: ["#000000", "#000000"],
                width: [4, 4], chunks: [1, 1], created: [2, 3], hidden: [0, 1], hidden_by: [0, 4], props: [{}, {}],
                dx: [0.5, 0], dy: [0, 0], version: [0, 0],
              };
              state.load({ seq: 5, strokes: { ...columns, points: [oldPoints, oldPoints] } });
              const loaded = state.visible().map((s) => s.id);
              const oldAtLoad = state.get("old").points[0];  // drawn at its points plus its offset
              state.addChunk({ ...stroke, id: "live", chunk: 0, points: [[0.2, 0.2]] }, 6);
              state.addChunk({ ...stroke, id: "live", chunk: 1, points: [[0.3, 0.3]] }, 7);
              state.addChunk({ ...stroke, id: "live", chunk: 1, points: [[0.3, 0.3]] }, 7);  // replayed
              state.addChunk({ ...stroke, id: "mine", chunk: 0, points: [[0.4, 0.4]] });      // not stored yet
              state.clearBefore(8);
              const afterClear = state.visible().map((s) => s.id);
              state.applyChange({ show_marks: [8] }, 9);  // the undo of the clear
              state.applyChange({ show_marks: [8] }, 9);  // replayed
              const afterUndo = state.visible().map((s) => s.id);
              state.applyChange({ hide_marks: [8] }, 10);  // its redo
              const afterRedo = state.visible().map((s) => s.id);
              state.applyChange({ show_marks: [4], hide_after: { seq: 6 } }, 11);  // a restore to seq 6
              const afterRestore = state.visible().map((s) => s.id);
              state.applyChange({ show: [{ ...stroke, id: "old", chunks: 1, points: [[0.1, 0.1]] }] }, 12);  // stored before marks
              const afterOld = state.visible().map((s) => s.id);
              state.moveElements({ id: "m1", ids: ["live"], dx: 0.1, dy: 0 });  // this page's own move
              state.moveElements({ id: "m1", ids: ["live"], dx: 0.1, dy: 0, seq: 13 });  // its event, in a catch-up
              state.applyChange({ moves: [[0, 0.25, ["live"]]] }, 14);  // an undo of someone's move
              return {
                loaded, afterClear, afterUndo, afterRedo, afterRestore, afterOld,
                live: state.get("live").points.length, moved: state.get("live").points[0].map((v) => Math.round(v * 1e4) / 1e4),
                gone: state.get("gone").points[0], oldAtLoad,
              };
            }""",
            packed([[0.1, 0.1]]),
        )
        self.assertEqual(result, {
            "loaded": ["old"], "afterClear": ["mine"], "afterUndo": ["old", "live", "mine"], "afterRedo": ["mine"],
            "afterRestore": ["gone", "mine"], "afterOld": ["old", "gone", "mine"], "live": 2,
            "moved": [0.3, 0.45],  # moved once by m1, however often it came, and once by the undo
            "gone": [0.1, 0.1], "oldAtLoad": [0.6, 0.1],
        })

    def test_the_page_replays_random_histories_exactly_as_the_server_does(self):
        """
        The page's rules for what undo, redo, restore and revert name (strokes.js)
        mirror the server's (whiteboard/visibility.py): random histories, made
        through the real services, replayed in the page from their stored events,
        and loaded from the snapshot, show exactly the strokes the server shows.
        """
        user, page = self.user_page("rita")
        page.goto(f"{self.live_server_url}/whiteboard/")
        named = set()
        for seed in range(6):
            frames, snapshot, expected = outside_the_event_loop(lambda: random_history(seed))
            named.update(key for frame in frames for key in ("show_marks", "hide_marks", "hide_after", "hide") if key in frame)
            shown = page.evaluate(
                """async ([frames, snapshot]) => {
                  const { BoardState } = await import("/static/whiteboard/strokes.js");
                  const { applyFrame } = await import("/static/whiteboard/history.js");
                  const round = (value) => Math.round(value * 10000) / 10000;
                  const order = (state) => state.visible().sort((a, b) => a.createdSeq - b.createdSeq)
                    .map((s) => [s.id, round(s.dx), round(s.dy), s.props.text ?? null, s.textVersion]);
                  const replayed = new BoardState({ onChange: () => {} });
                  for (const frame of frames) applyFrame(replayed, frame);
                  const loaded = new BoardState({ onChange: () => {} });
                  loaded.load(snapshot);
                  return [order(replayed), order(loaded)];
                }""",
                [frames, snapshot],
            )
            with self.subTest(seed=seed, events=len(frames)):
                self.assertEqual(shown, [expected, expected])
        self.assertEqual(named, {"show_marks", "hide_marks", "hide_after", "hide"}, "the histories use every way of naming")

    def canvas_point(self, page, x, y):
        box = page.locator("#board-canvas").bounding_box()
        return box["x"] + x * box["width"], box["y"] + y * box["height"]

    def test_the_whole_toolbar_and_board_show_at_every_width(self):
        """
        Issue 18: at 780-840 px Clear (and Redo at 780-800) were cut off the
        toolbar, and a window made smaller left the board off-screen.
        """
        user, page = self.user_page("wanda", viewport={"width": 1280, "height": 800})
        self.create_board(page, "Resized")
        page.click(f'[data-color="{RED}"]')
        self.draw(page, [(0.3, 0.5), (0.7, 0.5)])
        self.wait_for_red_pixels(page, present=True)
        for width in (700, 780, 800, 820, 840, 900, 1280):
            page.set_viewport_size({"width": width, "height": 700})
            toolbar = page.locator(".wb-toolbar").bounding_box()
            with self.subTest(width=width):
                self.assertGreaterEqual(toolbar["x"], 0)
                self.assertLessEqual(toolbar["x"] + toolbar["width"], width)
                for name in ("#undo", "#redo", "#clear"):
                    box = page.locator(name).bounding_box()
                    self.assertLessEqual(box["x"] + box["width"], width, f"{name} is cut off at {width} px")
            if width == 800:
                self.screenshot(page, "whiteboard-800px.png")
            with self.subTest("the board is fitted again", width=width):
                # Issue 18: after a resize the board lay off-screen while the zoom said 100%.
                self.assert_fitted_again(page)

    def assert_fitted_again(self, page):
        """The zoom says 100%, and the red line drawn across the sheet's middle shows whole, centred as the sheet is."""
        expect(page.locator("#zoom-reset")).to_have_text("100%")
        # A resize redraws on the next frame: wait for it, then say what is wrong if it never came.
        fitted = f"""() => {{
          const [left, right, width] = ({RED_SPAN})({RED_RGB});
          return left > 0 && right < width - 1 && Math.abs((left + right) / 2 - width / 2) <= 0.05 * width;
        }}"""
        try:
            page.wait_for_function(fitted, timeout=10_000)
        except PlaywrightTimeoutError:
            pass
        left, right, canvas_width = page.evaluate(RED_SPAN, RED_RGB)
        self.assertGreater(left, 0)
        self.assertLess(right, canvas_width - 1)
        self.assertAlmostEqual((left + right) / 2, canvas_width / 2, delta=0.05 * canvas_width)

    def test_the_board_fits_a_phone(self):
        user, page = self.user_page("phoebe", viewport={"width": 390, "height": 844})
        self.create_board(page, "Pocket board")
        self.assertLessEqual(page.evaluate("document.documentElement.scrollWidth"), 390)
        self.assertTrue(page.is_visible('[data-tool="pen"]'))
        self.assertTrue(page.is_visible("#undo"))
        # Issue 18: on a phone the status said nothing (so "unsaved" was never seen), the nav
        # was clipped ("Kanban" showed as "K", no user name) and every button was under 44 px.
        expect(page.locator("#connection-status")).to_have_text("Live")
        self.assertGreaterEqual(page.locator("#connection-status").evaluate(FONT_SIZE), 11)
        for link in ("Whiteboards", "Kanban", "Log out", "phoebe"):
            box = page.locator(".topbar").get_by_text(link, exact=True).bounding_box()
            self.assertLessEqual(box["x"] + box["width"], 390, f"{link} is cut off")
            self.assertTrue(page.locator(".topbar").get_by_text(link, exact=True).evaluate(NOT_CLIPPED), link)
        self.assertEqual(page.evaluate(SMALL_TARGETS), [], "buttons smaller than 44 px")
        toolbar = page.locator(".wb-toolbar").bounding_box()
        self.assertGreaterEqual(toolbar["x"], 0)
        self.assertLessEqual(toolbar["x"] + toolbar["width"], 390)
        # The board was 366 x 228 px, a quarter of the screen: it takes the screen's width and most of its height.
        board = page.locator("#board-canvas").bounding_box()
        self.assertGreaterEqual(board["width"], 380)
        self.assertGreaterEqual(board["height"], 844 / 2)
        self.screenshot(page, "whiteboard-phone.png")
        # Turned to landscape and back, the board is fitted again: the line across the sheet's middle
        # shows whole and centred, the zoom says so, and the toolbar stays whole. The marker is wide enough
        # to be seen with the whole sheet in 390 px.
        page.click(f'[data-color="{RED}"]')
        page.click('[data-width="48"]')
        self.draw(page, [(0.3, 0.5), (0.7, 0.5)])
        self.wait_for_red_pixels(page, present=True)
        for width, height in ((844, 390), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            with self.subTest(width=width, height=height):
                toolbar = page.locator(".wb-toolbar").bounding_box()
                self.assertGreaterEqual(toolbar["x"], 0)
                self.assertLessEqual(toolbar["x"] + toolbar["width"], width)
                self.assert_fitted_again(page)

    def test_a_staff_member_s_top_bar_fits_a_phone_too(self):
        """Staff have an Admin link more: on a phone it pushed the bar into a strip that scrolled sideways."""
        staff = make_user("stella", is_staff=True)
        page = self.log_in(self.new_page(viewport={"width": 390, "height": 844}), staff)
        page.goto(f"{self.live_server_url}/whiteboard/")
        self.assertLessEqual(page.evaluate("document.documentElement.scrollWidth"), 390)
        nav = page.locator(".topbar .topnav")
        self.assertLessEqual(nav.evaluate("node => node.scrollWidth - node.clientWidth"), 1, "the links scroll sideways")
        for link in ("Whiteboards", "Kanban", "Log out", "stella"):
            with self.subTest(link=link):
                self.assertTrue(page.locator(".topbar").get_by_text(link, exact=True).evaluate(NOT_CLIPPED), link)
        # Admin is a cog there, named for screen readers, and leads to the admin.
        admin = page.get_by_role("link", name="Admin", exact=True)
        self.assertTrue(admin.evaluate(NOT_CLIPPED))
        box = admin.bounding_box()
        self.assertLessEqual(box["x"] + box["width"], 390)
        self.assertGreaterEqual(box["width"], 18)
        self.screenshot(page, "whiteboard-phone-staff.png")
        admin.click()
        expect(page).to_have_title(re.compile("administration", re.IGNORECASE))


def random_history(seed, *, steps=40):
    """
    A board changed at random through the services by two people (draw,
    write and edit a note, move, erase, clear, undo, redo, restore, revert): its stored
    event frames, its snapshot, and the strokes it shows, in drawing order,
    each as [id, dx, dy, a note's text, its version].
    """
    import json
    import random

    from boardsite.collab.errors import ActionError
    from whiteboard import selectors, services

    rng = random.Random(seed)
    owner, other = make_user(f"owner{seed}"), make_user(f"other{seed}")
    board = services.board_create(name=f"Random {seed}", owner=owner)
    board.members.add(other)
    for number in range(steps):
        actor = rng.choice([owner, other])
        kind = rng.choice(
            ["draw", "draw", "write", "edit", "move", "erase", "clear", "undo", "undo", "redo", "restore", "revert"]
        )
        board.refresh_from_db()
        visible = list(Stroke.objects.filter(board=board, hidden=False).values_list("client_id", flat=True))
        try:
            if kind == "draw":
                services.stroke_add_chunk(
                    board=board, actor=actor, stroke_id=f"s{number}", chunk=0, tool="pen", color="#000000", width=4,
                    points=[[rng.random(), rng.random()]],
                )
            elif kind == "write":
                services.text_add(
                    board=board, actor=actor, stroke_id=f"n{number}", tool="note", color="#000000",
                    points=[[0.1, 0.1], [0.2, 0.2]], props={"text": "Hi", "size": 24, "align": "left", "fill": "#fff3bf"},
                )
            elif kind == "edit":
                notes = list(Stroke.objects.filter(board=board, hidden=False, tool="note").values_list("client_id", "version"))
                if notes:
                    note_id, version = rng.choice(notes)
                    services.text_edit(
                        board=board, actor=actor, edit_id=f"e{number}", stroke_id=note_id, version=version,
                        color="#000000", points=[[0.1, 0.1], [0.3, round(rng.uniform(0.2, 0.4), 4)]],
                        props={"text": f"Edit {number}", "size": 24, "align": "center", "fill": None},
                    )
            elif kind == "move":
                services.elements_move(
                    board=board, actor=actor, move_id=f"m{number}", stroke_ids=rng.sample(visible, min(3, len(visible))) or ["x"],
                    dx=round(rng.uniform(-0.1, 0.1), 4) or 0.01, dy=round(rng.uniform(-0.1, 0.1), 4),
                )
            elif kind == "erase":
                services.strokes_erase(board=board, actor=actor, stroke_ids=rng.sample(visible, min(2, len(visible))) or ["x"])
            elif kind == "clear":
                services.board_clear(board=board, actor=actor)
            elif kind in ("undo", "redo"):
                (services.history_undo if kind == "undo" else services.history_redo)(board=board, actor=actor)
            elif kind == "restore":
                services.board_restore(board=board, actor=owner, to_seq=rng.randint(0, board.last_seq))
            else:
                services.board_revert_user(
                    board=board, actor=owner, username=actor.username, after_seq=rng.randint(0, board.last_seq)
                )
        except ActionError:
            pass
    frames = list(board.events.order_by("seq").values_list("payload", flat=True))
    snapshot = json.loads(selectors.board_snapshot_json(board=board))
    expected = [
        [client_id, round(dx, 4), round(dy, 4), props.get("text"), version]
        for client_id, dx, dy, props, version in Stroke.objects.filter(board=board, hidden=False)
        .order_by("created_seq")
        .values_list("client_id", "offset_x", "offset_y", "props", "version")
    ]
    return frames, snapshot, expected
