"""
Twilio Sync access tokens, for clients that use Twilio's hosted Sync service
as in the original tutorials instead of Boardsite's own websocket.
"""

import logging

from django.conf import settings
from django.utils.log import log_response
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import SyncGrant

REQUIRED_SETTINGS = (
    "TWILIO_ACCOUNT_SID",
    "TWILIO_API_KEY",
    "TWILIO_API_SECRET",
    "TWILIO_SYNC_SERVICE_SID",
)


def missing_twilio_settings():
    """Names of the Twilio settings that are not set, in a stable order."""
    return [name for name in REQUIRED_SETTINGS if not getattr(settings, name, "")]


logger = logging.getLogger(__name__)
# The missing-settings lists this process has warned about (one warning each, not one per request).
_warned = set()


def log_not_configured(*, request, response, missing):
    """
    A site without Twilio is a choice, not a fault: one WARNING per process
    names what is missing, and the 503s after it are logged at DEBUG instead
    of Django's ERROR for every 5xx.
    """
    key = tuple(missing)
    level = "debug" if key in _warned else "warning"
    _warned.add(key)
    log_response(
        "Twilio Sync is not configured (missing %s): /token answers 503",
        ", ".join(missing),
        response=response,
        request=request,
        logger=logger,
        level=level,
    )


def sync_access_token(*, identity):
    """A signed JWT granting `identity` access to the configured Sync service."""
    token = AccessToken(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_API_KEY,
        settings.TWILIO_API_SECRET,
        identity=identity,
        ttl=settings.TWILIO_TOKEN_TTL,
    )
    token.add_grant(SyncGrant(service_sid=settings.TWILIO_SYNC_SERVICE_SID))
    return token.to_jwt()
