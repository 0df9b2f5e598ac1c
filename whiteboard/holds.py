"""
Holding elements while someone moves them, as kanban cards are locked while
dragged: the others see who holds them and where they are being dragged
(`drag` frames, relayed, not stored), and a `move` of a held element by
anyone else is refused, so two people never drag the same thing apart.

A hold belongs to one connection and lasts HOLD_SECONDS unless renewed (a
page renews it while the drag goes on), so one left by a vanished client
frees itself; a connection's holds go when it closes. Holds are not events:
they are sent as unstored frames, and a page that joins learns them from the
`holds` frame after `hello`.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from boardsite.collab.errors import ActionError
from boardsite.collab.events import Applied, broadcast_unstored
from whiteboard import stored_visibility
from whiteboard.models import Stroke
from whiteboard.services import check_not_held, lock_board

HOLD_SECONDS = 30


@transaction.atomic
def elements_hold(*, board, actor, stroke_ids, connection, reason="move", origin=None):
    """
    Hold (or keep holding) the elements still on the board for this
    connection, all or none; `reason` ("move", "resize" or "edit") is what the others are told.
    """
    if not connection:
        raise ActionError("invalid_message", "Only a live connection can hold elements.")
    lock_board(board, actor=actor, origin=origin)
    now = timezone.now()
    check_not_held(board=board, stroke_ids=stroke_ids, connection=connection, now=now)
    held = stored_visibility.visible_ids(board=board, stroke_ids=stroke_ids, unwritten=board.unwritten_visibility)
    if not held:
        raise ActionError("nothing_to_move", "Those elements were erased or undone meanwhile.")
    Stroke.objects.filter(board=board, client_id__in=held).update(
        held_by=actor, held_connection=connection, held_until=now + datetime.timedelta(seconds=HOLD_SECONDS)
    )
    frame = {"type": "held", "user": actor.get_username(), "conn": connection, "ids": held, "reason": reason}
    broadcast_unstored(board=board, frame=frame, origin=origin)
    return Applied(seq=None, details={"ids": held})


@transaction.atomic
def elements_release(*, board, actor=None, connection, origin=None):
    """Let go of everything this connection holds (after its move, or when it closes)."""
    held = Stroke.objects.filter(board=board, held_connection=connection)
    ids = list(held.values_list("client_id", flat=True))
    if ids:
        held.update(held_by=None, held_connection="", held_until=None)
        broadcast_unstored(board=board, frame={"type": "released", "conn": connection, "ids": ids}, origin=origin)
    return Applied(seq=None, details={"ids": ids})


def holds_frame(*, board):
    """Who holds what on the board now: the `holds` frame a joining page gets."""
    holds = {}
    rows = (
        Stroke.objects.filter(board=board, held_until__gt=timezone.now())
        .exclude(held_connection="")
        .values_list("held_connection", "held_by__username", "client_id")
    )
    for connection, username, client_id in rows:
        holds.setdefault(connection, {"user": username or "someone", "conn": connection, "ids": []})["ids"].append(client_id)
    return {"type": "holds", "holds": list(holds.values())}
