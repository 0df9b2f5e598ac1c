"""
Twilio Sync access tokens, for clients that use Twilio's hosted Sync service
as in the original tutorials instead of Boardsite's own websocket.
"""

from django.conf import settings
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
