"""Reads for the kanban app."""

from collections import defaultdict

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from boardsite.collab import selectors as collab_selectors
from boardsite.collab.services import user_frame
from kanban.frames import (
    attachment_frame, card_frame, card_row_fields, checklist_frame, column_frame, comment_frame, due_moment, label_frame,
    lane_frame,
)
from kanban.models import Attachment, Board, Card, Checklist, ChecklistItem, Column, Comment, HistoryEntry


def boards_for_user(*, user):
    return collab_selectors.boards_for_user(board_model=Board, user=user)


def board_for_user(*, slug, user):
    return collab_selectors.board_for_user(board_model=Board, slug=slug, user=user)


def assignee_frames(assigned):
    """{card id: its assignees' user frames, by name} from `assigned`, rows of Card.assignees.through (one query)."""
    frames = defaultdict(list)
    for card_id, user_id, username in assigned.values_list("card_id", "user_id", "user__username").order_by("user__username"):
        frames[card_id].append({"id": user_id, "username": username})
    return frames


def cards_assigned_to(*, user):
    """
    The cards assigned to `user` on every board they may open, for "My
    cards": soonest due first, those without a due date last, then by board
    and place. Its board, column and labels come with each, in three queries,
    and `overdue` says whether its due moment has passed.
    """
    boards = Board.objects.filter(collab_selectors.access_filter(user)).values("pk")
    now = timezone.now()
    cards = list(
        Card.objects.filter(assignees=user, board__in=boards, archived_at=None, column__archived_at=None)
        .select_related("board", "column")
        .prefetch_related("labels")
        .order_by(F("due_date").asc(nulls_last=True), F("due_time").asc(nulls_last=True), "board__name", "column__position", "position", "pk")
    )
    for card in cards:
        moment = due_moment(card)
        card.overdue = moment is not None and moment <= now
    return cards


def active_columns_of(*, boards):
    """The columns on those boards (not archived), in board order."""
    return Column.objects.filter(board__in=boards, archived_at=None).order_by("board", "position", "id")


def board_snapshot(*, board):
    """
    The `board` message: columns in order with their cards in order, labels
    and members, in a fixed number of queries whatever the board's size.
    What is in the board's archive is left out (kanban.archive).

    The seq is read before the cards, so the cards are at least as new as it;
    replaying events after it (`sync`) is harmless because applying an event
    twice gives the same board (see the Kanban section of docs/protocol.md).
    """
    seq = Board.objects.values_list("last_seq", flat=True).get(pk=board.pk)
    columns = list(board.columns.filter(archived_at=None).order_by("position", "id"))
    cards = (Card.objects.filter(board=board, archived_at=None, column__archived_at=None)
             .values(*card_row_fields()).order_by("position", "id"))
    assignees = assignee_frames(Card.assignees.through.objects.filter(card__board=board, card__archived_at=None))
    label_ids = defaultdict(list)
    labelled = Card.labels.through.objects.filter(card__board=board, card__archived_at=None)
    for card_id, label_id in labelled.values_list("card_id", "label_id"):
        label_ids[card_id].append(label_id)
    cards_by_column = defaultdict(list)
    now = timezone.now()
    for card in cards:
        cards_by_column[card["column_id"]].append(card_frame(card, label_ids=label_ids[card["id"]],
                                                             assignees=assignees[card["id"]], now=now))
    return {
        "type": "board",
        "seq": seq,
        "columns": [{**column_frame(column), "cards": cards_by_column[column.pk]} for column in columns],
        "lanes": [lane_frame(lane) for lane in board.lanes.order_by("position", "id")],
        "labels": [label_frame(label) for label in board.labels.order_by("name")],
        "members": [user_frame(member) for member in collab_selectors.board_members(board=board)],
        "time_zone": settings.TIME_ZONE,  # of the cards' start and due times
    }


def board_message(*, board, user):
    """The `board` message for `user`: the snapshot, whether they have anything to undo or redo, the cards they watch."""
    watching = Card.watchers.through.objects.filter(card__board=board, user=user).values_list("card_id", flat=True)
    return {**board_snapshot(board=board), "history": history_status(board=board, user=user),
            "watching": sorted(watching)}


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


# Search

SEARCH_MAX_LENGTH = 200
SEARCH_WORDS_MAX = 10


