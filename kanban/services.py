"""
Every change to a kanban board goes through here, whoever makes it: the
websocket consumer, the admin, management commands, the demo data.

Each public action runs in one transaction, starts by locking the board row
(`lock_board`) so the changes to one board are serialised across server
processes, validates and authorises (raising ActionError, which changes
nothing), makes the change, and records its event with `record_event`, which
broadcasts it once the transaction commits. Each returns an Applied
(boardsite.collab.events) made from the event it recorded, which the
consumer sends as the `ack`. Card descriptions are
rendered before the transaction begins, so the lock is never held while
Markdown is parsed.

Arguments shared by all actions: `actor` (the user making the change),
`connection` (the id of the websocket connection making it, None elsewhere:
it owns card locks) and `origin` (that connection's channel name, which gets
an ack rather than its own event).
"""

import datetime
import re
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from boardsite.collab import services as collab_services
from boardsite.collab.errors import ActionError
from boardsite.collab.events import (
    Applied,
    broadcast_unstored,
    lock_board_row,
    record_event,
    send_to_user_on_commit,
)
from boardsite.collab.services import user_frame
from boardsite.collab.text import text_problem
from kanban import notifications, selectors
from kanban.descriptions import render_description, render_descriptions
from kanban.frames import card_frame, card_row, column_frame, label_frame, lock_frame
from kanban.models import (
    CARD_DESCRIPTION_MAX_LENGTH,
    CARD_TITLE_MAX_LENGTH,
    COLUMN_TITLE_MAX_LENGTH,
    LABEL_COLOURS,
    LABEL_NAME_MAX_LENGTH,
    MAX_ASSIGNEES,
    WIP_LIMIT_MAX,
    Board,
    Card,
    Column,
    HistoryEntry,
    Label,
    Lane,
    Notification,
)

DEFAULT_COLUMNS = ("To do", "Doing", "Done")
MAX_COLUMNS_PER_BOARD = 30
MAX_CARDS_PER_BOARD = 5000
MAX_LABELS_PER_BOARD = 50
MAX_LABELS_PER_CARD = 10
# Cards sit POSITION_GAP apart, so about 16 moves into the same spot fit
# before that column has to be renumbered.
POSITION_GAP = 1 << 16
TIME_OF_DAY = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")
LOCK_SECONDS = 30
HISTORY_KEPT_PER_USER = 100
UNSET = object()
CARD, COLUMN, LABEL, COMMENT = (HistoryEntry.Subject.CARD, HistoryEntry.Subject.COLUMN, HistoryEntry.Subject.LABEL,
                                HistoryEntry.Subject.COMMENT)
CHECKLIST, ITEM = HistoryEntry.Subject.CHECKLIST, HistoryEntry.Subject.ITEM
ATTACHMENT = HistoryEntry.Subject.ATTACHMENT
LANE = HistoryEntry.Subject.LANE


# Boards


@transaction.atomic
def board_create(*, name, owner):
    """A new board with the columns To do, Doing and Done."""
    board = collab_services.board_create(board_model=Board, name=name, owner=owner)
    Column.objects.bulk_create(
        Column(board=board, title=title, position=index) for index, title in enumerate(DEFAULT_COLUMNS)
    )
    return board


def lock_board(board, *, actor, origin):
    """
    Hold the board's row lock until the transaction ends: changes to one board
    then run one at a time, so positions, WIP counts and versions are read and
    written without interleaving. A change sent on a connection (`origin`) is
    then refused if `actor` has lost access since
    (collab_services.check_still_allowed).
    """
    if lock_board_row(board) is None:
        raise ActionError("not_found", "This board has been deleted.")
    collab_services.check_still_allowed(board=board, actor=actor, origin=origin)


# Cleaning values (from any caller, not only the websocket)


def clean_text(value, *, field, max_length, allow_blank=False, single_line=True):
    """Trimmed (one-line text: runs of white space made one space), and as boardsite.collab.text allows."""
    if not isinstance(value, str):
        raise ActionError("invalid_field", f"The {field} must be text.")
    value = " ".join(value.split()) if single_line else value.strip()
    problem = text_problem(value, multiline=not single_line)
    if problem is not None:
        raise ActionError("invalid_field", f"The {field} {problem}.")
    if not value and not allow_blank:
        raise ActionError("invalid_field", f"The {field} must not be empty.")
    if len(value) > max_length:
        raise ActionError("too_long", f"The {field} is longer than {max_length} characters.")
    return value


def clean_description(value):
    return clean_text(
        value, field="description", max_length=CARD_DESCRIPTION_MAX_LENGTH, allow_blank=True, single_line=False
    )


def description_html(text, *, rendered):
    """
    `text`'s HTML from `rendered`, the descriptions rendered before the
    transaction began. One not foreseen then (the user's newest history
    entry changed between the look and the lock) is rendered here, under
    the board's lock.
    """
    html = rendered.get(text)
    return render_description(text) if html is None else html


def clean_wip_limit(value):
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= WIP_LIMIT_MAX:
        raise ActionError("invalid_field", f"A WIP limit is a whole number from 1 to {WIP_LIMIT_MAX}, or none.")
    return value


