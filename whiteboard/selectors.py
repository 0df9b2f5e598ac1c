"""Reads for the whiteboard app."""

from boardsite.collab import selectors as collab_selectors
from whiteboard.models import Board


def boards_for_user(*, user):
    return collab_selectors.boards_for_user(board_model=Board, user=user)


def board_for_user(*, slug, user):
    return collab_selectors.board_for_user(board_model=Board, slug=slug, user=user)
