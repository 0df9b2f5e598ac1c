"""
The SECRET_KEY a server may run with. Sessions, password-reset links and the
CSRF token are signed with it: a key anyone can read (the development
fallback, the placeholder in .env.example, a key Django's startproject marked
insecure) lets anyone forge them, so a server with DEBUG off refuses it and
`check --deploy` fails on it.
"""

import os
import secrets

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

# What settings.py uses when SECRET_KEY is unset: fine for `make run` (DEBUG on) and tests only.
DEVELOPMENT_KEY = "django-insecure-boardsite-local-development-key"
# Keys that were published with Boardsite; tests/boardsite/test_deploy_check.py keeps .env.example's here.
PUBLISHED_KEYS = frozenset(
    {
        DEVELOPMENT_KEY,
        "change-me-to-a-long-random-string-like-this-one-9f8e7d6c5b4a3210fedcba9876543210",
    }
)


def unsafe_key_reason(*, key):
    """Why `key` must not sign anything in production, or None when it may."""
    if not key or key == DEVELOPMENT_KEY:
        return "SECRET_KEY is not set (or is the development key)"
    if key in PUBLISHED_KEYS:
        return "SECRET_KEY is a published placeholder"
    if key.startswith("django-insecure-"):
        return "SECRET_KEY is marked django-insecure-"
    return None


def refuse_unsafe_key_in_production():
    """Called where a server starts (boardsite.asgi): DEBUG off needs a key of the site's own."""
    reason = unsafe_key_reason(key=settings.SECRET_KEY)
    if reason and not settings.DEBUG:
        raise ImproperlyConfigured(
            f"{reason}; with DEBUG off, Boardsite will not start. Set SECRET_KEY to 50+ random characters, e.g. from "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))' (docs/deploy.md)."
        )


def use_a_fresh_key_for_this_run():
    """
    For test and benchmark runs, which start servers with DEBUG off: a random
    key in place of a published one, in these settings and in the environment
    that the servers they start inherit or are given.
    """
    if unsafe_key_reason(key=settings.SECRET_KEY):
        settings.SECRET_KEY = os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)


def check_secret_key(app_configs, **kwargs):
    """A deploy check (registered in boardsite.apps)."""
    reason = unsafe_key_reason(key=settings.SECRET_KEY)
    if reason is None:
        return []
    return [
        checks.Error(
            f"{reason}: anyone who knows it can forge sessions and password-reset links.",
            hint="Set SECRET_KEY to 50+ random characters: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'",
            id="boardsite.E001",
        )
    ]
