"""
The history panel of a long board: it opens at once on the latest moment
(the live board) and loads the 10,000 events before it a page at a time
behind it; a moment asked for before its page arrives is shown when it does.
"""

import time

from playwright.sync_api import expect

from bench import fixtures
from tests.browser.base import BrowserTestCase, outside_the_event_loop
from whiteboard import services
from whiteboard.replay import HISTORY_PAGE_SIZE

EVENTS = 10_000

# When the position first says the latest moment: how many pages of history.json had arrived by then.
RECORD_OPENED = """(latest) => new MutationObserver((changes, observer) => {
  const position = document.querySelector("[data-history=position]");
  if (position?.textContent === `#${latest} of ${latest}`) {
    window.__pagesWhenOpen = performance.getEntriesByType("resource").filter((entry) => entry.name.includes("/history.json")).length;
    window.__openedAt = performance.now();
    observer.disconnect();
  }
}).observe(document, { subtree: true, childList: true, characterData: true })"""


class HistoryPagesBrowserTests(BrowserTestCase):
    def setUp(self):
        self.alice, self.page = self.user_page("alice")
        self.board = outside_the_event_loop(self.long_board)

    def long_board(self):
        board = services.board_create(name="A long day", owner=self.alice)
        return fixtures.fill_whiteboard(board, strokes=EVENTS, points=2, author=self.alice)

    def test_the_panel_opens_on_the_latest_moment_before_the_history_has_loaded(self):
        page = self.page
        page.goto(f"{self.live_server_url}{self.board.get_absolute_url()}")
        page.wait_for_selector("#connection-status[data-state=live]")
        latest = f"{EVENTS:,}"
        page.evaluate(RECORD_OPENED, latest)
        started = page.evaluate("() => performance.now()")
        page.click("#history-open")
        page.wait_for_function("() => window.__openedAt !== undefined")
        opened_ms = page.evaluate("() => window.__openedAt") - started
        self.assertEqual(page.evaluate("() => window.__pagesWhenOpen"), 0)  # shown before any page of events arrived
        expect(page.locator("[data-history=when]")).to_have_text("Now")
        loaded_at = time.monotonic()
        # The first moment needs the first page: shown as soon as it is in.
        page.locator("[data-history=slider]").press("Home")
        expect(page.locator("[data-history=position]")).to_have_text(f"#0 of {latest}")
        page.locator("[data-history=slider]").press("ArrowRight")
        expect(page.locator("[data-history=status]")).to_have_text("alice started a stroke")
        expect(page.locator("[data-history=position]")).to_have_text(f"#1 of {latest}")
        # The last page in, the whole timeline replays: the moment before the latest, then the latest again.
        pages = -(-EVENTS // HISTORY_PAGE_SIZE)
        page.wait_for_function(
            f"() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/history.json')).length >= {pages}"
        )
        page.locator("[data-history=slider]").press("End")
        page.locator("[data-history=slider]").press("ArrowLeft")
        expect(page.locator("[data-history=position]")).to_have_text(f"#{EVENTS - 1:,} of {latest}")
        expect(page.locator("[data-history=status]")).to_have_text("alice started a stroke")
        page.locator("[data-history=slider]").press("End")
        expect(page.locator("[data-history=position]")).to_have_text(f"#{latest} of {latest}")
        print(
            f"\nhistory panel over {EVENTS:,} events: the latest moment shown {opened_ms:.0f} ms after the click; "
            f"all {pages} pages in {time.monotonic() - loaded_at:.1f} s later at most"
        )
