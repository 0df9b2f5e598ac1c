"""
The activity feed: every stored change of a kanban board told in words,
newest first ("alice moved ‘Write report’ from Doing to Done").

It is read from the board's event log, so it covers every path a change can
take (the websocket, undo and redo, the admin, the demo data); a column or
label brought back by an undo says so (its event carries `cards`). What a bare
event would not say is recorded in its payload by kanban.services: the column
a card left (`from_column`), the old and new values of an edit (`changes`), the
title of what was deleted, and `"via": "admin"` for changes made in the admin
(boardsite.collab.events.changes_made_via).

Names of columns, people and labels are looked up when the feed is read;
texts are plain (pages show them with textContent, the admin escapes them).
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Q

from kanban.models import Attachment, BoardEvent, Card, Column, Label, Lane

PAGE_SIZE = 30
DETAIL_MAX_LENGTH = 120
CARD_EVENT_TYPES = ("card.created", "card.updated", "card.moved", "card.restored", "card.deleted", "card.archived")
COMMENT_EVENT_TYPES = ("comment.created", "comment.updated", "comment.deleted")
# Events about a card's checklists: those with the card's id in `checklist.card`, then those with it in `card`.
CHECKLIST_EVENT_TYPES = ("checklist.created", "checklist.updated")
ITEM_EVENT_TYPES = ("checklist.deleted", "item.created", "item.updated", "item.moved", "item.deleted")
FIELD_NAMES = {
    "title": "Title",
    "description": "Description",
    "assignee": "Assignee",
    "assignees": "Assignees",
    "labels": "Labels",
    "due": "Due date",
    "due_time": "Due time",
    "start": "Start date",
    "start_time": "Start time",
    "wip_limit": "WIP limit",
    "body": "Comment",
}
ATTACHMENT_EVENT_TYPES = ("attachment.created", "attachment.removed", "attachment.restored", "attachment.deleted",
                          "card.cover")


@dataclass(frozen=True)
class Detail:
    """One changed field of an edit, old and new value in words."""

    field: str
    old: str
    new: str


@dataclass(frozen=True)
class Activity:
    seq: int
    at: datetime.datetime
    user: str | None  # None: the person no longer exists, or a change without a user (demo data)
    via: str | None  # "admin" for changes made in the admin
    type: str
    card: int | None
    summary: str
    details: list = field(default_factory=list)

    def as_json(self):
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "user": self.user,
            "via": self.via,
            "type": self.type,
            "card": self.card,
            "summary": self.summary,
            "details": [{"field": detail.field, "old": detail.old, "new": detail.new} for detail in self.details],
        }


def card_id_of(frame):
    """The id of the card a card or comment event is about, or None."""
    if frame["type"] in COMMENT_EVENT_TYPES[:2]:
        return frame["comment"]["card"]
    if frame["type"] in CHECKLIST_EVENT_TYPES:
        return frame["checklist"]["card"]
    if frame["type"] in ITEM_EVENT_TYPES or frame["type"] in ATTACHMENT_EVENT_TYPES:
        return frame["card"]
    card = frame.get("card")
    if isinstance(card, dict):
        return card.get("id")
    return card if frame["type"] in ("card.deleted", "card.archived", "comment.deleted") else None


def activity_page(*, board, before=None, card_id=None, username=None, limit=PAGE_SIZE):
    """
    Up to `limit` entries older than seq `before` (None: the newest), newest
    first, optionally only about one card or by one person. Returns
    `(entries, next_before)`; `next_before` is None on the last page.
    """
    events = BoardEvent.objects.filter(board=board).select_related("author")
    if before is not None:
        events = events.filter(seq__lt=before)
    if card_id is not None:
        events = events.filter(
            Q(type__in=CARD_EVENT_TYPES[:4], payload__card__id=card_id)
            | Q(type__in=("card.deleted", "card.archived", "comment.deleted"), payload__card=card_id)
            | Q(type__in=COMMENT_EVENT_TYPES[:2], payload__comment__card=card_id)
            | Q(type__in=CHECKLIST_EVENT_TYPES, payload__checklist__card=card_id)
            | Q(type__in=ITEM_EVENT_TYPES + ATTACHMENT_EVENT_TYPES, payload__card=card_id)
        )
    if username is not None:
        events = events.filter(author__username=username)
    rows = list(events.order_by("-seq")[: limit + 1])
    names = Names(board=board)
    entries = [describe(row, names) for row in rows[:limit]]
    return entries, (rows[limit - 1].seq if len(rows) > limit else None)


class Names:
    """The names the feed shows for ids, read once per page: columns (also deleted ones), people, labels."""

    def __init__(self, *, board):
        self.columns = dict(Column.objects.filter(board=board).values_list("pk", "title"))
        for frame in BoardEvent.objects.filter(board=board, type="column.deleted").values_list("payload", flat=True):
            self.columns.setdefault(frame["column"], frame.get("title") or "a deleted column")
        self.labels = dict(Label.objects.filter(board=board).values_list("pk", "name"))
        for frame in BoardEvent.objects.filter(board=board, type="label.deleted").values_list("payload", flat=True):
            self.labels.setdefault(frame["label"], frame.get("name") or "a deleted label")
        self.people = {}
        self.board = board
        self.cards = None
        self.lanes = None
        self.files = {}

    def card(self, card_id):
        """A card's title, read once per page (deleted cards' from their `card.deleted` events)."""
        if self.cards is None:
            self.cards = dict(Card.objects.filter(board=self.board).values_list("pk", "title"))
            for frame in BoardEvent.objects.filter(board=self.board, type="card.deleted").values_list("payload", flat=True):
                self.cards.setdefault(frame["card"], frame.get("title") or "a deleted card")
        return self.cards.get(card_id, "a deleted card")

    def file(self, attachment_id):
        """A file's name, read once per page (it may be on another board now, with its card)."""
        if attachment_id not in self.files:
            self.files[attachment_id] = Attachment.objects.filter(pk=attachment_id).values_list("name", flat=True).first()
        name = self.files[attachment_id]
        return quoted(name) if name else "a deleted file"

    def lane(self, lane_id):
        """A lane's title (deleted lanes' from their `lane.deleted` events)."""
        if self.lanes is None:
            self.lanes = dict(Lane.objects.filter(board=self.board).values_list("pk", "title"))
            for frame in BoardEvent.objects.filter(board=self.board, type="lane.deleted").values_list("payload", flat=True):
                self.lanes.setdefault(frame["lane"], frame.get("title") or "a deleted lane")
        return self.lanes.get(lane_id, "a deleted lane")

    def column(self, column_id):
        return self.columns.get(column_id, "a deleted column")

    def person(self, user_id):
        if user_id is None:
            return "nobody"
        if user_id not in self.people:
            user = get_user_model().objects.filter(pk=user_id).first()
            self.people[user_id] = user.get_username() if user else "a former member"
        return self.people[user_id]

    def label_list(self, label_ids):
        return ", ".join(sorted(self.labels.get(label_id, "a deleted label") for label_id in label_ids)) or "none"


