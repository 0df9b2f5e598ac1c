"""
The per-board event log and its broadcast.

Every stored change goes through `record_event`, inside the caller's
transaction; the broadcast is sent by `transaction.on_commit`, so nothing is
announced for a change that rolls back and every announced change is durable.

Changes made from a websocket run in the database thread through
`boardsite.collab.changes.run_change`: their broadcasts are collected in
`committed_broadcasts` and sent from the event loop by the board's room, so
the database thread never waits for the loop.
"""

import contextvars
import json
from contextlib import contextmanager
from dataclasses import dataclass, field

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connections, router, transaction
from django.utils import timezone

from boardsite.collab import messages


def board_group_name(board):
    """The channel-layer group of everyone connected to `board`."""
    return f"{board._meta.app_label}.board.{board.pk}"


def user_group_name(user_id):
    """The channel-layer group of the hubs holding a connection of this user, on any board."""
    return f"user.{user_id}"


def encode_frame(payload, *, encoded=None):
    """
    Compact JSON, as sent on the websocket; NaN and Infinity are refused.
    `encoded` maps keys of `payload` to their values' JSON text, already
    encoded by the caller, which is put in the frame's text as it is.
    """
    if not encoded:
        return json.dumps(payload, separators=(",", ":"), allow_nan=False)
    text = json.dumps({key: value for key, value in payload.items() if key not in encoded},
                      separators=(",", ":"), allow_nan=False)
    fields = ",".join(f"{json.dumps(key)}:{value}" for key, value in encoded.items())
    return f"{text[:-1]}{',' if len(text) > 2 else ''}{fields}}}"


@dataclass(frozen=True)
class NewEvent:
    """
    An event to record: `origin` names the connection that made the change,
    if any. `encoded` holds the JSON text of some of the payload's values,
    when the caller encoded them anyway (stroke chunks' points, which are
    also stored as text), so that they are not encoded twice.
    """

    type: str
    payload: dict
    actor: object = None
    origin: str | None = None
    encoded: dict | None = None


# Where the changes being made come from when it is not the board itself:
# "admin" while the Django admin makes them. Stored and broadcast as the
# event's `via`, so the activity feed can say so.
change_source = contextvars.ContextVar("change_source", default=None)


@contextmanager
def changes_made_via(source):
    """Mark every event recorded inside the block with `"via": source`."""
    token = change_source.set(source)
    try:
        yield
    finally:
        change_source.reset(token)


def _board_row_sql(board_model):
    """The board table's connection and its quoted table and column names, for the raw statements below."""
    connection = connections[router.db_for_write(board_model)]
    quote = connection.ops.quote_name
    columns = {name: quote(board_model._meta.get_field(name).column) for name in ("id", "last_seq", "last_activity_at")}
    return connection, quote(board_model._meta.db_table), columns


# The statements below run in every change, so on the drawing hot path in
# every batch of stroke chunks: they are written out rather than compiled by
# the ORM each time, which costs several times the statement itself.


def lock_board_row(board, *, columns=()):
    """
    Hold the board's row lock until the transaction ends, so changes to one
    board run one at a time; returns the row's values of `columns` (field
    names) read under the lock, or None if the board is gone. SQLite has no
    row locks: its transactions here are IMMEDIATE, so they hold the
    database's write lock from BEGIN.
    """
    board_model = type(board)
    connection, table, board_columns = _board_row_sql(board_model)
    quote = connection.ops.quote_name
    selected = ", ".join(["1", *(quote(board_model._meta.get_field(name).column) for name in columns)])
    for_update = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {selected} FROM {table} WHERE {board_columns['id']} = %s{for_update}", [board.pk])
        row = cursor.fetchone()
    return None if row is None else row[1:]


def allocate_seqs(board, count, *, board_fields=()):
    """
    Take the board's next `count` seqs and return the first. The UPDATE holds
    the board's row lock until the caller's transaction ends, so seqs are
    gapless and in commit order across processes. `board_fields` are fields
    the caller changed on `board`, saved by the same statement. Must run
    inside `transaction.atomic()`. UPDATE ... RETURNING: SQLite 3.35+ and
    PostgreSQL both have it.
    """
    now = timezone.now()
    board_model = type(board)
    connection, table, columns = _board_row_sql(board_model)
    last_seq, last_activity_at = columns["last_seq"], columns["last_activity_at"]
    saved = [board_model._meta.get_field(name) for name in board_fields]
    assignments = "".join(f", {connection.ops.quote_name(field.column)} = %s" for field in saved)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {last_seq} = {last_seq} + %s, {last_activity_at} = %s{assignments} "
            f"WHERE {columns['id']} = %s RETURNING {last_seq}",
            [
                count,
                board_model._meta.get_field("last_activity_at").get_db_prep_value(now, connection),
                *(field.get_db_prep_save(getattr(board, field.attname), connection) for field in saved),
                board.pk,
            ],
        )
        (board.last_seq,) = cursor.fetchone()
    board.last_activity_at = now
    return board.last_seq - count + 1


@dataclass(frozen=True)
class StoredEvent:
    """What `record_events` stored: the event's seq and its payload (the broadcast frame)."""

    seq: int
    payload: dict


