"""
How columns, cards, labels and locks appear on the websocket: in the `board`
message, in events and in acks (the Kanban section of docs/protocol.md describes each field).
"""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from boardsite.collab.services import user_frame
from kanban.models import lock_holder


def column_frame(column):
    return {"id": column.pk, "title": column.title, "wip_limit": column.wip_limit}


def lane_frame(lane):
    return {"id": lane.pk, "title": lane.title}


def label_frame(label):
    return {"id": label.pk, "name": label.name, "colour": label.colour}


def lock_frame(card, *, now=None):
    """Who holds the card (a row: `card_row`) and for how many more seconds, or None when it is free."""
    now = now or timezone.now()
    if lock_holder(card["lock_connection"], card["lock_expires_at"], now=now) is None or card["locked_by_id"] is None:
        return None
    return {
        "user": {"id": card["locked_by_id"], "username": card[LOCKED_BY_NAME]},  # as user_frame makes it
        "conn": card["lock_connection"],
        "reason": card["lock_reason"] or "edit",
        "expires_in": round((card["lock_expires_at"] - now).total_seconds(), 1),
    }


# The lock holder's name, as `Card.objects.values()` names it.
LOCKED_BY_NAME = f"locked_by__{get_user_model().USERNAME_FIELD}"

CARD_FIELDS = (
    "id", "column_id", "lane_id", "title", "description", "description_html", "due_date", "due_time", "start_date",
    "start_time", "version", "comment_count", "checklist_done", "checklist_items", "attachment_count", "cover_id",
    "lock_connection", "lock_expires_at", "lock_reason", "locked_by_id",
)


def card_row_fields():
    """
    What `card_frame` reads of a card, for `Card.objects.values(...)`: a
    board of thousands of cards is read as rows, without a model instance
    each (making them was two thirds of the time of a board's snapshot).
    """
    return (*CARD_FIELDS, LOCKED_BY_NAME)


def card_row(card):
    """A card instance as the row `card_frame` reads: the frame of one card, in an event or an ack."""
    row = {field: getattr(card, field) for field in CARD_FIELDS}
    # Read only while it holds the card, as a frame shows it (it may cost a query).
    row[LOCKED_BY_NAME] = card.locked_by.get_username() if card.lock_holder() and card.locked_by_id else None
    return row


def card_frame(card, *, label_ids, assignees, now=None):
    """
    `card` is a row (`card_row`, `card_row_fields`). `label_ids` and
    `assignees` (user frames, by name) are passed in rather than read from
    the card, so a board of thousands of cards is serialised without a
    query per card.
    """
    due_date, due_time, start_date, start_time = card["due_date"], card["due_time"], card["start_date"], card["start_time"]
    due = due_moment_of(due_date, due_time)
    return {
        "id": card["id"],
        "column": card["column_id"],
        "lane": card["lane_id"],
        "title": card["title"],
        "description": card["description"],
        "description_html": card["description_html"],
        "assignees": assignees,
        "labels": sorted(label_ids),
        "due": due_date.isoformat() if due_date else None,
        "due_time": due_time.strftime("%H:%M") if due_time else None,
        # When it is overdue, with the site's offset: pages compare it with their clock.
        "due_at": due.isoformat() if due is not None else None,
        "start": start_date.isoformat() if start_date else None,
        "start_time": start_time.strftime("%H:%M") if start_time else None,
        "version": card["version"],
        "lock": lock_frame(card, now=now),
        "comments": card["comment_count"],
        "checklist": {"done": card["checklist_done"], "total": card["checklist_items"]},
        "attachments": card["attachment_count"],
        "cover": card["cover_id"],
    }


def due_moment(card):
    """
    The instant the card is overdue: its due time, or the end of its due
    day, in the site's time zone. None without a due date.
    """
    return due_moment_of(card.due_date, card.due_time)


def due_moment_of(due_date, due_time):
    if due_date is None:
        return None
    zone = timezone.get_default_timezone()
    if due_time is not None:
        return datetime.datetime.combine(due_date, due_time, tzinfo=zone)
    return datetime.datetime.combine(due_date + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)


def item_frame(item):
    return {"id": item.pk, "checklist": item.checklist_id, "text": item.text, "done": item.done, "version": item.version}


def checklist_head(checklist):
    """A checklist without its items: what `checklist.updated` and a refused rename carry."""
    return {"id": checklist.pk, "card": checklist.card_id, "title": checklist.title}


def checklist_frame(checklist, *, items):
    """`items`: the checklist's items in order (passed in, so a card's checklists cost one query for all their items)."""
    return {**checklist_head(checklist), "items": [item_frame(item) for item in items]}


def comment_frame(comment, *, mention_ids):
    """`mention_ids` is passed in, as a card's `label_ids` are, so a list of comments costs no query each."""
    return {
        "id": comment.pk,
        "card": comment.card_id,
        "author": user_frame(comment.author) if comment.author_id else None,
        "body": comment.body,
        "body_html": comment.body_html,
        "mentions": sorted(mention_ids),
        "version": comment.version,
        "created_at": comment.created_at.isoformat(),
        "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
    }


def attachment_frame(attachment):
    """A file on a card; the page fetches it, and an image's thumbnail, by its id (kanban.views)."""
    return {
        "id": attachment.pk,
        "card": attachment.card_id,
        "name": attachment.name,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "image": attachment.is_image,
        "width": attachment.width,
        "height": attachment.height,
        "uploaded_by": user_frame(attachment.uploaded_by) if attachment.uploaded_by_id else None,
        "created_at": attachment.created_at.isoformat(),
    }