def quoted(text):
    return f"‘{text}’"


def shortened(text):
    text = " ".join(str(text).split())
    return text if len(text) <= DETAIL_MAX_LENGTH else text[: DETAIL_MAX_LENGTH - 1] + "…"


def value_in_words(name, value, names):
    if name == "assignee":  # events stored before a card could have several
        return names.person(value)
    if name == "assignees":
        return ", ".join(sorted(names.person(user_id) for user_id in value or [])) or "nobody"
    if name == "labels":
        return names.label_list(value or [])
    if name in ("due", "start"):
        return datetime.date.fromisoformat(value).strftime("%-d %b %Y") if value else "none"
    if name in ("due_time", "start_time"):
        return value or "none"
    if name == "wip_limit":
        return str(value) if value is not None else "no limit"
    return shortened(value) if value else "(empty)"


def in_field_order(changes):
    """The changed fields in the order the editor shows them (PostgreSQL's jsonb keeps no key order)."""
    order = list(FIELD_NAMES)
    return sorted(changes.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order))


def details_of(changes, names):
    return [
        Detail(FIELD_NAMES.get(name, name), value_in_words(name, change["from"], names), value_in_words(name, change["to"], names))
        for name, change in in_field_order(changes)
    ]


def describe(event, names):
    """The feed entry for one stored event."""
    frame = event.payload
    who = event.author.get_username() if event.author else "Someone"
    summary, details = sentence(frame, who, names)
    return Activity(
        seq=event.seq,
        at=event.created_at,
        user=event.author.get_username() if event.author else None,
        via=frame.get("via"),
        type=event.type,
        card=card_id_of(frame),
        summary=summary,
        details=details,
    )


