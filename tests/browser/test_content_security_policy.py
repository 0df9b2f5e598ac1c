"""
Real Chromium enforces the Content-Security-Policy on every page and in the
admin: no violation anywhere, and each page still does its job.
"""

from playwright.sync_api import expect

from kanban import services
from tests.browser.base import BrowserTestCase, outside_the_event_loop
from tests.kanban.test_attachments import image_bytes
from tests.support import make_user

# Every violation the browser reports, kept on the page before any of its own scripts runs.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


class ContentSecurityPolicyBrowserTests(BrowserTestCase):
    def watched_page(self):
        page = self.new_page()
        page.add_init_script(RECORD_VIOLATIONS)
        self.console = []
        page.on("console", lambda message: self.console.append(message.text))
        return page

    def assert_no_violation(self, page, where):
        self.assertEqual(page.evaluate("window.cspViolations"), [], where)
        self.assertEqual([line for line in self.console if "Content Security Policy" in line], [], where)

    def test_every_page_and_the_admin_work_with_no_violation(self):
        user = make_user("alice")
        user.is_staff = user.is_superuser = True
        user.save()
        page = self.watched_page()
        page.goto(f"{self.live_server_url}/accounts/login/")
        self.assert_no_violation(page, "login")
        self.log_in(page, user)
        self.assert_no_violation(page, "home")

        # The whiteboard: draw a stroke (its colour swatches are set from script), open the history.
        page.goto(f"{self.live_server_url}/whiteboard/")
        page.fill("input[name=name]", "Policed")
        page.click("main form button[type=submit]")
        page.wait_for_selector("#connection-status[data-state=live]")
        swatch = page.locator(".wb-swatch[data-color]").first
        self.assertNotEqual(swatch.evaluate("b => getComputedStyle(b).backgroundColor"), "rgba(0, 0, 0, 0)")
        widths = page.locator(".wb-width").evaluate_all("bs => bs.map(b => getComputedStyle(b, '::before').width)")
        self.assertEqual(len(set(widths)), len(widths), f"each width button shows its own dot: {widths}")
        box = page.locator("#board-canvas").bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.55, steps=8)
        page.mouse.up()
        page.wait_for_function("() => document.querySelector('#connection-status').dataset.state === 'live'")
        page.click("#history-open")
        page.wait_for_function("() => /^#[1-9]\\d* of [1-9]/.test(document.querySelector('[data-history=position]')?.textContent.trim() ?? '')")
        self.assert_no_violation(page, "whiteboard")

        # The kanban board: add a card, open the card editor and its preview.
        board = outside_the_event_loop(lambda: services.board_create(name="Policed plan", owner=user))
        page.goto(f"{self.live_server_url}{board.get_absolute_url()}")
        page.wait_for_selector("#connection-status[data-state=live]")
        column = page.locator(".kanban-column").first
        column.locator(".add-card").click()
        column.locator(".add-card-input").fill("Ship it")
        column.locator(".add-card-input").press("Enter")
        card = page.locator(".kanban-card", has_text="Ship it")
        card.wait_for()
        card.click()
        page.wait_for_selector("#card-editor[open]")
        page.fill("#card-description", "Bring **cake**")
        page.click("#description-preview-tab")
        page.wait_for_selector("#card-description-preview strong")
        # A comment with a mention, through the @ menu (Tribute positions it with styles).
        page.locator("#comment-body").press_sequentially("@")
        page.wait_for_selector(".tribute-container li")
        page.keyboard.press("Enter")
        page.locator("#comment-body").press_sequentially("see this")
        page.click("#comment-send")
        page.wait_for_selector(".comment .mention")
        # A picture attached: its thumbnail in the list and, as the cover, on the card's face.
        page.locator("#attachment-file").set_input_files(
            [{"name": "cake.png", "mimeType": "image/png", "buffer": image_bytes()}])
        page.wait_for_selector("#card-attachments-list .attachment img")
        page.keyboard.press("Escape")
        # (Not wait_for_function with an expression: Playwright evaluates that as a string, which this policy refuses.)
        expect(page.locator(".card-cover")).to_have_js_property("naturalWidth", 64)  # loaded, not broken
        # Lanes: the page sets the grid's rows from script (CSSOM, which the policy allows).
        page.click("#add-lane")
        page.fill("#lane-title", "Bakery")
        page.click("#lane-save")
        page.wait_for_selector(".lane-head .lane-title")
        self.assert_no_violation(page, "kanban")
        page.goto(f"{self.live_server_url}/kanban/notifications/")
        page.wait_for_load_state("load")
        self.assert_no_violation(page, "notifications")

        # The admin: index, a changelist (its actions script), a change form.
        for path, ready in [
            ("/admin/", "#content-main"),
            ("/admin/auth/user/", "#changelist-form"),
            (f"/admin/auth/user/{user.pk}/change/", "#user_form"),
        ]:
            page.goto(f"{self.live_server_url}{path}")
            page.wait_for_selector(ready)
            page.wait_for_load_state("load")
            self.assert_no_violation(page, path)
        # The changelist's script runs: ticking the select-all box ticks every row.
        page.goto(f"{self.live_server_url}/admin/auth/user/")
        page.check("#action-toggle")
        self.assertTrue(page.locator("input.action-select").first.is_checked())
        self.assert_no_violation(page, "admin changelist actions")
