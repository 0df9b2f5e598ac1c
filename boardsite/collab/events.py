"""
The per-board event log and its broadcast.

Every stored change goes through `record_event`, inside the caller's
transaction; the broadcast is sent by `transaction.on_commit`, so nothing is
announced for a change that rolls back and every announced change is durable.
"""

import json

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import F
from django.utils import timezone


def board_group_name(board):
    """The channel-layer group of everyone connected to `board`."""
    return f"{board._meta.app_label}.board.{board.pk}"


def encode_frame(payload):
    """Compact JSON, as sent on the websocket; NaN and Infinity are refused."""
    return json.dumps(payload, separators=(",", ":"), allow_nan=False)


def allocate_seq(board):
    """
    Take the board's next seq. The UPDATE holds the board's row lock until the
    caller's transaction ends, so seqs are gapless and in commit order across
    processes. Must run inside `transaction.atomic()`.
    """
    now = timezone.now()
    board_model = type(board)
    board_model.objects.filter(pk=board.pk).update(last_seq=F("last_seq") + 1, last_activity_at=now)
    board.last_seq = board_model.objects.values_list("last_seq", flat=True).get(pk=board.pk)
    board.last_activity_at = now
    return board.last_seq


def record_event(*, board, type, payload, actor, origin=None):
    """
    Store an event with the board's next seq and broadcast it once the
    transaction commits. `origin` names the connection that made the change,
    which receives an `ack` instead of its own event. Returns the event.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside transaction.atomic()")
    seq = allocate_seq(board)
    frame = {"type": type, "seq": seq, **payload}
    event = board.events.create(
        seq=seq, type=type, payload=frame, author=actor if actor and actor.is_authenticated else None
    )
    send_to_board_on_commit(
        board, {"type": "board.event", "seq": seq, "text": encode_frame(frame), "origin": origin}
    )
    return event


def send_to_board_on_commit(board, message):
    """Send a channel-layer message to the board's group after commit."""
    group = board_group_name(board)
    transaction.on_commit(lambda: send_to_group(group, message))


def send_to_group(group, message):
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, message)


def notify_access_changed(board):
    """Ask every open connection on the board to re-check its access."""
    send_to_board_on_commit(board, {"type": "board.access_changed"})