def with_cards(cards):
    return "" if not cards else " and its card" if len(cards) == 1 else f" and its {len(cards)} cards"


def on_cards(card_ids):
    return "" if not card_ids else " on 1 card" if len(card_ids) == 1 else f" on {len(card_ids)} cards"


def checklist_sentence(frame, who, names):
    kind, card = frame["type"], quoted(names.card(card_id_of(frame)))
    if kind == "checklist.created":
        return f"{who} added the checklist {quoted(frame['checklist']['title'])} to {card}"
    if kind == "checklist.updated":
        return f"{who} renamed the checklist {quoted(frame['changes']['title']['from'])} to {quoted(frame['checklist']['title'])} on {card}"
    if kind == "checklist.deleted":
        return f"{who} deleted the checklist {quoted(frame['title'])} from {card}"
    if kind == "item.created":
        return f"{who} added {quoted(shortened(frame['item']['text']))} to a checklist on {card}"
    if kind == "item.updated":
        done = frame.get("changes", {}).get("done")
        if done is not None:
            return f"{who} {'ticked' if done['to'] else 'unticked'} {quoted(shortened(frame['item']['text']))} on {card}"
        return f"{who} edited the item {quoted(shortened(frame['item']['text']))} on {card}"
    if kind == "item.moved":
        return f"{who} moved the item {quoted(shortened(frame['item']['text']))} on {card}"
    return f"{who} deleted the item {quoted(shortened(frame['text']))} from a checklist on {card}"


