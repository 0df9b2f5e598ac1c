"""
Health checks for `/healthz`: each returns None when its part works, or a
short reason when it does not.
"""

import asyncio
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection

LAYER_TIMEOUT_SECONDS = 2.0


@sync_to_async
def check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means the database is unusable
        return f"{type(exc).__name__}: {exc}".strip()
    return None


async def check_channel_layer():
    """Send a message to a fresh channel and read it back through the layer."""
    layer = get_channel_layer()
    if layer is None:
        return "no channel layer configured"
    nonce = uuid.uuid4().hex
    try:
        channel = await layer.new_channel("healthz.")
        await asyncio.wait_for(layer.send(channel, {"type": "healthz.ping", "nonce": nonce}), LAYER_TIMEOUT_SECONDS)
        message = await asyncio.wait_for(layer.receive(channel), LAYER_TIMEOUT_SECONDS)
    except Exception as exc:  # connection refused, timeouts, ...
        return f"{type(exc).__name__}: {exc}".strip(": ")
    if message.get("nonce") != nonce:
        return "the channel layer returned a different message"
    return None


async def health_report():
    """Return (healthy, report) with one entry per checked part."""
    database_error, layer_error = await asyncio.gather(check_database(), check_channel_layer())
    report = {
        "database": {"ok": database_error is None, "error": database_error},
        "channel_layer": {"ok": layer_error is None, "error": layer_error},
    }
    healthy = database_error is None and layer_error is None
    return healthy, report