def clean_due_date(value, *, what="due date"):
    if value is None or isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ActionError("invalid_field", f"The {what} must be a date written YYYY-MM-DD.") from None


def clean_time(value, *, what):
    """A time of day written HH:MM (24 hours), or None."""
    if value is None or isinstance(value, datetime.time):
        return value
    if isinstance(value, str) and TIME_OF_DAY.fullmatch(value):
        return datetime.time.fromisoformat(value)
    raise ActionError("invalid_field", f"The {what} must be a time written HH:MM (00:00 to 23:59), or null.")


def check_schedule(card):
    """A time needs its day, and a card starts no later than it is due."""
    for day, time, what in ((card.start_date, card.start_time, "start"), (card.due_date, card.due_time, "due")):
        if time is not None and day is None:
            raise ActionError("invalid_field", f"Give the {what} date for the {what} time.", field=f"{what}_time")
    if card.start_date and card.due_date:
        starts = (card.start_date, card.start_time or datetime.time.min)
        due = (card.due_date, card.due_time or datetime.time.max)
        if starts > due:
            raise ActionError("invalid_field", "The card would start after it is due: move the start or the due date.",
                              field="start")


def time_text(value):
    return value.strftime("%H:%M") if value is not None else None


def date_text(value):
    return value.isoformat() if value is not None else None


def clean_assignees(*, board, user_ids):
    """The users of `user_ids` (at most MAX_ASSIGNEES), who must all be the board's owner or members; by name."""
    if not isinstance(user_ids, (list, tuple)) or not all(isinstance(user_id, int) for user_id in user_ids):
        raise ActionError("invalid_field", "The assignees are a list of user ids.")
    user_ids = list(dict.fromkeys(user_ids))
    if len(user_ids) > MAX_ASSIGNEES:
        raise ActionError("too_many", f"A card has at most {MAX_ASSIGNEES} assignees.")
    if not user_ids:
        return []
    users = list(get_user_model().objects.filter(
        Q(pk=board.owner_id) | Q(pk__in=board.members.values("pk")), pk__in=user_ids
    ).order_by("username"))
    if len(users) != len(user_ids):
        raise ActionError("not_member", "Cards can only be assigned to members of this board.")
    return users


def members_among(*, board, user_ids):
    """Those of `user_ids` who are the board's owner or members now, in the order given (one query)."""
    members = {board.owner_id, *board.members.filter(pk__in=user_ids).values_list("pk", flat=True)}
    return [user_id for user_id in user_ids if user_id in members]


def lane_ids(board):
    """The ids of the board's lanes, in order (none on a board without lanes)."""
    return list(Lane.objects.filter(board=board).order_by("position", "id").values_list("pk", flat=True))


def clean_lane(*, board, lane_id):
    """
    The lane a card is put in: `lane_id`, one of the board's lanes, or by
    default its first lane; None on a board without lanes.
    """
    lanes = lane_ids(board)
    if lane_id is None:
        return lanes[0] if lanes else None
    if lane_id not in lanes:
        raise ActionError("not_found", "That lane is not on this board (it may have been deleted).", lane=lane_id)
    return lane_id


def clean_label_ids(*, board, label_ids):
    label_ids = list(dict.fromkeys(label_ids))
    if len(label_ids) > MAX_LABELS_PER_CARD:
        raise ActionError("too_many", f"A card can have at most {MAX_LABELS_PER_CARD} labels.")
    found = set(Label.objects.filter(board=board, pk__in=label_ids).values_list("pk", flat=True))
    if len(found) != len(label_ids):
        raise ActionError("not_found", "One of those labels does not exist on this board.")
    return label_ids


# Looking things up on the board


def active_cards():
    """Cards on the board: not archived (an archived column's are off it too, by the column's own filter)."""
    return Card.objects.filter(archived_at=None)


def active_columns(board):
    return Column.objects.filter(board=board, archived_at=None)


def get_column(*, board, column_id, with_card_count=False, include_archived=False, lane_id=None):
    """
    A column on the board (`include_archived`: or in its archive), with its
    cards counted if asked, and checked in the same query that `lane_id`, if
    given, is a lane of the board (a move to another lane is no dearer).
    """
    columns = Column.objects.filter(board=board, pk=column_id)
    if lane_id is not None:
        columns = columns.annotate(lane_found=Exists(Lane.objects.filter(board=board, pk=lane_id)))
    if not include_archived:
        columns = columns.filter(archived_at=None)
    if with_card_count:
        cards_in_column = (
            active_cards().filter(column=OuterRef("pk")).order_by().values("column").annotate(n=Count("pk")).values("n")
        )
        columns = columns.annotate(card_count=Coalesce(Subquery(cards_in_column), Value(0)))
    column = columns.first()
    if column is None:
        if Column.objects.filter(board=board, pk=column_id).exists():
            raise ActionError("archived", "That column is in the board's archive: restore it first.", column=column_id)
        raise ActionError("not_found", "That column does not exist on this board.", column=column_id)
    if lane_id is not None and not column.lane_found:
        raise ActionError("not_found", "That lane is not on this board (it may have been deleted).", lane=lane_id)
    return column


