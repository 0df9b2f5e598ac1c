"""Reads for the kanban app."""

from collections import defaultdict

from django.db.models import F
from django.utils import timezone

from boardsite.collab import selectors as collab_selectors
from boardsite.collab.services import user_frame
from kanban.frames import card_frame, column_frame, label_frame
from kanban.models import Board, Card, HistoryEntry


def boards_for_user(*, user):
    return collab_selectors.boards_for_user(board_model=Board, user=user)


def board_for_user(*, slug, user):
    return collab_selectors.board_for_user(board_model=Board, slug=slug, user=user)


def cards_assigned_to(*, user):
    """
    The cards assigned to `user` on every board they may open, for "My
    cards": soonest due first, those without a due date last, then by board
    and place. Its board, column and labels come with each, in three queries.
    """
    boards = Board.objects.filter(collab_selectors.access_filter(user)).values("pk")
    return list(
        Card.objects.filter(assignee=user, board__in=boards)
        .select_related("board", "column")
        .prefetch_related("labels")
        .order_by(F("due_date").asc(nulls_last=True), "board__name", "column__position", "position", "pk")
    )


def board_snapshot(*, board):
    """
    The `board` message: columns in order with their cards in order, labels
    and members, in a fixed number of queries whatever the board's size.

    The seq is read before the cards, so the cards are at least as new as it;
    replaying events after it (`sync`) is harmless because applying an event
    twice gives the same board (see the Kanban section of docs/protocol.md).
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


def board_message(*, board, user):
    """The `board` message for `user`: the snapshot and whether they have anything to undo or redo."""
    return {**board_snapshot(board=board), "history": history_status(board=board, user=user)}


def newest_done(*, board, user):
    return HistoryEntry.objects.filter(board=board, user=user, state=HistoryEntry.State.DONE).order_by("-id").first()


def next_redo(*, board, user):
    """The newest undone entry, unless a change made after it was done has cleared the redo stack."""
    undone = (
        HistoryEntry.objects.filter(board=board, user=user, state=HistoryEntry.State.UNDONE)
        .order_by("-undone_at", "-id")
        .first()
    )
    if undone is None:
        return None
    done_later = HistoryEntry.objects.filter(
        board=board, user=user, state=HistoryEntry.State.DONE, pk__gt=undone.pk
    ).exists()
    return None if done_later else undone


def history_status(*, board, user):
    return {
        "can_undo": newest_done(board=board, user=user) is not None,
        "can_redo": next_redo(board=board, user=user) is not None,
    }
