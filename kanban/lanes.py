"""
Swimlanes: rows across a board's columns.

A board has none until someone adds one. The first lane takes every card of
the board, and from then on each card is in exactly one lane: its place is
its column, its lane, and its order among the cards of that cell (the
column's `position` order, which lanes only split). WIP limits stay per
column. Deleting the last lane takes the board back to no lanes; any other
lane must hold no card on the board first (cards of it in the archive go to
the first other lane).

Lanes follow the rules of kanban.services: the board's lock, events on
commit, the actor's undo. Whether a lane is collapsed is each person's view
of the board, kept by their page, not here.
"""

from django.db import transaction

from boardsite.collab.errors import ActionError
from boardsite.collab.events import Applied, record_event
from kanban.frames import lane_frame
from kanban.models import LANE_TITLE_MAX_LENGTH, Card, HistoryEntry, Lane
from kanban.services import (
    LANE, active_cards, check_as_seen, check_index, clean_text, lane_ids, lock_board, remember,
)

MAX_LANES_PER_BOARD = 20

Action = HistoryEntry.Action


def ordered_lanes(board):
    return list(Lane.objects.filter(board=board).order_by("position", "id"))


def get_lane(*, board, lane_id):
    lane = Lane.objects.filter(board=board, pk=lane_id).first()
    if lane is None:
        raise ActionError("not_found", "That lane is not on this board (it may have been deleted).", lane=lane_id)
    return lane


def lane_for(*, board, lane_id):
    """
    The lane a card goes in, as its id: `lane_id` if the board has that lane,
    else the board's first lane, or None on a board without lanes.
    """
    lanes = lane_ids(board)
    if lane_id in lanes:
        return lane_id
    return lanes[0] if lanes else None


def renumber(lanes):
    for position, lane in enumerate(lanes):
        lane.position = position
    Lane.objects.bulk_update(lanes, ["position"])


def clean_title(title):
    return clean_text(title, field="lane title", max_length=LANE_TITLE_MAX_LENGTH)


@transaction.atomic
def lane_create(*, board, title, index=None, actor, connection=None, origin=None):
    """
    Add a lane (at the bottom unless `index`). The board's first lane takes
    all its cards (`cards` in the event lists those on the board).
    """
    lock_board(board, actor=actor, origin=origin)
    title = clean_title(title)
    lanes = ordered_lanes(board)
    if len(lanes) >= MAX_LANES_PER_BOARD:
        raise ActionError("too_many", f"A board has at most {MAX_LANES_PER_BOARD} lanes.")
    index = len(lanes) if index is None else check_index(index, length=len(lanes))
    lane = Lane.objects.create(board=board, title=title)
    lanes.insert(index, lane)
    renumber(lanes)
    cards = take_every_card(board=board, lane=lane) if len(lanes) == 1 else []
    remember(board=board, actor=actor, subject=LANE, object_id=lane.pk, action=Action.CREATE, before=None,
             after={"title": title, "index": index, "first": len(lanes) == 1})
    return Applied.recorded(created_event(board=board, lane=lane, index=index, cards=cards, actor=actor, origin=origin))


def take_every_card(*, board, lane):
    """Swimlanes on: every card of the board (archived ones too) is in `lane`; returns the ids of those on the board."""
    Card.objects.filter(board=board).update(lane=lane)
    return list(active_cards().filter(board=board).order_by("pk").values_list("pk", flat=True))


def created_event(*, board, lane, index, cards, actor, origin):
    return record_event(board=board, type="lane.created",
                        payload={"lane": lane_frame(lane), "index": index, "cards": cards},
                        actor=actor, origin=origin)


@transaction.atomic
def lane_update(*, board, lane_id, title, was=None, actor, connection=None, origin=None):
    """Rename a lane; `was`: the title the person saw (kanban.services.check_as_seen)."""
    lock_board(board, actor=actor, origin=origin)
    lane = get_lane(board=board, lane_id=lane_id)
    check_as_seen(current={"title": lane.title}, was=was, what="lane", frame=lane_frame(lane))
    title = clean_title(title)
    before = lane.title
    lane.title = title
    lane.save(update_fields=["title"])
    remember(board=board, actor=actor, subject=LANE, object_id=lane.pk, action=Action.UPDATE,
             before={"title": before}, after={"title": title})
    return Applied.recorded(updated_event(board=board, lane=lane, before=before, actor=actor, origin=origin))


def updated_event(*, board, lane, before, actor, origin):
    return record_event(board=board, type="lane.updated",
                        payload={"lane": lane_frame(lane), "changes": {"title": {"from": before, "to": lane.title}}},
                        actor=actor, origin=origin)


