"""
How columns, cards, labels and locks appear on the websocket: in the `board`
message, in events and in acks (the Kanban section of docs/protocol.md describes each field).
"""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from boardsite.collab.services import user_frame


def column_frame(column):
    return {"id": column.pk, "title": column.title, "wip_limit": column.wip_limit}


def lane_frame(lane):
    return {"id": lane.pk, "title": lane.title}


def label_frame(label):
    return {"id": label.pk, "name": label.name, "colour": label.colour}


def lock_frame(card, *, now=None):
    """Who holds the card and for how many more seconds, or None when it is free."""
    now = now or timezone.now()
    if card.lock_holder(now=now) is None or card.locked_by is None:
        return None
    return {
        "user": user_frame(card.locked_by),
        "conn": card.lock_connection,
        "reason": card.lock_reason or "edit",
        "expires_in": round((card.lock_expires_at - now).total_seconds(), 1),
    }


def card_frame_fields():
    """
    The fields `card_frame` reads, the lock holder's included, for
    `.select_related("locked_by").only(...)`: a board of thousands of cards
    is read without the rest of each row (its timestamps and the holder's
    password and dates are most of the time of making the model instances).
    """
    return (
        "column_id", "lane_id", "title", "description", "description_html", "due_date", "due_time", "start_date",
        "start_time", "version", "comment_count", "checklist_done", "checklist_items", "attachment_count", "cover_id",
        "lock_connection", "lock_expires_at", "lock_reason", f"locked_by__{get_user_model().USERNAME_FIELD}",
    )


def card_frame(card, *, label_ids, assignees, now=None):
    """
    `label_ids` and `assignees` (user frames, by name) are passed in rather
    than read from the card, so a board of thousands of cards is serialised
    without a query per card.
    """
    return {
        "id": card.pk,
        "column": card.column_id,
        "lane": card.lane_id,
        "title": card.title,
        "description": card.description,
        "description_html": card.description_html,
        "assignees": assignees,
        "labels": sorted(label_ids),
        "due": card.due_date.isoformat() if card.due_date else None,
        "due_time": card.due_time.strftime("%H:%M") if card.due_time else None,
        "due_at": due_at(card),
        "start": card.start_date.isoformat() if card.start_date else None,
        "start_time": card.start_time.strftime("%H:%M") if card.start_time else None,
        "version": card.version,
        "lock": lock_frame(card, now=now),
        "comments": card.comment_count,
        "checklist": {"done": card.checklist_done, "total": card.checklist_items},
        "attachments": card.attachment_count,
        "cover": card.cover_id,
    }


def due_moment(card):
    """
    The instant the card is overdue: its due time, or the end of its due
    day, in the site's time zone. None without a due date.
    """
    if card.due_date is None:
        return None
    zone = timezone.get_default_timezone()
    if card.due_time is not None:
        return datetime.datetime.combine(card.due_date, card.due_time, tzinfo=zone)
    return datetime.datetime.combine(card.due_date + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)


def due_at(card):
    """`due_moment` in ISO 8601 with its offset, as frames carry it (pages compare it with their clock)."""
    moment = due_moment(card)
    return moment.isoformat() if moment is not None else None


def item_frame(item):
    return {"id": item.pk, "checklist": item.checklist_id, "text": item.text, "done": item.done, "version": item.version}


def checklist_frame(checklist, *, items):
    """`items`: the checklist's items in order (passed in, so a card's checklists cost one query for all their items)."""
    return {"id": checklist.pk, "card": checklist.card_id, "title": checklist.title,
            "items": [item_frame(item) for item in items]}


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
