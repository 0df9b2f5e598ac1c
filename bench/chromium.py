"""Where Debian's Chromium is and how it is started headless here: for the benchmark and the browser tests."""

import importlib.util
import os
import shutil
from concurrent.futures import ThreadPoolExecutor

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# Headless, as root, on a machine whose network is closed: without the background-networking
# flags Chromium keeps opening connections that the closed network refuses.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def in_chromium(server, cookies, action):
    """
    `action(page)`'s result, the page in a Chromium logged in with `cookies`
    on `server`; None without Chromium or Playwright (`make test` installs
    Playwright). Playwright runs in a thread of its own, away from the
    caller's ORM.
    """
    if not os.path.exists(CHROMIUM_PATH) or importlib.util.find_spec("playwright") is None:
        return None
    with ThreadPoolExecutor(1) as executor:
        return executor.submit(_in_chromium, server, cookies, action).result()


def _in_chromium(server, cookies, action):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.add_cookies(
                [{"name": name, "value": value, "url": server.http_url} for name, value in cookies.items()]
            )
            return action(context.new_page())
        finally:
            browser.close()