@transaction.atomic
def lane_move(*, board, lane_id, index, actor, connection=None, origin=None):
    """Put a lane at `index` (counted without it) among the board's lanes."""
    lock_board(board, actor=actor, origin=origin)
    lane = get_lane(board=board, lane_id=lane_id)
    event, before = move(board=board, lane=lane, index=index, actor=actor, origin=origin)
    remember(board=board, actor=actor, subject=LANE, object_id=lane.pk, action=Action.MOVE,
             before={"index": before}, after={"index": event.payload["index"]})
    return Applied.recorded(event)


def move(*, board, lane, index, actor, origin):
    lanes = ordered_lanes(board)
    before = lanes.index(lane)
    lanes.remove(lane)
    index = check_index(index, length=len(lanes))
    lanes.insert(index, lane)
    renumber(lanes)
    return record_event(board=board, type="lane.moved", payload={"lane": lane.pk, "index": index},
                        actor=actor, origin=origin), before


@transaction.atomic
def lane_delete(*, board, lane_id, actor, connection=None, origin=None):
    """
    Delete a lane that holds no card on the board, or the last lane, which
    takes the board back to no lanes (its cards stay where they are).
    """
    lock_board(board, actor=actor, origin=origin)
    lane = get_lane(board=board, lane_id=lane_id)
    lanes = ordered_lanes(board)
    state = {"title": lane.title, "index": lanes.index(lane), "last": len(lanes) == 1}
    lane_id = lane.pk
    event = remove(board=board, lane=lane, lanes=lanes, actor=actor, origin=origin)
    remember(board=board, actor=actor, subject=LANE, object_id=lane_id, action=Action.DELETE, before=state, after=None)
    return Applied.recorded(event)


def remove(*, board, lane, lanes, actor, origin):
    others = [other for other in lanes if other != lane]
    held = active_cards().filter(lane=lane).count()
    if others and held:
        raise ActionError(
            "not_empty",
            f"“{lane.title}” still holds {held} card{'' if held == 1 else 's'}: move them to another lane first.",
            lane=lane.pk,
        )
    cards = list(active_cards().filter(lane=lane).order_by("pk").values_list("pk", flat=True))
    # Archived cards of the lane go to the first lane left (none when it was the last).
    Card.objects.filter(lane=lane).update(lane=others[0] if others else None)
    lane_id, title = lane.pk, lane.title
    lane.delete()
    renumber(others)
    return record_event(board=board, type="lane.deleted", payload={"lane": lane_id, "title": title, "cards": cards},
                        actor=actor, origin=origin)


def apply_lane_history(*, board, entry, actor, connection, origin, undo):
    """
    Lanes have no version: a lane to rename back must have the title the
    change gave it, a lane to delete again must be empty (or the only one),
    and a lane brought back takes every card only if the board has no lanes.
    """
    showing = entry.action == Action.CREATE
    if entry.action in (Action.CREATE, Action.DELETE) and showing == undo:
        lane = get_lane(board=board, lane_id=entry.object_id)
        state = {"title": lane.title, "index": ordered_lanes(board).index(lane), "last": Lane.objects.filter(board=board).count() == 1}
        if showing:  # what its redo brings back: the lane as it is now
            entry.after = {"title": state["title"], "index": state["index"], "first": state["last"]}
        else:
            entry.before = state
        return remove(board=board, lane=lane, lanes=ordered_lanes(board), actor=actor, origin=origin).payload
    if entry.action in (Action.CREATE, Action.DELETE):
        state = entry.after if showing else entry.before
        if Lane.objects.filter(pk=entry.object_id).exists():
            raise ActionError("conflict", "That lane is already on the board.", lane=entry.object_id)
        lanes = ordered_lanes(board)
        if len(lanes) >= MAX_LANES_PER_BOARD:
            raise ActionError("too_many", f"A board has at most {MAX_LANES_PER_BOARD} lanes.")
        lane = Lane.objects.create(pk=entry.object_id, board=board, title=state["title"])
        index = min(state["index"], len(lanes))
        lanes.insert(index, lane)
        renumber(lanes)
        cards = take_every_card(board=board, lane=lane) if len(lanes) == 1 else []
        return created_event(board=board, lane=lane, index=index, cards=cards, actor=actor, origin=origin).payload
    lane = get_lane(board=board, lane_id=entry.object_id)
    left, wanted = (entry.after, entry.before) if undo else (entry.before, entry.after)
    if entry.action == Action.UPDATE:
        if lane.title != left["title"]:
            raise ActionError("conflict", "The lane was renamed by someone else since.", lane=lane.pk)
        before = lane.title
        lane.title = wanted["title"]
        lane.save(update_fields=["title"])
        return updated_event(board=board, lane=lane, before=before, actor=actor, origin=origin).payload
    if ordered_lanes(board).index(lane) != left["index"]:
        raise ActionError("conflict", "The lanes were reordered by someone else since.", lane=lane.pk)
    event, _ = move(board=board, lane=lane, index=wanted["index"], actor=actor, origin=origin)
    return event.payload