def get_card(*, board, card_id, include_archived=False):
    """
    A card on the board; `include_archived`: or one in its archive (archived
    itself, or in an archived column), for restoring or deleting for good.
    """
    cards = Card.objects.filter(board=board, pk=card_id)
    if not include_archived:
        cards = cards.filter(archived_at=None, column__archived_at=None)
    card = cards.select_related("locked_by", "column").first()
    if card is None:
        if not include_archived and Card.objects.filter(board=board, pk=card_id).exists():
            raise ActionError("archived", "That card is in the board's archive: restore it first.", card=card_id)
        raise ActionError("not_found", "That card does not exist on this board (it may have been deleted).", card=card_id)
    return card


def get_label(*, board, label_id):
    label = Label.objects.filter(board=board, pk=label_id).first()
    if label is None:
        raise ActionError("not_found", "That label does not exist on this board.", label=label_id)
    return label


def frame_for(card):
    """The card's frame, reading its labels and assignees (two queries)."""
    return card_frame(card_row(card), label_ids=list(card.labels.values_list("pk", flat=True)),
                      assignees=selectors.assignee_frames(Card.assignees.through.objects.filter(card=card))[card.pk])


def card_index(card):
    """
    The card's 0-based place in its cell: among the cards of its column and
    lane (all of its column on a board without lanes), by position, then id.
    """
    before = Q(position__lt=card.position) | Q(position=card.position, pk__lt=card.pk)
    return active_cards().filter(before, column_id=card.column_id, lane_id=card.lane_id).count()


# Checks


def check_version(*, card, version):
    """Refuse a change made to a version of the card that is no longer current."""
    if card.version != version:
        raise ActionError(
            "conflict",
            "Someone changed this card since you last saw it; you now see their version.",
            card=frame_for(card),
        )


def check_as_seen(*, current, was, what, frame):
    """
    Refuse a change made over a value someone else has changed since the
    person saw it (`was`: field -> the value seen; None: not said, as from
    the admin). Columns, lanes and labels have no version: the fields being
    changed are compared instead, so a rename and someone's new WIP limit
    both stand. The error says what the other did, and carries the `what`
    (column, lane, label) as it is now.
    """
    changed = [name for name, seen in (was or {}).items() if current[name] != seen]
    if changed:
        done = " and ".join(change_said(name, current[name]) for name in changed)
        raise ActionError(
            "conflict",
            f"Someone else {done} while you had this {what} open. Save again to replace that with yours.",
            **{what: frame},
        )


def change_said(field, value):
    """What someone did, for `check_as_seen`'s message: "renamed it “Doing”"."""
    if field in ("title", "name"):
        return f"renamed it “{value}”"
    if field == "colour":
        return f"made it {value}"
    return f"set its WIP limit to {value}" if value is not None else "removed its WIP limit"


def check_not_locked(*, card, connection, now=None):
    """A card held by another connection cannot be changed until it is released or its lock expires."""
    holder = card.lock_holder(now=now)
    if holder is not None and holder != connection:
        who = card.locked_by.get_username() if card.locked_by else "Someone"
        doing = "dragging" if card.lock_reason == "drag" else "editing"
        raise ActionError(
            "locked",
            f"{who} is {doing} “{card.title}”; try again when they are done.",
            card=card.pk,
            locked_by=user_frame(card.locked_by) if card.locked_by else None,
        )


def check_wip_limit(*, column, adding):
    """`column` must be fetched with its card count (get_column(..., with_card_count=True))."""
    if column.wip_limit is not None and column.card_count + adding > column.wip_limit:
        raise ActionError(
            "wip_limit",
            f"“{column.title}” is at its WIP limit of {column.wip_limit} card"
            f"{'' if column.wip_limit == 1 else 's'}; finish or move one first.",
            column=column.pk,
            wip_limit=column.wip_limit,
        )


def check_card_room(*, board):
    if Card.objects.filter(board=board).count() >= MAX_CARDS_PER_BOARD:
        raise ActionError("too_many", f"A board holds at most {MAX_CARDS_PER_BOARD} cards.")


# Ordering


def position_for_index(*, column, index, lane_id=None, moving_card_id=None):
    """
    The position that puts a card at `index` among the other cards of its
    cell (the column's cards in lane `lane_id`: all of them on a board
    without lanes). One query in the usual case; renumbers the column only
    when the two neighbours are adjacent integers.
    """
    siblings = active_cards().filter(column=column, lane_id=lane_id)
    if moving_card_id is not None:
        siblings = siblings.exclude(pk=moving_card_id)
    ordered = siblings.order_by("position", "id").values_list("position", flat=True)
    if index == 0:
        first = list(ordered[:1])
        return first[0] - POSITION_GAP if first else 0
    around = list(ordered[index - 1 : index + 1])
    if not around:
        raise ActionError(
            "out_of_range", f"`index` {index} is past the end of “{column.title}”.", column=column.pk, index=index
        )
    if len(around) == 1:
        return around[0] + POSITION_GAP
    before, after = around
    if after - before >= 2:
        return (before + after) // 2
    renumber_cards(column=column)
    return position_for_index(column=column, index=index, lane_id=lane_id, moving_card_id=moving_card_id)


