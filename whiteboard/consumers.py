"""The whiteboard websocket: protocol only; changes go through whiteboard.services."""

from boardsite.collab.consumers import BoardConsumer
from whiteboard.models import Board


class WhiteboardConsumer(BoardConsumer):
    board_model = Board
