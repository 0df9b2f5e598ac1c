"""The demo kanban that `manage.py demo_data` creates."""

from kanban import services
from kanban.models import Board

DEMO_BOARD_NAME = "Demo kanban board"


def ensure_demo_board(*, owner):
    board = Board.objects.filter(owner=owner, name=DEMO_BOARD_NAME).first()
    if board is None:
        board = services.board_create(name=DEMO_BOARD_NAME, owner=owner)
    return board
