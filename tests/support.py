"""
Helpers the test modules share: users, websocket clients authenticated by a
real session, and gates for tests that need Redis, PostgreSQL, Chromium or
nginx.

A test that needs a service skips with a one-line reason when the service is
absent, unless the service is required, under which it fails instead:
REQUIRE_SERVICES=1 requires all of them, and a list such as
REQUIRE_SERVICES=redis,chromium requires those (for a run on SQLite, whose
PostgreSQL tests skip, with Redis and Chromium present).
"""

import json
import os
import socket
import unittest
import tempfile
import uuid
from urllib.parse import urlparse

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

from bench.chromium import CHROMIUM_PATH
from boardsite.asgi import application

SERVICES = ("redis", "postgres", "chromium", "nginx")


def required_services(value):
    """The services REQUIRE_SERVICES names: "1" for all, or a comma-separated list of SERVICES."""
    value = value.strip()
    if value in ("", "0"):
        return frozenset()
    if value == "1":
        return frozenset(SERVICES)
    names = {name.strip() for name in value.split(",") if name.strip()}
    unknown = names.difference(SERVICES)
    if unknown:
        raise ImproperlyConfigured(
            f"REQUIRE_SERVICES={value!r} names {', '.join(sorted(unknown))}: "
            f"give 1 (all) or a comma-separated list of {', '.join(SERVICES)}"
        )
    return frozenset(names)


REQUIRED_SERVICES = required_services(os.environ.get("REQUIRE_SERVICES", ""))
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
PASSWORD = "correct-horse-battery-staple"


def skip_or_fail(reason, *, service):
    """Skip with `reason`, or fail when REQUIRE_SERVICES requires `service`."""
    if service in REQUIRED_SERVICES:
        raise AssertionError(f"REQUIRE_SERVICES requires {service} but {reason}")
    raise unittest.SkipTest(reason)


def port_open(url, default_port):
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def require_redis():
    """The Redis URL tests may use; skips (or fails) when Redis does not answer."""
    if not port_open(TEST_REDIS_URL, 6379):
        skip_or_fail(f"Redis is not reachable at {TEST_REDIS_URL}", service="redis")
    return TEST_REDIS_URL


def require_postgres():
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        skip_or_fail("the test database is not PostgreSQL (set DATABASE_URL=postgres://...)", service="postgres")


def require_chromium():
    if not os.path.exists(CHROMIUM_PATH):
        skip_or_fail(f"Chromium is not installed at {CHROMIUM_PATH}", service="chromium")
    return CHROMIUM_PATH


def use_a_temporary_media_root(test):
    """Give `test` an empty MEDIA_ROOT of its own, deleted afterwards: what it stores, and deletes, is its own."""
    media = tempfile.TemporaryDirectory(prefix="boardsite-media-")
    test.addCleanup(media.cleanup)
    overrides = override_settings(MEDIA_ROOT=media.name)
    overrides.enable()
    test.addCleanup(overrides.disable)


def use_a_fresh_cache(test, cache=None):
    """
    Give `test` Django's cache (or the `cache` configuration given) under a key prefix
    of its own, and delete its keys in Redis afterwards: the sign-up and export limits
    count in the cache, which Django never empties between tests, and in Redis outlives
    the run. The other caches stay as they are.
    """
    prefix = f"test-{uuid.uuid4().hex}"
    config = {**(cache or settings.CACHES["default"]), "KEY_PREFIX": prefix}
    overrides = override_settings(CACHES={**settings.CACHES, "default": config})
    overrides.enable()
    test.addCleanup(overrides.disable)
    if config["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        import redis

        client = redis.Redis.from_url(config["LOCATION"])
        test.addCleanup(client.close)
        test.addCleanup(lambda: [client.delete(key) for key in client.scan_iter(f"{prefix}:*")])


def in_a_loop_of_its_own(scenario, *args):
    """
    Runs `scenario(*args)` in a new event loop, with a channel layer made for
    it. channels-redis keeps per-layer locks bound to the loop that first
    waited on them, and a later loop that waits on one fails ("bound to a
    different event loop"); the test runner gives each test a fresh layer,
    this gives each loop within a test one.
    """
    channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)
    return async_to_sync(scenario)(*args)


def make_user(username, *, password=PASSWORD, **fields):
    return get_user_model().objects.create_user(username=username, password=password, **fields)


def admin_user_form(user, **changes):
    """The admin's change form for `user` as its page posts it, with `changes` (False: a box left unticked)."""
    fields = {
        "username": user.username, "first_name": "", "last_name": "", "email": "", "is_active": user.is_active,
        "is_staff": user.is_staff, "is_superuser": user.is_superuser,
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"), "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "last_login_0": "", "last_login_1": "", **changes,
    }
    return {name: "on" if value is True else value for name, value in fields.items() if value is not False}


def session_cookie_for(user):
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


async def websocket_for(path, *, user=None, origin="http://localhost", app=application):
    """
    A WebsocketCommunicator on the full ASGI stack, logged in as `user` if
    given, as a browser would open it from a page of `origin` on a site
    served at http://localhost.
    """
    headers = [(b"host", b"localhost")]
    if origin:
        headers.append((b"origin", origin.encode()))
    if user is not None:
        cookie = await database_sync_to_async(session_cookie_for)(user)
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(app, path, headers=headers)


async def frames_besides_presence(communicator, seconds=0.2):
    """
    The frames `communicator` receives within `seconds` (until it is quiet
    that long), presence frames left out: those come in batches whenever
    someone joins or leaves, unrelated to what a test sent.
    """
    frames = []
    while not await communicator.receive_nothing(seconds):
        frame = json.loads(await communicator.receive_from())
        if frame["type"] != "presence":
            frames.append(frame)
    return frames


async def receive_frame(communicator, timeout=3):
    return json.loads(await communicator.receive_from(timeout=timeout))


async def receive_until(communicator, frame_type, timeout=3):
    """Read frames until one of `frame_type` arrives; return (it, frames before it)."""
    skipped = []
    while True:
        frame = await receive_frame(communicator, timeout=timeout)
        if frame["type"] == frame_type:
            return frame, skipped
        skipped.append(frame)
