"""
Baseline 2: the Channels tutorial's chat consumer, on the project's channel layer.

Each frame received is `group_send` to the room's group and every consumer's
handler sends it on (except to its sender, as the relay does).
`daphne bench.tutorial:application`, with REDIS_URL for channels-redis.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.tutorial_settings")
django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from bench.relay import http_ok  # noqa: E402

GROUP = os.environ.get("BENCH_ROOM", "bench-room")  # one per run: Redis may hold older runs' groups


class RoomConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        await self.channel_layer.group_send(
            GROUP, {"type": "room.message", "text": text_data, "origin": self.channel_name}
        )

    async def room_message(self, event):
        if event["origin"] != self.channel_name:
            await self.send(text_data=event["text"])


async def http_app(scope, receive, send):
    await http_ok(receive, send)


application = ProtocolTypeRouter(
    {"http": http_app, "websocket": URLRouter([path("ws/room/", RoomConsumer.as_asgi())])}
)
