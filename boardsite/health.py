"""
Health checks for `/healthz`: each part is checked once per probe, directly,
and reported only as working or not. Why a part fails (which names hosts and
ports) goes to the server's log, once each time the part changes state, not
to whoever asked.

Redis is pinged by a client of its own, opened and closed for each probe,
not through the channel layer: channels-redis reads a process's messages one
receive at a time, so a probe's round trip waited behind every open
websocket's and timed out, and its pooled connections took over a minute to
come back after a Redis restart. A fresh connection has nothing to recover.
"""

import asyncio
import logging

import redis.asyncio
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 1.0

# The parts that failed at their last check, in this process.
failing = set()


@sync_to_async
def check_database():
    """None when the database answers SELECT 1, else why not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means the database is unusable
        return f"{type(exc).__name__}: {exc}".strip()
    return None


async def check_redis():
    """None when REDIS_URL's Redis answers PING (or no Redis is configured), else why not."""
    if not settings.REDIS_URL:
        return None  # the in-memory channel layer lives in this process
    client = redis.asyncio.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),  # a probe that fails says so now; the next one tries again
    )
    try:
        await client.ping()
    except Exception as exc:  # refused, timed out, wrong password, ...
        return f"{type(exc).__name__}: {exc}".strip(": ")
    finally:
        await client.aclose()
    return None


def log_state_change(part, error):
    """Log `part`'s failure when it starts failing, and its recovery; nothing while it stays the same."""
    if error is not None and part not in failing:
        failing.add(part)
        logger.warning("Health check: %s is failing: %s", part, error)
    elif error is None and part in failing:
        failing.discard(part)
        logger.info("Health check: %s works again", part)


async def health_report():
    """Return (healthy, report): per part, only whether it works."""
    errors = dict(zip(("database", "channel_layer"), await asyncio.gather(check_database(), check_redis())))
    for part, error in errors.items():
        log_state_change(part, error)
    healthy = not any(errors.values())
    return healthy, {part: {"ok": error is None} for part, error in errors.items()}
