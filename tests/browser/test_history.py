"""
History in real Chromium: the whiteboard's time-lapse (scrubbing, the author
filter, restoring an earlier moment, seen live by another member) and the
kanban activity feed. What the board shows is checked on canvas pixels.
"""

from playwright.sync_api import expect

from boardsite.collab import services as collab_services
from kanban import services as kanban_services
from tests.browser.base import COUNT_PIXELS, BrowserTestCase, outside_the_event_loop
from tests.support import make_user
from whiteboard import services
from whiteboard.models import Stroke

RED, BLUE = "#e03131", "#1971c2"
RED_RGB = [0xE0, 0x31, 0x31]


def red_pixels_condition(present):
    return f"() => ({COUNT_PIXELS})({RED_RGB}) {'> 200' if present else '=== 0'}"


class WhiteboardHistoryBrowserTests(BrowserTestCase):
    def setUp(self):
        self.alice, self.alice_page = self.user_page("alice")
        self.bob, self.bob_page = self.user_page("bob")
        outside_the_event_loop(self.draw_history)

    def draw_history(self):
        self.board = services.board_create(name="Launch plan", owner=self.alice)
        collab_services.board_add_member(board=self.board, username="bob", actor=self.alice)
        # Alice sketches a red frame and a title line; Bob adds a blue note, then wipes the board and scribbles.
        services.shape_add(
            board=self.board, actor=self.alice, stroke_id="frame", tool="rect", color=RED, width=12,
            points=[[0.1, 0.15], [0.55, 0.7]],
        )
        services.stroke_add_chunk(
            board=self.board, actor=self.alice, stroke_id="title", chunk=0, tool="pen", color=RED, width=12,
            points=[[0.15 + i / 100, 0.25 + (i % 4) / 200] for i in range(30)],
        )
        services.stroke_add_chunk(
            board=self.board, actor=self.bob, stroke_id="note", chunk=0, tool="pen", color=BLUE, width=12,
            points=[[0.65 + i / 150, 0.3 + (i % 6) / 60] for i in range(40)],
        )
        self.board.refresh_from_db()
        self.before_vandalism = self.board.last_seq
        services.board_clear(board=self.board, actor=self.bob)
        services.shape_add(
            board=self.board, actor=self.bob, stroke_id="scribble", tool="ellipse", color="#2f9e44", width=24,
            points=[[0.3, 0.3], [0.8, 0.9]],
        )

    def open_board(self, page):
        page.goto(f"{self.live_server_url}{self.board.get_absolute_url()}")
        page.wait_for_selector("#connection-status[data-state=live]")

    def open_history(self, page):
        """Open the panel; it starts at the latest event."""
        self.board.refresh_from_db()
        latest = self.board.last_seq
        page.click("#history-open")
        page.wait_for_selector(f"[data-history=position]:has-text('#{latest} of {latest}')")

    def test_the_owner_scrubs_back_to_before_the_vandal_and_restores_it_for_everyone(self):
        self.open_board(self.alice_page)
        self.open_board(self.bob_page)
        alice = self.alice_page
        self.assertEqual(alice.evaluate(COUNT_PIXELS, RED_RGB), 0)

        self.open_history(alice)
        slider = alice.locator("[data-history=slider]")
        slider.press("Home")
        alice.wait_for_selector("[data-history=status]:has-text('Before anything was drawn')")
        alice.wait_for_function(red_pixels_condition(False))
        for _ in range(self.before_vandalism):
            slider.press("ArrowRight")
        alice.wait_for_selector(f"[data-history=position]:has-text('#{self.before_vandalism} of ')")
        alice.wait_for_selector("[data-history=status]:has-text('bob started a stroke')")
        alice.wait_for_function(red_pixels_condition(True))
        self.assertEqual(alice.locator(".wb-author[data-author=alice] .wb-author-count").text_content(), "2")
        self.assertEqual(alice.locator(".wb-author[data-author=bob] .wb-author-count").text_content(), "1")

        # Only Bob's strokes: Alice's fade out; picking him again shows everyone's.
        alice.click(".wb-author[data-author=bob]")
        alice.wait_for_function(red_pixels_condition(False))
        self.assertEqual(alice.locator("[data-history=revert]").text_content(), "Revert bob after this")
        alice.click(".wb-author[data-author=bob]")
        alice.wait_for_function(red_pixels_condition(True))
        self.screenshot(alice, "whiteboard-history.png")

        alice.click("[data-history=restore]")
        alice.wait_for_selector("#restore-dialog[open]")
        self.assertIn(f"as it was at #{self.before_vandalism}", alice.locator("#restore-dialog [data-restore=text]").text_content())
        alice.click("#restore-dialog button[value=confirm]")
        alice.wait_for_selector("#history-panel", state="hidden")
        alice.wait_for_selector("#toast:has-text('Board restored')")
        self.bob_page.wait_for_function(red_pixels_condition(True))
        self.bob_page.wait_for_selector("#toast:has-text('alice restored the board')")
        visible = set(Stroke.objects.filter(board=self.board, hidden=False).values_list("client_id", flat=True))
        self.assertEqual(visible, {"frame", "title", "note"})

        # The restore is one step of Alice's: Undo takes it back for everyone.
        alice.click("#undo")
        self.bob_page.wait_for_function(red_pixels_condition(False))
        visible = set(Stroke.objects.filter(board=self.board, hidden=False).values_list("client_id", flat=True))
        self.assertEqual(visible, {"scribble"})

    def test_the_owner_reverts_one_person_and_members_see_history_without_restoring(self):
        self.open_board(self.bob_page)
        self.open_history(self.bob_page)
        self.assertEqual(self.bob_page.locator("[data-history=restore]").count(), 0)
        self.assertEqual(self.bob_page.locator("[data-history=revert]").count(), 0)

        alice = self.alice_page
        self.open_board(alice)
        self.open_history(alice)
        alice.locator("[data-history=slider]").evaluate(
            "(slider, seq) => { slider.value = seq; slider.dispatchEvent(new Event('input', {bubbles: true})); }",
            self.before_vandalism,
        )
        alice.click(".wb-author[data-author=bob]")
        alice.click("[data-history=revert]")
        alice.wait_for_selector("#restore-dialog[open]:has-text('Revert bob')")
        alice.click("#restore-dialog button[value=confirm]")
        alice.wait_for_selector("#toast:has-text('Changes taken back')")
        alice.wait_for_function(red_pixels_condition(True))
        self.bob_page.wait_for_selector("#toast:has-text('alice took back bob')")
        # Bob was watching the latest moment in his history panel: the revert joins his timeline.
        self.bob_page.wait_for_selector(
            f"[data-history=status]:has-text(\"alice reverted bob's changes after #{self.before_vandalism}\")"
        )
        self.board.refresh_from_db()
        self.bob_page.wait_for_selector(f"[data-history=position]:has-text('#{self.board.last_seq} of {self.board.last_seq}')")
        visible = set(Stroke.objects.filter(board=self.board, hidden=False).values_list("client_id", flat=True))
        self.assertEqual(visible, {"frame", "title", "note"})

    def test_escape_closes_the_history_panel_as_soon_as_it_opens_and_after(self):
        """Issue 18: Esc did not close the history panel right after it opened."""
        self.open_board(self.alice_page)
        self.alice_page.click("#history-open")
        self.alice_page.keyboard.press("Escape")
        expect(self.alice_page.locator("#history-panel")).to_be_hidden()
        self.open_history(self.alice_page)
        expect(self.alice_page.locator("[data-history=slider]")).to_be_focused()
        self.alice_page.keyboard.press("Escape")
        expect(self.alice_page.locator("#history-panel")).to_be_hidden()
        expect(self.alice_page.locator("#history-open")).to_be_focused()

    def test_the_history_panel_fits_a_phone(self):
        _, phone = self.user_page("carol", viewport={"width": 390, "height": 844})
        outside_the_event_loop(
            lambda: collab_services.board_add_member(board=self.board, username="carol", actor=self.alice)
        )
        self.open_board(phone)
        self.open_history(phone)
        phone.locator("[data-history=slider]").press("Home")
        for _ in range(self.before_vandalism):
            phone.locator("[data-history=slider]").press("ArrowRight")
        phone.wait_for_function(red_pixels_condition(True))
        panel = phone.locator("#history-panel").bounding_box()
        self.assertLessEqual(panel["x"] + panel["width"], 390)
        self.assertGreaterEqual(panel["x"], 0)
        self.screenshot(phone, "whiteboard-history-phone.png")


