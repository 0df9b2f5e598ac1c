"""Where Debian's Chromium is and how it is started headless here: for the benchmark and the browser tests."""

import os
import shutil

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
