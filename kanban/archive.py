"""
The board's archive: cards and columns taken off the board without being
deleted, to restore later or delete for good from the archive view.

An archived card keeps its column and place; restoring puts it back there
(its column must be on the board, and have room under its WIP limit). An
archived column takes its cards off the board with it and keeps them;
restoring puts it back at the board's right end with them. Archiving and
restoring follow the rules of kanban.services (the board's lock, events on
commit, the actor's undo), and count as changes of the card: its version
grows, so an edit made to it meanwhile is a `conflict`.
"""

from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from boardsite.collab.errors import ActionError
from boardsite.collab.events import Applied, record_event
from kanban import attachments
from kanban.frames import attachment_frame, card_frame, card_row, column_frame
from kanban.selectors import assignee_frames
from kanban.models import Attachment, Card, Column, HistoryEntry
from kanban.services import (
    CARD,
    COLUMN,
    MAX_COLUMNS_PER_BOARD,
    active_cards,
    active_columns,
    card_index,
    check_not_locked,
    check_version,
    check_wip_limit,
    finish_change,
    frame_for,
    get_card,
    get_column,
    lock_board,
    remember,
    renumber_columns,
)

Action = HistoryEntry.Action


# Cards


def card_archive(*, board, card_id, version, actor, connection=None, origin=None):
    """Take a card off the board into its archive (made to its `version`; releases this connection's lock)."""
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        card = get_card(board=board, card_id=card_id)
        check_version(card=card, version=version)
        check_not_locked(card=card, connection=connection)
        event = archive_card(board=board, card=card, connection=connection, actor=actor, origin=origin)
        remember(board=board, actor=actor, subject=CARD, object_id=card.pk, action=Action.ARCHIVE,
                 before={"archived": False}, after={"archived": True}, version_after=card.version)
        return Applied.recorded(event)


def archive_card(*, board, card, connection, actor, origin):
    card.archived_at = timezone.now()
    finish_change(card=card, connection=connection)
    return record_event(
        board=board, type="card.archived",
        payload={"card": card.pk, "column": card.column_id, "title": card.title, "version": card.version},
        actor=actor, origin=origin,
    )


def card_restore(*, board, card_id, actor, connection=None, origin=None):
    """Put an archived card back where it was in its column."""
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        card = get_card(board=board, card_id=card_id, include_archived=True)
        if card.archived_at is None:
            raise ActionError("conflict", f"“{card.title}” is not in the archive.", card=card.pk)
        event = restore_card(board=board, card=card, connection=connection, actor=actor, origin=origin)
        remember(board=board, actor=actor, subject=CARD, object_id=card.pk, action=Action.RESTORE,
                 before={"archived": True}, after={"archived": False}, version_after=card.version)
        return Applied.recorded(event)


def restore_card(*, board, card, connection, actor, origin):
    if card.column.archived_at is not None:
        raise ActionError("archived", f"Its column “{card.column.title}” is archived too: restore the column first.",
                          column=card.column_id)
    check_wip_limit(column=get_column(board=board, column_id=card.column_id, with_card_count=True), adding=1)
    card.archived_at = None
    frame = finish_change(card=card, connection=connection)
    return record_event(
        board=board, type="card.restored", payload={"card": frame, "index": card_index(card)},
        actor=actor, origin=origin,
    )


# Columns


def column_archive(*, board, column_id, actor, connection=None, origin=None):
    """Take a column and its cards off the board into its archive."""
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        column = get_column(board=board, column_id=column_id)
        event = archive_column(board=board, column=column, connection=connection, actor=actor, origin=origin)
        remember(board=board, actor=actor, subject=COLUMN, object_id=column.pk, action=Action.ARCHIVE,
                 before={"archived": False}, after={"archived": True})
        return Applied.recorded(event)


def archive_column(*, board, column, connection, actor, origin):
    now = timezone.now()
    for card in active_cards().filter(column=column, lock_expires_at__gt=now).select_related("locked_by"):
        check_not_locked(card=card, connection=connection, now=now)
    column.archived_at = now
    column.save(update_fields=["archived_at"])
    return record_event(board=board, type="column.archived", payload={"column": column.pk, "title": column.title},
                        actor=actor, origin=origin)


def column_restore(*, board, column_id, actor, connection=None, origin=None):
    """Put an archived column back at the board's right end, with its cards."""
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        column = get_column(board=board, column_id=column_id, include_archived=True)
        if column.archived_at is None:
            raise ActionError("conflict", f"The column “{column.title}” is not in the archive.", column=column.pk)
        event = restore_column(board=board, column=column, actor=actor, origin=origin)
        remember(board=board, actor=actor, subject=COLUMN, object_id=column.pk, action=Action.RESTORE,
                 before={"archived": True}, after={"archived": False})
        return Applied.recorded(event)


