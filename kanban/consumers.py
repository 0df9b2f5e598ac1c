"""The kanban websocket: protocol only; changes go through kanban.services."""

from boardsite.collab.consumers import BoardConsumer
from kanban.models import Board


class KanbanConsumer(BoardConsumer):
    board_model = Board
