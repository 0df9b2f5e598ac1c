import shutil
import socket
import subprocess
import time

from django.conf import settings
from django.test import TestCase, override_settings

import boardsite
from boardsite import health
from tests.support import require_redis, skip_or_fail


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


class HealthzTests(TestCase):
    def setUp(self):
        health.failing.clear()  # what the last probe in this process found
        self.addCleanup(health.failing.clear)

    def test_healthy_with_the_configured_database_and_layer(self):
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json(),
            {
                "status": "ok",
                "version": boardsite.__version__,
                "database": {"ok": True},
                "channel_layer": {"ok": True},
            },
        )

    @override_settings(REDIS_URL=UNREACHABLE_REDIS)
    def test_unreachable_redis_gives_503_naming_the_part_but_no_address_or_error(self):
        with self.assertLogs("boardsite.health", "WARNING") as logs:
            response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(
            response.json(),
            {
                "status": "unavailable",
                "version": boardsite.__version__,
                "database": {"ok": True},
                "channel_layer": {"ok": False},
            },
        )
        self.assertNotIn(b"127.0.0.1", response.content)
        # The reason is in the server's log instead.
        self.assertIn("channel_layer is failing: ConnectionError", logs.output[0])
        self.assertIn("127.0.0.1:1", logs.output[0])

    def test_the_reason_is_logged_once_when_a_part_fails_and_once_when_it_recovers(self):
        with self.assertLogs("boardsite.health", "INFO") as logs:
            with override_settings(REDIS_URL=UNREACHABLE_REDIS):
                for _ in range(3):
                    self.assertEqual(self.client.get("/healthz").status_code, 503)
            for _ in range(3):
                self.assertEqual(self.client.get("/healthz").status_code, 200)
        self.assertEqual(len(logs.records), 2, logs.output)
        self.assertEqual([record.levelname for record in logs.records], ["WARNING", "INFO"])
        self.assertIn("channel_layer works again", logs.output[1])

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
        with override_settings(REDIS_URL=f"redis://127.0.0.1:{port}/0"):
            self.assertEqual(self.client.get("/healthz").status_code, 200)
            server.terminate()
            server.wait(timeout=10)
            response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 503)
        self.assertFalse(response.json()["channel_layer"]["ok"])
        self.assertTrue(response.json()["database"]["ok"])

    def test_an_anonymous_caller_sees_no_database_host_name_or_port(self):
        database = settings.DATABASES["default"]
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        for detail in (database.get("HOST"), database.get("PORT"), database["NAME"], database.get("USER")):
            if detail:
                with self.subTest(detail=detail):
                    self.assertNotIn(str(detail).encode(), response.content)

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