def renumber_cards(*, column):
    """Spread the column's cards POSITION_GAP apart, keeping their order (rarely needed)."""
    cards = list(active_cards().filter(column=column).order_by("position", "id").only("pk", "position"))
    for index, card in enumerate(cards):
        card.position = index * POSITION_GAP
    Card.objects.bulk_update(cards, ["position"])


def end_position(*, column):
    last = active_cards().filter(column=column).order_by("-position", "-id").values_list("position", flat=True).first()
    return 0 if last is None else last + POSITION_GAP


# Columns


@transaction.atomic
def column_create(*, board, title, index=None, wip_limit=None, actor, connection=None, origin=None):
    lock_board(board, actor=actor, origin=origin)
    title = clean_text(title, field="column title", max_length=COLUMN_TITLE_MAX_LENGTH)
    wip_limit = clean_wip_limit(wip_limit)
    columns = list(active_columns(board).order_by("position", "id"))
    if len(columns) >= MAX_COLUMNS_PER_BOARD:
        raise ActionError("too_many", f"A board has at most {MAX_COLUMNS_PER_BOARD} columns.")
    index = len(columns) if index is None else check_index(index, length=len(columns))
    column = Column.objects.create(board=board, title=title, wip_limit=wip_limit, position=0)
    columns.insert(index, column)
    renumber_columns(columns)
    remember(board=board, actor=actor, subject=COLUMN, object_id=column.pk, action=HistoryEntry.Action.CREATE,
             before=None, after={**column_fields(column), "index": index})
    return Applied.recorded(record_event(
        board=board,
        type="column.created",
        payload={"column": column_frame(column), "index": index},
        actor=actor,
        origin=origin,
    ))


@transaction.atomic
def column_update(*, board, column_id, title=UNSET, wip_limit=UNSET, was=None, actor, connection=None, origin=None):
    """Rename a column or set its WIP limit; `was`: the values the person saw of those fields (check_as_seen)."""
    lock_board(board, actor=actor, origin=origin)
    column = get_column(board=board, column_id=column_id)
    before = {"title": column.title, "wip_limit": column.wip_limit}
    check_as_seen(current=before, was=was, what="column", frame=column_frame(column))
    if title is not UNSET:
        column.title = clean_text(title, field="column title", max_length=COLUMN_TITLE_MAX_LENGTH)
    if wip_limit is not UNSET:
        column.wip_limit = clean_wip_limit(wip_limit)
    column.save(update_fields=["title", "wip_limit"])
    changes = field_changes(before, column_fields(column))
    remember(board=board, actor=actor, subject=COLUMN, object_id=column.pk, action=HistoryEntry.Action.UPDATE,
             before=before, after=column_fields(column))
    return Applied.recorded(record_event(
        board=board, type="column.updated", payload={"column": column_frame(column), "changes": changes},
        actor=actor, origin=origin,
    ))


@transaction.atomic
def column_move(*, board, column_id, index, actor, connection=None, origin=None):
    lock_board(board, actor=actor, origin=origin)
    column = get_column(board=board, column_id=column_id)
    columns = [other for other in active_columns(board).order_by("position", "id") if other != column]
    index = check_index(index, length=len(columns))
    before = {"index": column_index(column)}
    columns.insert(index, column)
    renumber_columns(columns)
    remember(board=board, actor=actor, subject=COLUMN, object_id=column.pk, action=HistoryEntry.Action.MOVE,
             before=before, after={"index": index})
    return Applied.recorded(record_event(
        board=board, type="column.moved", payload={"column": column.pk, "index": index}, actor=actor, origin=origin
    ))


@transaction.atomic
def column_delete(*, board, column_id, actor, connection=None, origin=None):
    """Delete a column and its cards, from the board or its archive (the page asks for confirmation first)."""
    lock_board(board, actor=actor, origin=origin)
    column = get_column(board=board, column_id=column_id, include_archived=True)
    now = timezone.now()
    for card in column.cards.select_related("locked_by").filter(lock_expires_at__gt=now):
        check_not_locked(card=card, connection=connection, now=now)
    title = column.title
    remember(board=board, actor=actor, subject=COLUMN, object_id=column.pk, action=HistoryEntry.Action.DELETE,
             before=column_state(column), after=None)
    column.delete()
    return Applied.recorded(record_event(
        board=board, type="column.deleted", payload={"column": column_id, "title": title}, actor=actor, origin=origin
    ))


def column_fields(column):
    return {"title": column.title, "wip_limit": column.wip_limit}


def column_index(column):
    """The column's 0-based place on its board."""
    return Column.objects.filter(board_id=column.board_id, archived_at=None).filter(
        Q(position__lt=column.position) | Q(position=column.position, pk__lt=column.pk)
    ).count()


