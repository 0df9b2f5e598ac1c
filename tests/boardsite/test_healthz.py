import shutil
import socket
import subprocess
import time

from django.test import TestCase, override_settings

import boardsite

from boardsite.channel_layers import channel_layers_config
from tests.support import require_redis, skip_or_fail


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HealthzTests(TestCase):
    def test_healthy_with_the_configured_database_and_layer(self):
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json(),
            {
                "status": "ok",
                "version": boardsite.__version__,
                "database": {"ok": True, "error": None},
                "channel_layer": {"ok": True, "error": None},
            },
        )

    @override_settings(CHANNEL_LAYERS=channel_layers_config(redis_url="redis://127.0.0.1:1/0"))
    def test_unreachable_redis_gives_503_naming_the_channel_layer(self):
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 503)
        body = response.json()
        self.assertEqual(body["status"], "unavailable")
        self.assertTrue(body["database"]["ok"])
        self.assertFalse(body["channel_layer"]["ok"])
        self.assertTrue(body["channel_layer"]["error"])

    def test_healthy_on_redis_then_503_when_that_redis_stops(self):
        require_redis()  # the CI way with services must run this test
        redis_server = shutil.which("redis-server")
        if redis_server is None:
            skip_or_fail("redis-server is not installed", service="redis")
        port = free_port()
        server = subprocess.Popen(
            [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        self.addCleanup(server.wait)
        self.addCleanup(server.kill)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        with override_settings(CHANNEL_LAYERS=channel_layers_config(redis_url=f"redis://127.0.0.1:{port}/0")):
            self.assertEqual(self.client.get("/healthz").status_code, 200)
            server.terminate()
            server.wait(timeout=10)
            response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 503)
        self.assertFalse(response.json()["channel_layer"]["ok"])
        self.assertTrue(response.json()["database"]["ok"])

    def test_no_login_needed_and_never_cached(self):
        response = self.client.get("/healthz")
        self.assertIn("no-cache", response["Cache-Control"])
        self.assertEqual(self.client.post("/healthz").status_code, 405)


@override_settings(ALLOWED_HOSTS=["boards.example.com"], SECURE_SSL_REDIRECT=True)
class PerProcessProbeTests(TestCase):
    """A load balancer probes each process by its address, over plain HTTP."""

    def test_healthz_answers_a_probe_by_address_under_production_settings(self):
        for host in ("10.0.0.5:8001", "127.0.0.1:8000"):
            with self.subTest(host=host):
                response = self.client.get("/healthz", HTTP_HOST=host)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.json()["status"], "ok")
                self.assertIn("no-cache", response["Cache-Control"])
        self.assertEqual(self.client.post("/healthz", HTTP_HOST="10.0.0.5:8001").status_code, 405)

    def test_every_other_path_keeps_the_host_check_and_the_https_redirect(self):
        with self.assertLogs("django.security.DisallowedHost", "WARNING"):
            self.assertEqual(self.client.get("/accounts/login/", HTTP_HOST="10.0.0.5:8001").status_code, 400)
        response = self.client.get("/accounts/login/", HTTP_HOST="boards.example.com")
        self.assertEqual(response.status_code, 301)
        self.assertEqual(response["Location"], "https://boards.example.com/accounts/login/")
