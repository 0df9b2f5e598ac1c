"""
Browser tests: a real daphne server (ChannelsLiveServerTestCase) driven by
Playwright in Debian's Chromium. Playwright's sync API runs an event loop in
this thread, so Django's async-safety guard is relaxed for these modules.

Screenshots go to a temporary directory, removed after each test class, so a
test run writes no tracked file. BOARDSITE_SCREENSHOTS_DIR names a directory
to keep them in (relative to the project): `docs/screenshots` refreshes the
documentation's pictures on purpose.
"""

import os
import struct
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from channels.testing import ChannelsLiveServerTestCase  # noqa: E402
from django.conf import settings  # noqa: E402
from django.test import tag  # noqa: E402

from bench.chromium import CHROMIUM_ARGS  # noqa: E402
from tests.support import PASSWORD, make_user, require_chromium  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# How many canvas pixels show a colour, within a tolerance: what a board draws is checked on its pixels.
COUNT_PIXELS = """([r, g, b]) => {
  const canvas = document.getElementById("board-canvas");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i] - r) < 40 && Math.abs(data[i + 1] - g) < 40 && Math.abs(data[i + 2] - b) < 40) count += 1;
  }
  return count;
}"""
# For each pixel of the canvas, whether it has the colour [r, g, b], as COUNT_PIXELS counts it.
COLOUR_MASK = """([r, g, b]) => {
  const canvas = document.getElementById("board-canvas");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const mask = [];
  for (let i = 0; i < data.length; i += 4) {
    mask.push(Math.abs(data[i] - r) < 40 && Math.abs(data[i + 1] - g) < 40 && Math.abs(data[i + 2] - b) < 40);
  }
  return mask;
}"""


def outside_the_event_loop(function):
    """Run `function` in another thread: Playwright's loop runs in this one, and services broadcast with async_to_sync."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(function).result()


def mouse_drag(page, source, target, *, steps=15):
    """Drag `source` onto the middle of `target` (locators) with real pointer moves, as SortableJS needs."""
    start, end = source.bounding_box(), target.bounding_box()
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    to_x, to_y = end["x"] + end["width"] / 2, end["y"] + end["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, steps + 1):
        page.mouse.move(x + (to_x - x) * step / steps, y + (to_y - y) * step / steps)
        page.wait_for_timeout(20)
    page.mouse.up()


def touch_finger(page):
    """`finger(kind, x, y)`: one finger's touchStart, touchMove and touchEnd, sent through the DevTools protocol."""
    session = page.context.new_cdp_session(page)

    def finger(kind, x, y):
        session.send("Input.dispatchTouchEvent",
                     {"type": kind, "touchPoints": [] if kind == "touchEnd" else [{"x": x, "y": y}]})

    return finger


class SocketSwitch:
    """
    A page's board sockets, routed through the test: `drop()` closes the
    live one (the page reconnects), `hold()` drops it and answers the page's
    next ones itself, never as the server would (the page stays
    reconnecting), and `release()` lets it reach the server again.
    """

    def __init__(self, page):
        self.through = True
        self.routes = []
        page.route_web_socket("**/ws/**", self.route)

    def route(self, socket):
        self.routes.append(socket)
        if self.through:
            socket.connect_to_server()

    def drop(self):
        self.routes[-1].close()

    def hold(self):
        self.through = False
        self.drop()

    def release(self):
        self.through = True
        self.drop()


@tag("browser")
class BrowserTestCase(ChannelsLiveServerTestCase):
    """One Chromium per test class; each test opens its own contexts (one per user)."""

    @classmethod
    def setUpClass(cls):
        chromium_path = require_chromium()
        super().setUpClass()
        from playwright.sync_api import sync_playwright

        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        kept = os.environ.get("BOARDSITE_SCREENSHOTS_DIR")
        if kept:
            cls.screenshot_dir = settings.BASE_DIR / kept
        else:
            temporary = tempfile.TemporaryDirectory(prefix="boardsite-screenshots-")
            cls.addClassCleanup(temporary.cleanup)
            cls.screenshot_dir = Path(temporary.name)

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()

    def new_page(self, *, viewport=None, **context_options):
        """A page in a context of its own; `context_options` as Playwright's (`color_scheme="dark"`)."""
        context = self.browser.new_context(viewport=viewport or {"width": 1280, "height": 800}, **context_options)
        self.addCleanup(context.close)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    def log_in(self, page, user, password=PASSWORD):
        """Log in through the real login form."""
        page.goto(f"{self.live_server_url}/accounts/login/")
        page.fill("#id_username", user.get_username())
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{self.live_server_url}/")
        return page

    def user_page(self, username, **kwargs):
        """A new browser context logged in as a new user."""
        user = make_user(username)
        return user, self.log_in(self.new_page(**kwargs), user)

    def screenshot(self, page, name):
        """Save what the page shows as `name` and check it is a PNG of the whole viewport."""
        self.screenshot_dir.mkdir(parents=True, exist_ok=True)
        path = self.screenshot_dir / name
        page.screenshot(path=str(path), full_page=False)
        header = path.read_bytes()[:24]
        self.assertEqual(header[:8], PNG_SIGNATURE, f"{name} is not a PNG")
        scale = page.evaluate("window.devicePixelRatio")
        viewport = page.viewport_size
        expected = (round(viewport["width"] * scale), round(viewport["height"] * scale))
        self.assertEqual(struct.unpack(">II", header[16:24]), expected, f"{name} is not the size of the viewport")
        return path
