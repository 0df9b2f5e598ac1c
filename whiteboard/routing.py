from django.urls import path

from whiteboard import consumers

websocket_urlpatterns = [
    path("ws/whiteboard/<slug:slug>/", consumers.WhiteboardConsumer.as_asgi()),
]
