"""
axe-core (vendored from npm) in real Chromium finds no critical or serious
accessibility violation on the pages people use, in the light and the dark
colour scheme: login, home, both board pages, the whiteboard's history panel
and the kanban's card editor.
"""

import io

from django.conf import settings

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kanban import attachments, checklists, comments, lanes
from kanban import services as kanban_services
from tests.browser.base import BrowserTestCase, outside_the_event_loop
from tests.kanban.helpers import add_cards, columns_of
from tests.kanban.test_attachments import image_bytes
from tests.support import make_user
from whiteboard import services as whiteboard_services

AXE = settings.BASE_DIR / "static" / "vendor" / "axe-core-4.14.1" / "axe.min.js"

# Each violation as "rule (impact): the first elements it names", for the failure message.
RUN_AXE = """async () => {
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations
    .filter((violation) => violation.impact === "critical" || violation.impact === "serious")
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help}; ` +
      violation.nodes.slice(0, 3).map((node) => node.target.join(" ")).join(" | "));
}"""


class AccessibilityTests(BrowserTestCase):
    def setUp(self):
        self.alice = make_user("alice")
        outside_the_event_loop(self.make_boards)

    def make_boards(self):
        self.whiteboard = whiteboard_services.board_create(name="Sketches", owner=self.alice)
        whiteboard_services.shape_add(board=self.whiteboard, actor=self.alice, stroke_id="box", tool="rect",
                                      color="#e03131", width=6, points=[[0.1, 0.1], [0.4, 0.4]])
        self.kanban = kanban_services.board_create(name="Plans", owner=self.alice)
        (card,) = add_cards(self.kanban, columns_of(self.kanban)["To do"], ["Write docs"], actor=self.alice)
        comments.comment_create(board=self.kanban, card_id=card["id"], body="@alice see **this** `code`",
                                actor=self.alice)
        bob = make_user("bob")
        self.kanban.members.add(bob)
        comments.comment_create(board=self.kanban, card_id=card["id"], body="@alice an unread mention", actor=bob)
        steps = checklists.checklist_create(board=self.kanban, card_id=card["id"], title="Steps", actor=self.alice).details
        for text in ("Draft", "Review"):
            checklists.item_create(board=self.kanban, checklist_id=steps["checklist"]["id"], text=text, actor=self.alice)
        # A board with swimlanes, a card with a cover, a file and a due time.
        self.laned = kanban_services.board_create(name="Lanes", owner=self.alice)
        (poster,) = add_cards(self.laned, columns_of(self.laned)["Doing"], ["Poster"], actor=self.alice)
        add_cards(self.laned, columns_of(self.laned)["To do"], ["Flyer"], actor=self.alice)
        kanban_services.card_update(board=self.laned, card_id=poster["id"], version=1, actor=self.alice,
                                    changes={"due": "2031-05-14", "due_time": "17:00", "start": "2031-05-12"})
        for name, content in (("draft.png", image_bytes()), ("notes.txt", b"Notes")):
            attachments.attachment_create(board=self.laned, card_id=poster["id"], actor=self.alice,
                                          upload=attachments.check_upload(SimpleUploadedFile(name, content)))
        lanes.lane_create(board=self.laned, title="Design", actor=self.alice)
        lanes.lane_create(board=self.laned, title="Print", actor=self.alice)

    def page_for(self, scheme, *, logged_in=True):
        page = self.new_page(color_scheme=scheme)
        page.context.add_init_script(path=str(AXE))
        return self.log_in(page, self.alice) if logged_in else page

    def assert_no_serious_violations(self, page, where):
        violations = page.evaluate(RUN_AXE)
        self.assertEqual(violations, [], f"{where}: " + "\n".join(violations))

    def test_the_ink_swatch_shows_on_the_dark_toolbar(self):
        """
        Issue 18: in the dark scheme the Ink swatch, nearly the toolbar's own
        colour, looked like an empty ring. A light ring inside it shows
        where it is.
        """
        page = self.page_for("dark")
        page.goto(f"{self.live_server_url}{self.whiteboard.get_absolute_url()}")
        page.wait_for_selector("#connection-status[data-state=live]")
        swatch = Image.open(io.BytesIO(page.locator('[data-color="#1b1e2b"]').screenshot())).convert("RGB")
        # Grey pixels well above the swatch's and the toolbar's darkness (the accent ring around it is blue).
        ring = sum(1 for pixel in swatch.getdata() if min(pixel) > 90 and max(pixel) - min(pixel) < 40)
        self.assertGreaterEqual(ring, 30, "no light ring inside the Ink swatch")

    def test_no_critical_or_serious_violations_in_light_and_dark(self):
        for scheme in ("light", "dark"):
            with self.subTest(scheme=scheme):
                anonymous = self.page_for(scheme, logged_in=False)
                anonymous.goto(f"{self.live_server_url}/accounts/login/")
                self.assert_no_serious_violations(anonymous, f"login ({scheme})")

                page = self.page_for(scheme)
                self.assert_no_serious_violations(page, f"home ({scheme})")

                page.goto(f"{self.live_server_url}{self.whiteboard.get_absolute_url()}")
                page.wait_for_selector("#connection-status[data-state=live]")
                self.assert_no_serious_violations(page, f"whiteboard ({scheme})")
                self.screenshot(page, f"whiteboard-{scheme}.png")
                page.click("#history-open")
                page.wait_for_selector("[data-history=slider]:focus")
                self.assert_no_serious_violations(page, f"whiteboard history ({scheme})")

                page.goto(f"{self.live_server_url}{self.kanban.get_absolute_url()}")
                page.wait_for_selector("#connection-status[data-state=live]")
                self.assert_no_serious_violations(page, f"kanban ({scheme})")
                page.click(".kanban-card:has-text('Write docs')")
                page.wait_for_selector("#card-editor[open] .comment .mention")
                page.wait_for_selector("#card-editor[open] .checklist-item")
                self.assert_no_serious_violations(page, f"card editor with a comment ({scheme})")
                page.locator("#comment-body").press_sequentially("@a")
                page.wait_for_selector(".tribute-container li")
                self.assert_no_serious_violations(page, f"the mention menu ({scheme})")
                page.keyboard.press("Escape")
                page.keyboard.press("Escape")
                page.keyboard.press("Escape")
                page.click("#archive-open")
                page.wait_for_selector("#archive-dialog[open] li")
                self.assert_no_serious_violations(page, f"the archive ({scheme})")
                page.keyboard.press("Escape")
                page.goto(f"{self.live_server_url}{self.laned.get_absolute_url()}")
                page.wait_for_selector("#connection-status[data-state=live]")
                page.wait_for_selector(".lane-head .lane-title")
                self.assert_no_serious_violations(page, f"kanban with lanes ({scheme})")
                self.screenshot(page, f"kanban-lanes-{scheme}.png")
                page.click(".kanban-card:has-text('Poster')")
                page.wait_for_selector("#card-editor[open] .attachment .attachment-name")
                self.assert_no_serious_violations(page, f"card editor with files ({scheme})")
                page.keyboard.press("Escape")
                page.locator(".lane-head", has_text="Print").locator(".lane-menu").click()
                page.wait_for_selector("#lane-editor[open]")
                self.assert_no_serious_violations(page, f"the lane dialog ({scheme})")
                page.keyboard.press("Escape")
                page.goto(f"{self.live_server_url}/kanban/mine/")
                self.assert_no_serious_violations(page, f"my cards ({scheme})")
                page.goto(f"{self.live_server_url}/kanban/notifications/")
                self.assert_no_serious_violations(page, f"notifications ({scheme})")
                page.context.close()  # its card lock goes with it, for the next scheme's editor
