from django.urls import path

from kanban import consumers

websocket_urlpatterns = [
    path("ws/kanban/<slug:slug>/", consumers.KanbanConsumer.as_asgi()),
]