@dataclass(frozen=True)
class Applied:
    """
    What a command did: the one result of every service a websocket command
    calls, in both apps. `seq` is the seq of the event it stored (None for a
    change that stores none, such as taking a card's lock, or for a re-sent
    command already applied); `details` is what the command's `ack` carries
    besides. A kanban command answers with the event it recorded
    (`Applied.recorded`).
    """

    seq: int | None
    details: dict = field(default_factory=dict)

    @classmethod
    def recorded(cls, event):
        """The answer that is the event recorded (a StoredEvent, or a frame): the ack names its type and carries its fields."""
        frame = event.payload if isinstance(event, StoredEvent) else event
        return cls(
            seq=frame["seq"],
            details={"event": frame["type"], **{key: value for key, value in frame.items() if key not in ("type", "seq")}},
        )


def insert_events(*, board, rows):
    """
    Insert the board's events, `rows` of (seq, type, frame text, author),
    in as few statements as the backend's parameter limit allows. The
    payload column gets the frame's JSON text, the very text that is
    broadcast (PostgreSQL casts it to jsonb), so nothing is encoded twice.
    """
    event_model = board.events.model
    connection = connections[router.db_for_write(event_model)]
    quote = connection.ops.quote_name
    fields = [event_model._meta.get_field(name) for name in ("board", "seq", "type", "payload", "author", "created_at")]
    created_at = fields[-1].get_db_prep_value(timezone.now(), connection)
    values = [
        (board.pk, seq, kind, text, author.pk if author else None, created_at) for seq, kind, text, author in rows
    ]
    columns = ", ".join(quote(field.column) for field in fields)
    insert = f"INSERT INTO {quote(event_model._meta.db_table)} ({columns}) VALUES "
    placeholders = f"({', '.join(['%s'] * len(fields))})"
    size = connection.ops.bulk_batch_size(fields, values)
    with connection.cursor() as cursor:
        for start in range(0, len(values), size):
            part = values[start:start + size]
            cursor.execute(insert + ", ".join([placeholders] * len(part)), [value for row in part for value in row])


def record_events(*, board, events, board_fields=()):
    """
    Store `events` (NewEvent) with the board's next seqs, in order, and
    broadcast them in one message once the transaction commits. The
    connection named by an event's `origin` receives an `ack` instead of that
    event. `board_fields` (changed on `board` by the caller) are saved with
    the seq allocation. Returns the StoredEvents.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_events must run inside transaction.atomic()")
    if not events:
        return []
    first_seq = allocate_seqs(board, len(events), board_fields=board_fields)
    via = change_source.get()
    stored, rows, broadcast = [], [], []
    for seq, new in enumerate(events, start=first_seq):
        frame = {"type": new.type, "seq": seq, **new.payload}
        if via:
            frame["via"] = via
        text = encode_frame(frame, encoded=new.encoded)
        author = new.actor if new.actor is not None and new.actor.is_authenticated else None
        stored.append(StoredEvent(seq=seq, payload=frame))
        rows.append((seq, new.type, text, author))
        broadcast.append({"seq": seq, "text": text, "origin": new.origin})
    insert_events(board=board, rows=rows)
    if len(broadcast) == 1:
        send_to_board_on_commit(board, {"type": messages.EVENT, **broadcast[0]})
    else:
        send_to_board_on_commit(board, {"type": messages.EVENTS, "events": broadcast})
    return stored


def record_event(*, board, type, payload, actor, origin=None, board_fields=()):
    """Store one event with the board's next seq and broadcast it after commit; returns the event."""
    (event,) = record_events(
        board=board, events=[NewEvent(type=type, payload=payload, actor=actor, origin=origin)], board_fields=board_fields
    )
    return event


# While `changes.run_change` runs a function: the (group, message) pairs its
# commits broadcast, to be sent from the event loop.
committed_broadcasts = contextvars.ContextVar("committed_broadcasts", default=None)


def broadcast_unstored(*, board, frame, origin):
    """
    Send a frame that is not an event (no seq: a lock, a hold) to everyone
    else on the board once the transaction commits; a `seq` key it carries is dropped.
    """
    text = encode_frame({key: value for key, value in frame.items() if key != "seq"})
    send_to_board_on_commit(board, {"type": messages.EPHEMERAL, "text": text, "origin": origin})


def send_to_board_on_commit(board, message):
    """Send a channel-layer message to the board's group after commit."""
    group = board_group_name(board)
    send_to_group_on_commit(group, {**message, "group": group})


def send_to_group_on_commit(group, message):
    """
    Send a channel-layer message to `group` once the transaction commits:
    through the running change's collector when there is one (a room
    publishes it from the event loop), straight to the layer otherwise.
    """

    def send():
        collected = committed_broadcasts.get()
        if collected is None:
            send_to_group(group, message)
        else:
            collected.append((group, message))

    # robust: the change is committed whatever happens to the broadcast, so a channel layer
    # that is down (Redis restarting) must not turn it into an error for the caller, who would
    # then send no ack. The failure is logged; the hubs ask their connections to catch up from
    # the database once the layer is back (boardsite.collab.rooms), and any connection fills
    # a gap at the next event it gets.
    transaction.on_commit(send, robust=True)


def send_to_user_on_commit(user_id, frame):
    """
    Send an unstored frame (a notification) to every open connection of the
    user, on any board, after commit. A user with none open reads it from
    the database when a page loads.
    """
    send_to_group_on_commit(user_group_name(user_id),
                            {"type": messages.USER, "user": user_id, "text": encode_frame(frame)})


def send_to_group(group, message):
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, message)


def notify_access_changed(board, *, users=None):
    """
    Ask the board's open connections, once the transaction commits, to
    re-check their access (BoardConsumer.check_access): those of `users`
    (ids) only, or every one of them.
    """
    message = {"type": messages.ACCESS_CHANGED}
    if users is not None:
        message["users"] = sorted(users)
    send_to_board_on_commit(board, message)