def column_state(column):
    """Everything needed to bring a deleted column back where it was, with its cards in order (stored in history)."""
    cards = list(Card.objects.filter(column=column).order_by("position", "id"))
    label_ids = defaultdict(list)
    for card_id, label_id in Card.labels.through.objects.filter(card__column=column).values_list("card_id", "label_id"):
        label_ids[card_id].append(label_id)
    card_ids = [card.pk for card in cards]
    comments = selectors.comment_states(card_ids=card_ids)
    checklists = selectors.checklist_states(card_ids=card_ids)
    return {
        **column_fields(column),
        "index": column_index(column),
        "archived_at": column.archived_at.isoformat() if column.archived_at else None,
        "cards": [{"id": card.pk, **card_state(card, label_ids=label_ids[card.pk], comments=comments.get(card.pk, []),
                                               checklists=checklists.get(card.pk, []))}
                  for card in cards],
    }


def check_index(index, *, length):
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= length:
        raise ActionError("out_of_range", f"`index` must be between 0 and {length}.", index=index)
    return index


def renumber_columns(columns):
    """Columns are few, so reordering simply renumbers them all."""
    for position, column in enumerate(columns):
        column.position = position
    Column.objects.bulk_update(columns, ["position"])


# Labels


@transaction.atomic
def label_create(*, board, name, colour="grey", actor, connection=None, origin=None):
    lock_board(board, actor=actor, origin=origin)
    name = clean_label_name(board=board, name=name)
    colour = clean_colour(colour)
    if Label.objects.filter(board=board).count() >= MAX_LABELS_PER_BOARD:
        raise ActionError("too_many", f"A board has at most {MAX_LABELS_PER_BOARD} labels.")
    label = Label.objects.create(board=board, name=name, colour=colour)
    remember(board=board, actor=actor, subject=LABEL, object_id=label.pk, action=HistoryEntry.Action.CREATE,
             before=None, after=label_fields(label))
    return Applied.recorded(record_event(
        board=board, type="label.created", payload={"label": label_frame(label)}, actor=actor, origin=origin
    ))


@transaction.atomic
def label_update(*, board, label_id, name=UNSET, colour=UNSET, was=None, actor, connection=None, origin=None):
    """Rename or recolour a label; `was`: the values the person saw of those fields (check_as_seen)."""
    lock_board(board, actor=actor, origin=origin)
    label = get_label(board=board, label_id=label_id)
    before = label_fields(label)
    check_as_seen(current=before, was=was, what="label", frame=label_frame(label))
    if name is not UNSET:
        label.name = clean_label_name(board=board, name=name, renaming=label)
    if colour is not UNSET:
        label.colour = clean_colour(colour)
    label.save(update_fields=["name", "colour"])
    remember(board=board, actor=actor, subject=LABEL, object_id=label.pk, action=HistoryEntry.Action.UPDATE,
             before=before, after=label_fields(label))
    return Applied.recorded(record_event(
        board=board, type="label.updated", payload={"label": label_frame(label)}, actor=actor, origin=origin
    ))


@transaction.atomic
def label_delete(*, board, label_id, actor, connection=None, origin=None):
    """Delete a label; the cards that had it simply lose it."""
    lock_board(board, actor=actor, origin=origin)
    label = get_label(board=board, label_id=label_id)
    remember(board=board, actor=actor, subject=LABEL, object_id=label.pk, action=HistoryEntry.Action.DELETE,
             before=label_state(label), after=None)
    label.delete()
    return Applied.recorded(record_event(
        board=board, type="label.deleted", payload={"label": label_id, "name": label.name}, actor=actor, origin=origin
    ))


def label_fields(label):
    return {"name": label.name, "colour": label.colour}


def label_state(label):
    """Everything needed to bring a deleted label back, on the cards that had it (stored in history)."""
    return {**label_fields(label), "cards": sorted(label.cards.values_list("pk", flat=True))}


def clean_label_name(*, board, name, renaming=None):
    name = clean_text(name, field="label name", max_length=LABEL_NAME_MAX_LENGTH)
    taken = Label.objects.filter(board=board, name=name)
    if renaming is not None:
        taken = taken.exclude(pk=renaming.pk)
    if taken.exists():
        raise ActionError("duplicate", f"There is already a label called “{name}”.")
    return name


def clean_colour(colour):
    if colour not in LABEL_COLOURS:
        raise ActionError("invalid_field", f"A label colour is one of: {', '.join(LABEL_COLOURS)}.")
    return colour


# Cards


def card_state(card, *, label_ids, comments, checklists):
    """
    Everything needed to recreate a deleted card where it was, with its
    comments (their states, kanban.selectors.comment_states) and checklists
    (kanban.selectors.checklist_states): stored in history.
    """
    return {
        "column": card.column_id,
        "position": card.position,
        "title": card.title,
        "description": card.description,
        "assignees": sorted(card.assignees.values_list("pk", flat=True)),
        "labels": sorted(label_ids),
        "due": card.due_date.isoformat() if card.due_date else None,
        "due_time": time_text(card.due_time),
        "start": date_text(card.start_date),
        "start_time": time_text(card.start_time),
        "cover": card.cover_id,
        "lane": card.lane_id,
        "version": card.version,
        "archived_at": card.archived_at.isoformat() if card.archived_at else None,
        "comments": comments,
        "checklists": checklists,
    }