class KanbanActivityBrowserTests(BrowserTestCase):
    def setUp(self):
        self.alice, self.alice_page = self.user_page("alice")
        self.bob = make_user("bob")
        outside_the_event_loop(self.plan_the_week)

    def plan_the_week(self):
        self.board = kanban_services.board_create(name="Release", owner=self.alice)
        collab_services.board_add_member(board=self.board, username="bob", actor=self.alice)
        columns = {column.title: column.pk for column in self.board.columns.all()}
        report = kanban_services.card_create(board=self.board, column_id=columns["To do"], title="Write report", actor=self.alice)
        kanban_services.card_create(board=self.board, column_id=columns["To do"], title="Book the room", actor=self.bob)
        report_id = report.details["card"]["id"]
        kanban_services.card_move(board=self.board, card_id=report_id, version=1, column_id=columns["Doing"],
                                  index=0, actor=self.bob)
        kanban_services.card_update(board=self.board, card_id=report_id, version=2, actor=self.alice,
                                    changes={"title": "Write the report", "due": "2026-12-04"})

    def test_the_feed_tells_who_did_what_filters_and_updates_live(self):
        page = self.alice_page
        page.goto(f"{self.live_server_url}{self.board.get_absolute_url()}")
        page.wait_for_selector("#connection-status[data-state=live]")
        page.click("#activity-open")
        first = page.locator("#activity-list .activity-entry").first
        first.wait_for()
        self.assertEqual(first.locator(".activity-summary").text_content(), "alice edited ‘Write the report’: title, due date")
        self.assertIn("Title: Write report → Write the report", first.locator(".activity-details").inner_text())
        self.assertEqual(first.locator("time").text_content(), "just now")
        page.wait_for_selector(".activity-summary:has-text('bob moved ‘Write report’ from To do to Doing')")

        # Bob finishes the report on his own screen (with the keyboard): Alice's feed shows it at once.
        bob_page = self.log_in(self.new_page(), self.bob)
        bob_page.goto(f"{self.live_server_url}{self.board.get_absolute_url()}")
        bob_page.wait_for_selector("#connection-status[data-state=live]")
        bob_page.focus(".kanban-card:has-text('Write the report')")
        bob_page.keyboard.press("Alt+ArrowRight")
        page.wait_for_selector(
            "#activity-list .activity-entry:first-child .activity-summary:has-text('bob moved ‘Write the report’ from Doing to Done')"
        )
        self.screenshot(page, "kanban-activity.png")

        page.select_option("#activity-person", "alice")
        page.wait_for_function(
            "() => [...document.querySelectorAll('#activity-list .activity-summary')].every((p) => p.textContent.startsWith('alice'))"
        )
        page.select_option("#activity-person", "")
        page.locator("#activity-list .activity-entry").filter(has_text="Book the room").locator(".activity-card-filter").click()
        page.wait_for_selector("#activity-card:has-text('Card: Book the room')")
        page.wait_for_function("() => document.querySelectorAll('#activity-list .activity-entry').length === 1")

        # The card's own history, in its editor.
        page.click("#activity-close")
        page.click(".kanban-card:has-text('Write the report')")
        page.click("#card-history summary")
        page.wait_for_selector("#card-history-list .activity-entry >> nth=3")
        summaries = page.locator("#card-history-list .activity-summary").all_text_contents()
        self.assertEqual(summaries[-1], "alice added ‘Write report’ to To do")
        self.assertEqual(len(summaries), 4)
