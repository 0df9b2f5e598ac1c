"""Reads for the kanban app."""

from collections import defaultdict

from django.utils import timezone

from boardsite.collab import selectors as collab_selectors
from boardsite.collab.services import user_frame
from kanban.frames import card_frame, column_frame, label_frame
from kanban.models import Board, Card


def boards_for_user(*, user):
    return collab_selectors.boards_for_user(board_model=Board, user=user)


def board_for_user(*, slug, user):
    return collab_selectors.board_for_user(board_model=Board, slug=slug, user=user)


def board_snapshot(*, board):
    """
    The `board` message: columns in order with their cards in order, labels
    and members, in a fixed number of queries whatever the board's size.

    The seq is read before the cards, so the cards are at least as new as it;
    replaying events after it (`sync`) is harmless because applying an event
    twice gives the same board (see docs/protocol-kanban.md).
    """
    seq = Board.objects.values_list("last_seq", flat=True).get(pk=board.pk)
    columns = list(board.columns.order_by("position", "id"))
    cards = Card.objects.filter(board=board).select_related("assignee", "locked_by").order_by("position", "id")
    label_ids = defaultdict(list)
    for card_id, label_id in Card.labels.through.objects.filter(card__board=board).values_list("card_id", "label_id"):
        label_ids[card_id].append(label_id)
    cards_by_column = defaultdict(list)
    now = timezone.now()
    for card in cards:
        cards_by_column[card.column_id].append(card_frame(card, label_ids=label_ids[card.pk], now=now))
    return {
        "type": "board",
        "seq": seq,
        "columns": [{**column_frame(column), "cards": cards_by_column[column.pk]} for column in columns],
        "labels": [label_frame(label) for label in board.labels.order_by("name")],
        "members": [user_frame(member) for member in collab_selectors.board_members(board=board)],
    }