def stored_card_state(card):
    """`card_state` of one card as it is stored now: its labels, comments and checklists read (four queries)."""
    return card_state(card, label_ids=card.labels.values_list("pk", flat=True),
                      comments=selectors.comment_states(card_ids=[card.pk]).get(card.pk, []),
                      checklists=selectors.checklist_states(card_ids=[card.pk]).get(card.pk, []))


def card_create(
    *,
    board,
    column_id,
    title,
    index=None,
    description="",
    assignee_ids=(),
    label_ids=(),
    due_date=None,
    lane_id=None,
    client_key="",
    actor,
    connection=None,
    origin=None,
    remembered=True,
):
    """
    Add a card to a column, at its end unless `index` is given. A `client_key`
    already used on the board returns that card unchanged (with no seq): the
    client is re-sending a create whose ack it lost. The description is
    rendered before the transaction, without the board's lock. `remembered`
    is False when the card is part of another change, which is what the
    actor's undo takes back (a checklist item made a card).
    """
    description = clean_description(description)
    description_html = render_description(description)
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        if client_key:
            existing = Card.objects.filter(board=board, client_key=client_key).select_related("locked_by").first()
            if existing is not None:
                return Applied.recorded({"type": "card.created", "seq": None, "card": frame_for(existing), "index": card_index(existing),
                        "duplicate": True})
        column = get_column(board=board, column_id=column_id, with_card_count=True)
        title = clean_text(title, field="card title", max_length=CARD_TITLE_MAX_LENGTH)
        assignees = clean_assignees(board=board, user_ids=list(assignee_ids))
        label_ids = clean_label_ids(board=board, label_ids=label_ids) if label_ids else []
        due_date = clean_due_date(due_date)
        lane_id = clean_lane(board=board, lane_id=lane_id)
        check_wip_limit(column=column, adding=1)
        check_card_room(board=board)
        if index is None:
            index = active_cards().filter(column=column, lane_id=lane_id).count() if lane_id else column.card_count
            position = end_position(column=column)
        else:
            position = position_for_index(column=column, index=index, lane_id=lane_id)
        card = Card.objects.create(
            board=board,
            column=column,
            lane_id=lane_id,
            title=title,
            description=description,
            description_html=description_html,
            due_date=due_date,
            position=position,
            client_key=client_key,
        )
        if label_ids:
            card.labels.set(label_ids)
        card.assignees.set(assignees)
        notifications.watch(card=card, user=actor)
        for assignee in assignees:
            assigned(board=board, card=card, assignee=assignee, actor=actor)
        frame = card_frame(card_row(card), label_ids=label_ids, assignees=[user_frame(user) for user in assignees])
        if remembered:
            remember(board=board, actor=actor, subject=CARD, object_id=card.pk, version_after=card.version,
                     action=HistoryEntry.Action.CREATE, before=None,
                     after=card_state(card, label_ids=label_ids, comments=[], checklists=[]))
        return Applied.recorded(record_event(
            board=board, type="card.created", payload={"card": frame, "index": index}, actor=actor, origin=origin
        ))


def card_update(*, board, card_id, version, changes, actor, connection=None, origin=None):
    """
    Change some of a card's fields. `changes` maps field names to new values:
    title, description, assignees (user ids), labels (label ids),
    due (YYYY-MM-DD or None). Saving releases the caller's lock. A new
    description is rendered before the transaction, without the board's lock.
    """
    rendered = {}
    if isinstance(changes, dict) and "description" in changes:
        changes = {**changes, "description": clean_description(changes["description"])}
        rendered = render_descriptions([changes["description"]])
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        card = get_card(board=board, card_id=card_id)
        check_version(card=card, version=version)
        check_not_locked(card=card, connection=connection)
        before, after = apply_changes(board=board, card=card, changes=changes, rendered=rendered)
        frame = finish_change(card=card, connection=connection)
        if "assignees" in after:
            added = set(after["assignees"]) - set(before["assignees"])
            for assignee in get_user_model().objects.filter(pk__in=added) if added else ():
                assigned(board=board, card=card, assignee=assignee, actor=actor)
        remember(board=board, actor=actor, subject=CARD, object_id=card.pk, version_after=card.version, action=HistoryEntry.Action.UPDATE, before=before, after=after)
        return Applied.recorded(record_event(
            board=board, type="card.updated", payload={"card": frame, "changes": field_changes(before, after)},
            actor=actor, origin=origin,
        ))


def assigned(*, board, card, assignee, actor):
    """The assignee (a member: clean_assignee) watches the card from now on, and hears of it unless they assigned it to themselves."""
    notifications.watch(card=card, user=assignee)
    if actor is None or assignee.pk != actor.pk:
        notifications.notify(board=board, card=card, recipients={assignee.pk: Notification.Kind.ASSIGNED}, actor=actor)


