"""
Throttling of the account forms: the page shown while django-axes refuses a
login (its settings are in boardsite/settings.py), and a per-address limit on
sign-up attempts.

Both know a client by REMOTE_ADDR alone. Behind the reverse proxy, daphne runs
with --proxy-headers and puts there the address the proxy reports, which the
proxy must set itself rather than append to what the client sent
(docs/deploy.md). Reading X-Forwarded-For here as well would let any client
name its own address and step round both limits.
"""

import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def client_ip(request):
    """The address the request came from (django-axes' AXES_CLIENT_IP_CALLABLE too); None if unknown."""
    return request.META.get("REMOTE_ADDR") or None


def wait_text(seconds):
    """A wait for people, rounded up to the minute: '1 minute', '15 minutes', '1 hour 5 minutes'."""
    hours, minutes = divmod(max(1, math.ceil(seconds / 60)), 60)
    parts = [f"{count} {unit}{'' if count == 1 else 's'}" for count, unit in ((hours, "hour"), (minutes, "minute")) if count]
    return " ".join(parts)


def too_many_attempts(request, *, template, wait_seconds, context=None):
    """A 429 page that says how long to wait, with the same wait in Retry-After."""
    response = render(request, template, {"wait": wait_text(wait_seconds), **(context or {})}, status=429)
    response["Retry-After"] = str(math.ceil(wait_seconds))
    add_never_cache_headers(response)  # the axes middleware's page replaces the view's never_cache one
    return response


def login_lockout_response(request, original_response=None, credentials=None):
    """
    django-axes' AXES_LOCKOUT_CALLABLE, for the site's login and the admin's.
    Every refused try starts the cool-off again, so the wait is the whole of it.
    (axes' async middleware passes the credentials where the original response
    goes; neither is needed here.)
    """
    return too_many_attempts(
        request,
        template="registration/locked_out.html",
        wait_seconds=settings.AXES_COOLOFF_TIME.total_seconds(),
        context={"username": request.POST.get("username", ""), "back_url": request.path},
    )


def signup_attempt_wait(*, request):
    """
    Count one sign-up attempt from the request's address: None while within
    SIGNUP_RATE_LIMIT per SIGNUP_RATE_WINDOW_SECONDS, else the seconds left
    until the window ends.
    """
    return attempt_wait(
        key=f"throttle:signup:{client_ip(request) or 'unknown'}",
        limit=settings.SIGNUP_RATE_LIMIT,
        window=settings.SIGNUP_RATE_WINDOW_SECONDS,
        what="sign-up",
    )


def attempt_wait(*, key, limit, window, what):
    """
    Count one attempt under `key`: None while within `limit` per `window`
    seconds, else the seconds left until the window ends. The window starts
    at the key's first attempt. If the cache cannot be reached the attempt
    is let through (and logged): the limit guards against abuse, and what it
    guards should not fail with Redis.
    """
    try:
        now = time.time()
        cache.add(f"{key}:ends", now + window, timeout=window)
        cache.add(f"{key}:count", 0, timeout=window)
        try:
            count = cache.incr(f"{key}:count")
        except ValueError:  # the window ended between add() and incr()
            cache.set(f"{key}:count", 1, timeout=window)
            count = 1
        if count <= limit:
            return None
        ends = cache.get(f"{key}:ends") or now  # gone: the window ends now
    except RedisError as error:
        logger.warning("%s limit not checked, the cache is unavailable: %s", what, error)
        return None
    return max(1.0, ends - now)
