"""
Script in everything a member can name (board names, card titles and
descriptions, column titles, label names, usernames, Markdown links) is
shown as text on every page, in the admin and in the SVG export: a real
Chromium visits each page, and an injected script, event handler or
`javascript:` link would set `window.__xss` or open a dialog.
"""

from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth import get_user_model

from kanban import services as kanban_services
from tests.browser.base import BrowserTestCase
from tests.support import make_user
from whiteboard import services as whiteboard_services

SCRIPT = "<script>window.__xss=1</script>"
HANDLER = '<img src=x onerror="window.__xss=1">'
SVG = "<svg onload=window.__xss=1>"
PAYLOAD = f"{SCRIPT}{HANDLER}{SVG}"
MARKDOWN = (
    f"[click me](javascript:window.__xss=1) {HANDLER}\n\n"
    '<a href="javascript:window.__xss=1">raw link</a> <iframe src="javascript:window.__xss=1"></iframe>\n\n'
    "![img](x\" onerror=\"window.__xss=1)"
)

# Evaluated on every page: what would show that injected code ran or could run.
INJECTION_SIGNS = """() => ({
    ran: window.__xss !== undefined,
    handlers: [...document.querySelectorAll("*")].filter(
        (element) => [...element.attributes].some((attribute) => attribute.name.startsWith("on"))
    ).map((element) => element.outerHTML.slice(0, 120)),
    javascript_urls: [...document.querySelectorAll("[href], [src], [action], [formaction]")].filter(
        (element) => ["href", "src", "action", "formaction"].some(
            (name) => (element.getAttribute(name) || "").trim().toLowerCase().startsWith("javascript:")
        )
    ).map((element) => element.outerHTML.slice(0, 120)),
})"""


class XssTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        # Playwright's event loop runs in this thread, and services broadcast with async_to_sync.
        with ThreadPoolExecutor(max_workers=1) as executor:
            executor.submit(self.make_boards).result()

    def make_boards(self):
        # A username Django's sign-up form would refuse, as an older account or an import could still have.
        self.hostile = get_user_model().objects.create_user(username=f"mallory{HANDLER}", password="x" * 20)
        self.owner = make_user("owner", is_staff=True, is_superuser=True)
        self.kanban = kanban_services.board_create(name=f"P {SCRIPT}{HANDLER}", owner=self.owner)
        self.whiteboard = whiteboard_services.board_create(name=f"S {SCRIPT}{HANDLER}", owner=self.owner)
        for board in (self.kanban, self.whiteboard):
            board.members.add(self.hostile)
        todo = self.kanban.columns.order_by("position").first()
        kanban_services.column_update(board=self.kanban, column_id=todo.pk, title=f"To do {SCRIPT}", actor=self.owner)
        label = kanban_services.label_create(board=self.kanban, name=f"bug {HANDLER}", colour="red", actor=self.owner)
        card = kanban_services.card_create(board=self.kanban, column_id=todo.pk, title=f"Card {PAYLOAD}", actor=self.hostile)
        kanban_services.card_update(
            board=self.kanban, card_id=card.details["card"]["id"], version=card.details["card"]["version"], actor=self.hostile,
            changes={"description": MARKDOWN, "labels": [label.details["label"]["id"]], "assignees": [self.hostile.pk]},
        )
        self.card_id = card.details["card"]["id"]
        whiteboard_services.shape_add(
            board=self.whiteboard, actor=self.hostile, stroke_id="s1", tool="rect", color="#112233", width=3,
            points=[[0.1, 0.1], [0.4, 0.4]],
        )

    def visit(self, page, path):
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        response = page.goto(f"{self.live_server_url}{path}")
        self.assertEqual(response.status, 200, path)
        page.wait_for_load_state("networkidle")
        return dialogs

    def assert_nothing_ran(self, page, where, dialogs=()):
        signs = page.evaluate(INJECTION_SIGNS)
        self.assertEqual(signs, {"ran": False, "handlers": [], "javascript_urls": []}, where)
        self.assertEqual(list(dialogs), [], where)

    def test_every_page_shows_the_payloads_as_text_and_runs_none_of_them(self):
        # The probe itself sees an injection where there is one (on a blank page: the site's
        # Content-Security-Policy would stop the injected handler from running at all).
        probe = self.new_page()
        probe.set_content(f"<div>{HANDLER}<a href='javascript:void(0)'>x</a></div>")
        probe.wait_for_timeout(200)
        signs = probe.evaluate(INJECTION_SIGNS)
        self.assertTrue(signs["ran"] and signs["handlers"] and signs["javascript_urls"], signs)
        page = self.log_in(self.new_page(), self.owner)
        kanban_board = f"/kanban/{self.kanban.slug}/"
        paths = [
            "/",
            "/kanban/",
            kanban_board,
            "/whiteboard/",
            f"/whiteboard/{self.whiteboard.slug}/",
            f"/whiteboard/{self.whiteboard.slug}/export.svg",
            "/admin/",
            "/admin/kanban/card/",
            f"/admin/kanban/card/{self.card_id}/change/",
            "/admin/kanban/board/",
            f"/admin/kanban/board/{self.kanban.pk}/change/",
            "/admin/kanban/label/",
            "/admin/whiteboard/board/",
            f"/admin/whiteboard/board/{self.whiteboard.pk}/change/",
            "/admin/auth/user/",
            f"/admin/auth/user/{self.hostile.pk}/change/",
        ]
        for path in paths:
            with self.subTest(path=path):
                dialogs = self.visit(page, path)
                self.assert_nothing_ran(page, path, dialogs)

        # The board page shows the names as people typed them, as text.
        self.visit(page, kanban_board)
        card = page.locator(".kanban-card", has_text="Card <script>")
        card.wait_for()
        self.assertIn(PAYLOAD, card.text_content())
        # The page as laid out (cards are at the frame after they arrive: content-visibility).
        page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
        self.assertIn(f"P {SCRIPT}{HANDLER}", page.locator("body").inner_text())

        # The card's rendered Markdown description: links without javascript:, no handlers.
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        card.click()
        page.locator("#card-editor").wait_for()
        page.wait_for_timeout(300)
        for link in page.locator("#card-editor a").all():
            link.click(modifiers=["Alt"], no_wait_after=True, timeout=2000, force=True)
        self.assert_nothing_ran(page, "the card editor", dialogs)