@transaction.atomic
def card_watch(*, board, card_id, watching, actor, connection=None, origin=None):
    """
    Watch a card (hear of its comments) or stop. Personal, so no board event:
    the ack says it, and the person's other pages get a `card.watching` frame.
    """
    if not isinstance(watching, bool):
        raise ActionError("invalid_field", "`watching` must be true or false.")
    lock_board(board, actor=actor, origin=origin)
    card = get_card(board=board, card_id=card_id)
    if watching:
        card.watchers.add(actor)
    else:
        card.watchers.remove(actor)
    send_to_user_on_commit(actor.pk, {"type": "card.watching", "card": card.pk, "watching": watching})
    return Applied(seq=None, details={"event": "card.watching", "card": card.pk, "watching": watching})


CARD_FIELDS = ("title", "description", "assignees", "labels", "due", "due_time", "start", "start_time")


def field_changes(before, after):
    """`{field: {"from": old, "to": new}}` for the fields whose value changed, as events carry them for the activity feed."""
    return {field: {"from": before[field], "to": after[field]} for field in after if before[field] != after[field]}


def apply_changes(*, board, card, changes, rendered):
    """
    Validate and set the changed fields (labels are saved at once); returns
    their old and new values. `rendered`: descriptions rendered before the
    transaction ({text: html}, see `description_html`).
    """
    unknown = set(changes) - set(CARD_FIELDS)
    if unknown:
        raise ActionError("unknown_field", f"Cards have no field(s) {', '.join(sorted(unknown))}.")
    if not changes:
        raise ActionError("invalid_message", "Say what to change: title, description, assignees, labels, due, due_time, start or start_time.")
    old_label_ids = sorted(card.labels.values_list("pk", flat=True)) if "labels" in changes else None
    before = {
        "title": card.title,
        "description": card.description,
        "assignees": sorted(card.assignees.values_list("pk", flat=True)) if "assignees" in changes else None,
        "labels": old_label_ids,
        "due": card.due_date.isoformat() if card.due_date else None,
        "due_time": time_text(card.due_time),
        "start": date_text(card.start_date),
        "start_time": time_text(card.start_time),
    }
    # Taking a date away takes its time with it.
    for day, time in (("due", "due_time"), ("start", "start_time")):
        if day in changes and changes[day] is None and time not in changes and before[time] is not None:
            changes = {**changes, time: None}
    before = {field: before[field] for field in changes}
    after = {}
    if "title" in changes:
        card.title = after["title"] = clean_text(changes["title"], field="card title", max_length=CARD_TITLE_MAX_LENGTH)
    if "description" in changes:
        card.description = after["description"] = clean_description(changes["description"])
        card.description_html = description_html(card.description, rendered=rendered)
    if "assignees" in changes:
        users = clean_assignees(board=board, user_ids=changes["assignees"])
        after["assignees"] = sorted(user.pk for user in users)
        card.assignees.set(users)
    if "labels" in changes:
        after["labels"] = sorted(clean_label_ids(board=board, label_ids=changes["labels"]))
        card.labels.set(after["labels"])
    if "due" in changes:
        card.due_date = clean_due_date(changes["due"])
        after["due"] = card.due_date.isoformat() if card.due_date else None
    if "due_time" in changes:
        card.due_time = clean_time(changes["due_time"], what="due time")
        after["due_time"] = time_text(card.due_time)
    if "start" in changes:
        card.start_date = clean_due_date(changes["start"], what="start date")
        after["start"] = date_text(card.start_date)
    if "start_time" in changes:
        card.start_time = clean_time(changes["start_time"], what="start time")
        after["start_time"] = time_text(card.start_time)
    check_schedule(card)
    return before, after


def finish_change(*, card, connection):
    """Bump the version, release the caller's (or an expired) lock, save; returns the card's frame."""
    card.version += 1
    card.updated_at = timezone.now()
    if card.lock_connection and (card.lock_connection == connection or card.lock_holder() is None):
        card.locked_by, card.lock_connection, card.lock_reason, card.lock_expires_at = None, "", "", None
    card.save()
    return frame_for(card)


@transaction.atomic
def card_move(*, board, card_id, version, column_id, index, lane_id=UNSET, actor, connection=None, origin=None):
    """
    Put the card at `index` (0-based, counted without the card itself) in the
    column, and in lane `lane_id` when given (else it stays in its lane):
    `index` counts the cards of that cell. Writes the moved card only, so its
    query count does not depend on the column's size. Dropping the card
    releases the caller's lock.
    """
    lock_board(board, actor=actor, origin=origin)
    card = get_card(board=board, card_id=card_id)
    check_version(card=card, version=version)
    check_not_locked(card=card, connection=connection)
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise ActionError("out_of_range", "`index` must be 0 or more.", index=index)
    changing_lane = lane_id is not UNSET and lane_id != card.lane_id
    if changing_lane and lane_id is None:
        raise ActionError("invalid_field", "`lane` must be a lane's id.", field="lane")
    target = get_column(board=board, column_id=column_id, with_card_count=True,
                        lane_id=lane_id if changing_lane else None)
    if target.pk != card.column_id:
        check_wip_limit(column=target, adding=1)
    before = {"column": card.column_id, "position": card.position, "lane": card.lane_id}
    if changing_lane:
        card.lane_id = lane_id
    card.position = position_for_index(column=target, index=index, lane_id=card.lane_id, moving_card_id=card.pk)
    card.column = target
    frame = finish_change(card=card, connection=connection)
    remember(board=board, actor=actor, subject=CARD, object_id=card.pk, version_after=card.version, action=HistoryEntry.Action.MOVE, before=before,
             after={"column": target.pk, "position": card.position, "lane": card.lane_id})
    return Applied.recorded(record_event(
        board=board,
        type="card.moved",
        payload={"card": frame, "column": target.pk, "index": index, "from_column": before["column"],
                 "from_lane": before["lane"]},
        actor=actor,
        origin=origin,
    ))