def restore_column(*, board, column, actor, origin):
    columns = list(active_columns(board).order_by("position", "id"))
    if len(columns) >= MAX_COLUMNS_PER_BOARD:
        raise ActionError("too_many", f"A board has at most {MAX_COLUMNS_PER_BOARD} columns.")
    column.archived_at = None
    column.save(update_fields=["archived_at"])
    columns.append(column)
    renumber_columns(columns)
    cards = list(active_cards().filter(column=column).select_related("locked_by").order_by("position", "id"))
    return record_event(
        board=board, type="column.restored",
        payload={"column": column_frame(column), "index": len(columns) - 1, "cards": card_frames(cards)},
        actor=actor, origin=origin,
    )


def card_frames(cards):
    """The cards' frames, their labels and assignees read in one query each."""
    card_ids = [card.pk for card in cards]
    label_ids = defaultdict(list)
    for card_id, label_id in Card.labels.through.objects.filter(card_id__in=card_ids).values_list("card_id", "label_id"):
        label_ids[card_id].append(label_id)
    assignees = assignee_frames(Card.assignees.through.objects.filter(card_id__in=card_ids))
    return [card_frame(card_row(card), label_ids=label_ids[card.pk], assignees=assignees[card.pk]) for card in cards]


# Undo and redo (kanban.history hands these entries here)


def apply_card_archive_history(*, board, entry, actor, connection, origin, undo):
    """An archive (or restore) undone restores (or archives) the card, if nobody changed it since."""
    card = get_card(board=board, card_id=entry.object_id, include_archived=True)
    if card.version != entry.version_after:
        raise ActionError("conflict", "The card was changed by someone else since.", card=frame_for(card))
    check_not_locked(card=card, connection=connection)
    archiving = (entry.action == Action.ARCHIVE) != undo
    event = (archive_card if archiving else restore_card)(board=board, card=card, connection=connection, actor=actor,
                                                          origin=origin)
    entry.version_after = card.version
    return event.payload


def apply_column_archive_history(*, board, entry, actor, connection, origin, undo):
    """Columns have no version: the column must still be archived (or on the board) as the change left it."""
    column = get_column(board=board, column_id=entry.object_id, include_archived=True)
    archiving = (entry.action == Action.ARCHIVE) != undo
    if (column.archived_at is None) != archiving:
        raise ActionError("conflict", "The column was archived or restored by someone else since.", column=column.pk)
    if archiving:
        return archive_column(board=board, column=column, connection=connection, actor=actor, origin=origin).payload
    return restore_column(board=board, column=column, actor=actor, origin=origin).payload


# The archive view


def board_archive(*, board):
    """
    What the archive view lists, newest first: archived columns (with how
    many cards), cards, and files removed from cards; and the storage the
    board's files take of its quota.
    """
    columns = list(Column.objects.filter(board=board).exclude(archived_at=None).order_by("-archived_at", "-id"))
    counts = defaultdict(int)
    for column_id in active_cards().filter(column__in=columns).values_list("column_id", flat=True):
        counts[column_id] += 1
    cards = Card.objects.filter(board=board).exclude(archived_at=None).select_related("column").order_by("-archived_at", "-id")
    files = (Attachment.objects.filter(board=board, removed_with_card=False).exclude(removed_at=None)
             .select_related("uploaded_by").order_by("-removed_at", "-id"))
    titles = dict(Card.objects.filter(pk__in=[attachment.card_id for attachment in files]).values_list("pk", "title"))
    return {
        "attachments": [{**attachment_frame(attachment), "card_title": titles.get(attachment.card_id),
                         "removed_at": attachment.removed_at.isoformat()} for attachment in files if attachment.card_id in titles],
        "storage": {"used": attachments.storage_used(board=board), "quota": settings.BOARD_STORAGE_QUOTA_BYTES},
        "columns": [{**column_frame(column), "cards": counts[column.pk], "archived_at": column.archived_at.isoformat()}
                    for column in columns],
        "cards": [{"id": card.pk, "title": card.title, "version": card.version,
                   "column": {"id": card.column_id, "title": card.column.title,
                              "archived": card.column.archived_at is not None},
                   "archived_at": card.archived_at.isoformat()} for card in cards],
    }