def search_cards(*, board, text):
    """
    The ids of the board's cards that hold every word of `text` (any case)
    in their title, description or comments: what the page's filter cannot
    tell alone, as it does not have the comments. One query.
    """
    cards = Card.objects.filter(board=board, archived_at=None, column__archived_at=None)
    for word in text.split()[:SEARCH_WORDS_MAX]:
        in_comments = Comment.objects.filter(board=board, body__icontains=word).values("card_id")
        cards = cards.filter(Q(title__icontains=word) | Q(description__icontains=word) | Q(pk__in=in_comments))
    return sorted(cards.values_list("pk", flat=True))


# Comments


def comment_state(comment, *, mention_ids):
    """Everything needed to bring a deleted comment back as it was (stored in history and in a card's state)."""
    return {
        "id": comment.pk,
        "card": comment.card_id,
        "author": comment.author_id,
        "body": comment.body,
        "mentions": sorted(mention_ids),
        "version": comment.version,
        "created_at": comment.created_at.isoformat(),
        "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
    }


def comment_states(*, card_ids):
    """{card id: [its comments' states, newest first]}, in two queries."""
    comments = list(Comment.objects.filter(card_id__in=card_ids).order_by("card", "-created_at", "-id"))
    mentions = mention_ids_of(comments)
    states = {}
    for comment in comments:
        states.setdefault(comment.card_id, []).append(comment_state(comment, mention_ids=mentions.get(comment.pk, [])))
    return states


def mention_ids_of(comments):
    """{comment id: [mentioned user ids]} for `comments`, in one query."""
    mentions = {}
    through = Comment.mentions.through.objects.filter(comment_id__in=[comment.pk for comment in comments])
    for comment_id, user_id in through.values_list("comment_id", "user_id"):
        mentions.setdefault(comment_id, []).append(user_id)
    return mentions


def card_comments(*, card):
    """
    The card's comments as the page shows them, newest first, with the seq
    they are as new as: read before them, so applying the events after it
    brings the list up to date (an event already reflected changes nothing).
    """
    seq = Board.objects.values_list("last_seq", flat=True).get(pk=card.board_id)
    comments = list(Comment.objects.filter(card=card).select_related("author").order_by("-created_at", "-id"))
    mentions = mention_ids_of(comments)
    return {"seq": seq, "card": card.pk,
            "comments": [comment_frame(comment, mention_ids=mentions.get(comment.pk, [])) for comment in comments]}


# Attachments


def card_attachments(*, card):
    """The card's files, oldest first, with the seq they are as new as (as `card_comments`)."""
    seq = Board.objects.values_list("last_seq", flat=True).get(pk=card.board_id)
    files = Attachment.objects.filter(card=card, removed_at=None).select_related("uploaded_by").order_by("created_at", "id")
    return {"seq": seq, "card": card.pk, "attachments": [attachment_frame(attachment) for attachment in files]}


# Checklists


def item_state(item, *, index):
    return {"id": item.pk, "checklist": item.checklist_id, "text": item.text, "done": item.done,
            "version": item.version, "index": index}


def checklist_state(checklist, *, index):
    """Everything needed to bring a deleted checklist back with its items (stored in history and in card states)."""
    items = list(checklist.items.order_by("position", "id"))
    return {"id": checklist.pk, "card": checklist.card_id, "title": checklist.title, "index": index,
            "items": [item_state(item, index=position) for position, item in enumerate(items)]}


def checklist_states(*, card_ids):
    """{card id: [its checklists' states, in order]}: for the state of a card or column being deleted."""
    states = {}
    checklists = Checklist.objects.filter(card_id__in=card_ids).order_by("card", "position", "id")
    items = {}
    for item in ChecklistItem.objects.filter(checklist__card_id__in=card_ids).order_by("position", "id"):
        items.setdefault(item.checklist_id, []).append(item)
    for checklist in checklists:
        index = len(states.setdefault(checklist.card_id, []))
        states[checklist.card_id].append({
            "id": checklist.pk, "card": checklist.card_id, "title": checklist.title, "index": index,
            "items": [item_state(item, index=n) for n, item in enumerate(items.get(checklist.pk, []))],
        })
    return states


def card_checklists(*, card):
    """The card's checklists with their items, in order, and the seq they are as new as (as `card_comments`)."""
    seq = Board.objects.values_list("last_seq", flat=True).get(pk=card.board_id)
    checklists = list(Checklist.objects.filter(card=card).order_by("position", "id"))
    items = {}
    for item in ChecklistItem.objects.filter(checklist__card=card).order_by("position", "id"):
        items.setdefault(item.checklist_id, []).append(item)
    return {"seq": seq, "card": card.pk,
            "checklists": [checklist_frame(checklist, items=items.get(checklist.pk, [])) for checklist in checklists]}