@transaction.atomic
def card_delete(*, board, card_id, version, actor, connection=None, origin=None):
    """Delete a card, from the board or its archive (the page asks first)."""
    lock_board(board, actor=actor, origin=origin)
    card = get_card(board=board, card_id=card_id, include_archived=True)
    check_version(card=card, version=version)
    check_not_locked(card=card, connection=connection)
    state = stored_card_state(card)
    remember(board=board, actor=actor, subject=CARD, object_id=card.pk, version_after=card.version, action=HistoryEntry.Action.DELETE, before=state, after=None)
    card.delete()
    return Applied.recorded(record_event(
        board=board,
        type="card.deleted",
        payload={"card": card_id, "column": state["column"], "title": state["title"]},
        actor=actor,
        origin=origin,
    ))


# Locks: a connection holds a card while its user drags or edits it. Lock
# changes are not stored events: they are broadcast as `card.locked` /
# `card.unlocked` frames without seq, and the `board` message carries the
# current locks, so a client that reconnects sees them all the same.


LOCK_REASONS = ("drag", "edit")


@transaction.atomic
def card_lock(*, board, card_id, reason="edit", actor, connection, origin=None):
    """Take (or renew) the card for LOCK_SECONDS for this connection; `reason` is "drag" or "edit"."""
    if not connection:
        raise ActionError("invalid_message", "Only a live connection can lock a card.")
    if reason not in LOCK_REASONS:
        raise ActionError("invalid_field", "A lock's `reason` is “drag” or “edit”.")
    lock_board(board, actor=actor, origin=origin)
    card = get_card(board=board, card_id=card_id)
    now = timezone.now()
    check_not_locked(card=card, connection=connection, now=now)
    card.locked_by, card.lock_connection, card.lock_reason = actor, connection, reason
    card.lock_expires_at = now + datetime.timedelta(seconds=LOCK_SECONDS)
    card.save(update_fields=["locked_by", "lock_connection", "lock_reason", "lock_expires_at"])
    frame = {"type": "card.locked", "seq": None, "card": card.pk, "lock": lock_frame(card_row(card), now=now)}
    broadcast_unstored(board=board, frame=frame, origin=origin)
    return Applied.recorded(frame)


@transaction.atomic
def card_unlock(*, board, card_id, actor, connection, origin=None):
    """Release the card if this connection holds it; releasing a free card is harmless."""
    lock_board(board, actor=actor, origin=origin)
    card = get_card(board=board, card_id=card_id)
    if card.lock_connection and card.lock_connection == connection:
        release_locks(board=board, cards=[card.pk], origin=origin)
    return Applied.recorded({"type": "card.unlocked", "seq": None, "card": card.pk})


@transaction.atomic
def locks_release(*, board, connection):
    """Release every card `connection` holds (when it disconnects)."""
    held = list(Card.objects.filter(board=board, lock_connection=connection).values_list("pk", flat=True))
    release_locks(board=board, cards=held, origin=None)
    return held


def release_locks(*, board, cards, origin):
    if not cards:
        return
    Card.objects.filter(pk__in=cards).update(locked_by=None, lock_connection="", lock_reason="", lock_expires_at=None)
    for card_id in cards:
        broadcast_unstored(board=board, frame={"type": "card.unlocked", "seq": None, "card": card_id}, origin=origin)


# History: each change is remembered for its author, so kanban.history can
# undo and redo it.


def remember(*, board, actor, subject, object_id, action, before, after, version_after=None):
    """Add a change to the actor's history (`version_after`: the card's version after it; cards only)."""
    if actor is None or not actor.is_authenticated:
        return
    HistoryEntry.objects.create(
        board=board,
        user=actor,
        subject=subject,
        object_id=object_id,
        action=action,
        before=before,
        after=after,
        version_after=version_after if action != HistoryEntry.Action.DELETE else None,
    )



@transaction.atomic
def history_forget(*, board, user):
    """
    Drop `user`'s undo and redo history on `board`: what seeded a board (the
    demo data) is where it starts, not a change its first Undo should take back.
    """
    lock_board(board, actor=user, origin=None)
    HistoryEntry.objects.filter(board=board, user=user).delete()


def trim_history(*, board, user):
    """Keep each user's newest HISTORY_KEPT_PER_USER entries on a board."""
    kept = HistoryEntry.objects.filter(board=board, user=user).order_by("-id").values_list("pk", flat=True)
    oldest_kept = list(kept[HISTORY_KEPT_PER_USER - 1 : HISTORY_KEPT_PER_USER])
    if oldest_kept:
        HistoryEntry.objects.filter(board=board, user=user, pk__lt=oldest_kept[0]).delete()

