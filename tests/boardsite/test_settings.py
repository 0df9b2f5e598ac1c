"""
Settings come from the environment: these tests start fresh Python processes
with different environments and ask Django what it ended up using.
"""

import json
import os
import subprocess
import sys

from django.conf import settings
from django.db import connection
from django.test import SimpleTestCase

from tests.support import require_redis, skip_or_fail

PROBE = """
import asyncio, json, django
django.setup()
from django.conf import settings
from django.db import connection
from channels.layers import get_channel_layer
from boardsite.health import health_report
with connection.cursor() as cursor:
    cursor.execute("SELECT 1")
    if connection.vendor == "sqlite":
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
    else:
        synchronous = None
healthy, report = asyncio.run(health_report())
print(json.dumps({
    "vendor": connection.vendor,
    "sqlite_synchronous": synchronous,
    "password_hasher": settings.PASSWORD_HASHERS[0],
    "layer": type(get_channel_layer()).__name__,
    "layer_hosts": settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("hosts"),
    "debug": settings.DEBUG,
    "healthy": healthy,
}))
"""

# Variables that a test run may have set and that would leak into the probes.
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "DEBUG")


def probe(**environment):
    env = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE="boardsite.settings", **environment)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        raise AssertionError(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


class EnvironmentSwitchTests(SimpleTestCase):
    def test_embedded_default_is_sqlite_and_the_in_memory_layer(self):
        result = probe(DATABASE_URL="sqlite:////tmp/boardsite-settings-probe.sqlite3")
        self.assertEqual(result["vendor"], "sqlite")
        self.assertEqual(result["layer"], "InMemoryChannelLayer")
        self.assertFalse(result["debug"], "DEBUG must be off unless turned on")
        self.assertTrue(result["healthy"])
        # boardsite.test_runner hashes passwords quickly and lets SQLite skip fsyncs, for test runs only.
        self.assertEqual(result["password_hasher"], "django.contrib.auth.hashers.PBKDF2PasswordHasher")
        self.assertEqual(result["sqlite_synchronous"], 2, "FULL: a commit waits for the disk")

    def test_database_url_switches_to_postgresql(self):
        url = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        try:
            result = probe(DATABASE_URL=url)
        except AssertionError as error:
            if "connection" in str(error).lower():
                skip_or_fail(f"PostgreSQL is not reachable at {url}", service="postgres")
            raise
        self.assertEqual(result["vendor"], "postgresql")

    def test_redis_url_switches_to_channels_redis_without_a_read_timeout(self):
        url = require_redis()
        result = probe(DATABASE_URL="sqlite:////tmp/boardsite-settings-probe.sqlite3", REDIS_URL=url)
        self.assertEqual(result["layer"], "RedisChannelLayer")
        self.assertEqual(result["layer_hosts"], [{"address": url, "socket_timeout": None, "socket_keepalive": True}])
        self.assertTrue(result["healthy"], "the health check pings that Redis")


class ThisRunUsesWhatItWasGivenTests(SimpleTestCase):
    """Under CI's services way, prove the suite itself ran on PostgreSQL and Redis."""

    def test_database_matches_database_url(self):
        expected = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
        self.assertEqual(connection.vendor, expected)

    def test_channel_layer_matches_redis_url(self):
        expected = "RedisChannelLayer" if os.environ.get("REDIS_URL") else "InMemoryChannelLayer"
        self.assertEqual(settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1], expected)
