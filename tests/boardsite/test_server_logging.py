"""A real daphne run logs each request and websocket connect/disconnect at INFO, a wrong Host in one line."""

import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import websockets
from django.conf import settings
from django.test import SimpleTestCase


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DaphneLoggingTests(SimpleTestCase):
    def test_requests_and_websocket_connects_are_logged(self):
        port = free_port()
        database = tempfile.NamedTemporaryFile(suffix=".sqlite3", delete=False).name
        self.addCleanup(os.unlink, database)
        env = {
            **{key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")},
            "DATABASE_URL": f"sqlite:///{database}",
            # Without collectstatic's manifest, DEBUG-off pages (the styled 400 among them) use plain names.
            "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        }
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, cwd=settings.BASE_DIR, check=True)
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.addCleanup(server.wait, 10)
        self.addCleanup(server.terminate)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    self.assertEqual(response.status, 200)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

        async def open_and_close_a_websocket():
            # Anonymous: the server accepts the TCP upgrade, then refuses; both are logged.
            try:
                async with websockets.connect(
                    f"ws://127.0.0.1:{port}/ws/whiteboard/anything/", origin=f"http://127.0.0.1:{port}"
                ):
                    pass
            except websockets.exceptions.InvalidStatus:
                pass

        asyncio.run(open_and_close_a_websocket())
        for _ in range(2):
            wrong_host = urllib.request.Request(f"http://127.0.0.1:{port}/accounts/login/", headers={"Host": "evil.example"})
            with self.assertRaises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(wrong_host, timeout=5)
            self.assertEqual(refused.exception.code, 400)
        time.sleep(0.5)
        server.terminate()
        output, _ = server.communicate(timeout=10)
        self.assertRegex(output, r"INFO django\.channels\.server HTTP GET /healthz 200")
        # A wrong Host header: a WARNING line each, no ERROR and no traceback.
        self.assertEqual(len(re.findall(r"WARNING django\.security\.DisallowedHost Invalid HTTP_HOST header: 'evil\.example'", output)), 2, output)
        self.assertNotIn("Traceback", output)
        self.assertNotIn(" ERROR ", output)
        self.assertRegex(output, r"INFO django\.channels\.server WebSocket (HANDSHAKING|CONNECT|REJECT|DISCONNECT) /ws/whiteboard/anything/")
