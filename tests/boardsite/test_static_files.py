import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url):
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept-Encoding": "gzip"}), timeout=5) as response:
        return response.status, response.headers, response.read()


class ProductionStaticFilesTests(SimpleTestCase):
    """collectstatic, then daphne alone (DEBUG off, no finders) serves the hashed files."""

    def test_collectstatic_then_daphne_serves_hashed_compressed_files(self):
        static_root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, static_root, ignore_errors=True)
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")},
            "STATIC_ROOT": static_root,
            "DEBUG": "false",
            "WHITENOISE_USE_FINDERS": "false",
            "DATABASE_URL": f"sqlite:///{static_root}/db.sqlite3",
        }
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env=env, cwd=settings.BASE_DIR, check=True
        )
        hashed = [p.name for p in (Path(static_root) / "css").glob("site.*.css")]
        self.assertEqual(len(hashed), 1, hashed)
        self.assertTrue((Path(static_root) / "css" / f"{hashed[0]}.gz").exists(), "WhiteNoise pre-compresses files")

        port = free_port()
        daphne = os.path.join(os.path.dirname(sys.executable), "daphne")
        server = subprocess.Popen(
            [daphne, "-b", "127.0.0.1", "-p", str(port), "boardsite.asgi:application"],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.addCleanup(server.wait, 10)
        self.addCleanup(server.terminate)
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _, page = get(f"http://127.0.0.1:{port}/accounts/login/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.assertEqual(status, 200)
        self.assertIn(f"/static/css/{hashed[0]}".encode(), page, "pages link the hashed file")
        status, headers, body = get(f"http://127.0.0.1:{port}/static/css/{hashed[0]}")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Encoding"], "gzip")
        self.assertIn("immutable", headers["Cache-Control"])


class NoThirdPartyAssetsTests(SimpleTestCase):
    def test_templates_load_nothing_from_other_sites(self):
        pattern = re.compile(r"""<(?:script|link|img)[^>]+(?:src|href)=["'](?:https?:)?//""", re.IGNORECASE)
        for template in settings.BASE_DIR.glob("**/templates/**/*.html"):
            if ".venv" in template.parts:
                continue
            with self.subTest(template=str(template.relative_to(settings.BASE_DIR))):
                self.assertIsNone(pattern.search(template.read_text()))