def sentence(frame, who, names):
    """`(summary, details)` for an event frame."""
    kind = frame["type"]
    card = frame.get("card") if isinstance(frame.get("card"), dict) else None
    if kind == "card.created":
        return f"{who} added {quoted(card['title'])} to {names.column(card['column'])}", []
    if kind == "card.updated":
        changes = frame.get("changes", {})
        fields = ", ".join(FIELD_NAMES.get(name, name).lower() for name, _ in in_field_order(changes))
        edited = f"{who} edited {quoted(card['title'])}"
        return (f"{edited}: {fields}" if fields else edited), details_of(changes, names)
    if kind == "card.moved":
        to_column = names.column(frame["column"])
        from_column = frame.get("from_column")
        # Events stored before lanes have no `from_lane`; a move within the card's lane names none.
        lane_changed = "from_lane" in frame and frame["from_lane"] != card.get("lane") and card.get("lane") is not None
        to_lane = f" in the lane {quoted(names.lane(card['lane']))}" if lane_changed else ""
        if from_column is None:
            return f"{who} moved {quoted(card['title'])} to {to_column}{to_lane}", []
        if from_column == frame["column"]:
            if lane_changed:
                return f"{who} moved {quoted(card['title'])} to the lane {quoted(names.lane(card['lane']))} in {to_column}", []
            return f"{who} reordered {quoted(card['title'])} in {to_column}", []
        return f"{who} moved {quoted(card['title'])} from {names.column(from_column)} to {to_column}{to_lane}", []
    if kind == "card.archived":
        return f"{who} archived {quoted(frame['title'])} from {names.column(frame['column'])}", []
    if kind == "card.restored":
        return f"{who} restored {quoted(card['title'])} to {names.column(card['column'])}", []
    if kind == "column.archived":
        return f"{who} archived the column {quoted(frame['title'])}", []
    if kind == "column.restored":
        return f"{who} restored the column {quoted(frame['column']['title'])}{with_cards(frame['cards'])}", []
    if kind == "card.deleted" and frame.get("moved_to"):
        return f"{who} moved {quoted(frame['title'])} to the board {quoted(frame['moved_to']['name'])}", []
    if kind == "card.deleted":
        title = quoted(frame["title"]) if frame.get("title") else "a card"
        return f"{who} deleted {title} from {names.column(frame['column'])}", []
    if kind == "comment.created":
        return f"{who} commented on {quoted(frame['title'])}: {shortened(frame['comment']['body'])}", []
    if kind == "comment.updated":
        return f"{who} edited a comment on {quoted(frame['title'])}", details_of(frame.get("changes", {}), names)
    if kind == "comment.deleted":
        return f"{who} deleted a comment on {quoted(frame['title'])}", []
    if kind == "card.cover":
        if frame["cover"] is None:
            return f"{who} took the cover off {quoted(frame['title'])}", []
        return f"{who} made {names.file(frame['cover'])} the cover of {quoted(frame['title'])}", []
    if kind in ATTACHMENT_EVENT_TYPES:
        name = quoted(frame["attachment"]["name"] if isinstance(frame["attachment"], dict) else frame["name"])
        verb = {"attachment.created": "attached {name} to", "attachment.removed": "removed {name} from",
                "attachment.restored": "put {name} back on", "attachment.deleted": "deleted {name} for good from"}[kind]
        return f"{who} {verb.format(name=name)} {quoted(frame['title'])}", []
    if kind in CHECKLIST_EVENT_TYPES or kind in ITEM_EVENT_TYPES:
        return checklist_sentence(frame, who, names), []
    if kind == "column.created":
        if "cards" in frame:  # brought back by an undo (or redo), with the cards it had
            return f"{who} brought back the column {quoted(frame['column']['title'])}{with_cards(frame['cards'])}", []
        return f"{who} added the column {quoted(frame['column']['title'])}", []
    if kind == "column.updated":
        changes = frame.get("changes", {})
        title = frame["column"]["title"]
        if set(changes) == {"title"}:
            return f"{who} renamed the column {quoted(changes['title']['from'])} to {quoted(title)}", []
        return f"{who} changed the column {quoted(title)}", details_of(changes, names)
    if kind == "column.moved":
        return f"{who} moved the column {quoted(names.column(frame['column']))}", []
    if kind == "column.deleted":
        return f"{who} deleted the column {quoted(names.column(frame['column']))} and its cards", []
    if kind == "lane.created":
        taken = f" with the board’s {len(frame['cards'])} cards" if frame.get("cards") else ""
        return f"{who} added the lane {quoted(frame['lane']['title'])}{taken}", []
    if kind == "lane.updated":
        return f"{who} renamed the lane {quoted(frame['changes']['title']['from'])} to {quoted(frame['lane']['title'])}", []
    if kind == "lane.moved":
        return f"{who} moved a lane", []
    if kind == "lane.deleted":
        return f"{who} deleted the lane {quoted(frame['title'])}", []
    if kind == "label.created":
        if "cards" in frame:  # brought back by an undo (or redo), on the cards that had it
            return f"{who} brought back the label {quoted(frame['label']['name'])}{on_cards(frame['cards'])}", []
        return f"{who} created the label {quoted(frame['label']['name'])}", []
    if kind == "label.updated":
        return f"{who} changed the label {quoted(frame['label']['name'])}", []
    if kind == "label.deleted":
        return f"{who} deleted the label {quoted(names.labels.get(frame['label'], 'a deleted label'))}", []
    if kind == "board.renamed":
        return f"{who} renamed the board to {quoted(frame['name'])}", []
    if kind == "board.member_added":
        return f"{who} added {frame['member']['username']} to the board", []
    if kind == "board.member_removed":
        if frame["member"]["username"] == who:
            return f"{who} left the board", []
        return f"{who} removed {frame['member']['username']} from the board", []
    if kind == "board.sharing_changed":
        shared = "shared the board with every logged-in user" if frame["shared_with_all"] else "stopped sharing the board with everyone"
        return f"{who} {shared}", []
    return f"{who} changed the board", []
