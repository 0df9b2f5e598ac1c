"""
Resizing, turning and reordering elements.

Each rewrites the elements' stored state ({color, props, points}) through
services.elements_rewrite, as a text's edit does: ElementEdit rows and one
step its author can undo, so undo, redo, restore, revert by author, the
time-lapse and the exports follow them with no code of their own. The
server works out every element's new state and the event carries it, so
every client ends with the same numbers, whatever its floating point.

A transform maps each point p, in board pixels (where the board is drawn,
so a turn is a turn and not a skew), to origin + turn(angle) · scale(sx, sy)
· (p − origin). A freehand stroke, line or arrow has each of its points
mapped. A box (rectangle, ellipse, diamond, text, note, image) stays a box:
its centre is mapped, its sides are scaled as its own axes are, and the
`angle` in its props turns it about its centre. A text's size scales with
its box, evenly, so its lines still fit it.

An order gives each element a `z` in its props, the key it is drawn by
(an element without one is drawn at its created seq): in front of every
element of the board, or behind them all, keeping their own order.
"""

import math

from django.db import transaction
from django.db.models import Max, Min

from boardsite.collab.errors import ActionError
from boardsite.collab.events import Applied
from whiteboard import stored_visibility
from whiteboard.geometry import box_corners
from whiteboard.models import BOX_TOOLS, TEXT_TOOLS, Stroke
from whiteboard.protocol import (
    ANGLE_DECIMALS, BOARD_HEIGHT, BOARD_WIDTH, COORDINATE_DECIMALS, MAX_COORDINATE, MAX_FONT_SIZE, MIN_COORDINATE, MIN_FONT_SIZE,
)
from whiteboard.replay import draw_key
from whiteboard.services import check_not_held, element_state, elements_rewrite, lock_board, rewrite_done

# What one transform may rewrite: its event carries every new point.
MAX_TRANSFORM_POINTS = 50_000
MIN_BOX_PX = 1  # a box scaled smaller keeps this much of each side
Z_DECIMALS = 6


class Affine:
    """p ↦ origin + turn(angle) · scale(sx, sy) · (p − origin), on points in board pixels."""

    def __init__(self, *, origin, sx, sy, angle):
        self.ox, self.oy = origin[0] * BOARD_WIDTH, origin[1] * BOARD_HEIGHT
        self.sx, self.sy, self.angle = sx, sy, angle
        self.cos, self.sin = math.cos(angle), math.sin(angle)

    def pixel(self, px, py):
        x, y = (px - self.ox) * self.sx, (py - self.oy) * self.sy
        return self.ox + x * self.cos - y * self.sin, self.oy + x * self.sin + y * self.cos

    def point(self, x, y):
        """A point in board fractions, mapped, in board fractions."""
        px, py = self.pixel(x * BOARD_WIDTH, y * BOARD_HEIGHT)
        return px / BOARD_WIDTH, py / BOARD_HEIGHT

    def axis_scale(self, angle):
        """How much the transform stretches a direction at `angle` (radians, in board pixels)."""
        return math.hypot(self.sx * math.cos(angle), self.sy * math.sin(angle))

    @property
    def mirrors(self):
        return (self.sx < 0) != (self.sy < 0)


def _coordinate(value):
    return round(value, COORDINATE_DECIMALS) + 0.0


def _turned(angle):
    """An angle in -π..π, as the protocol keeps it; none left by turns that add up to whole ones."""
    turned = round(math.remainder(angle, 2 * math.pi), ANGLE_DECIMALS)
    return 0.0 if abs(turned) < 10**-(ANGLE_DECIMALS - 1) else turned


def transformed_state(stroke, affine):
    """
    The {color, props, points} `stroke` has after `affine` (points without
    its offset, as stored): see the module's docstring.
    """
    state = element_state(stroke)
    points, props = state["points"], dict(state["props"])
    dx, dy = stroke.offset_x, stroke.offset_y
    if stroke.tool not in BOX_TOOLS:
        moved = []
        for point in points:
            x, y = affine.point(point[0] + dx, point[1] + dy)
            moved.append([_coordinate(x - dx), _coordinate(y - dy), *point[2:]])
        return {**state, "points": moved}
    (x1, y1), (x2, y2) = points
    angle = props.get("angle", 0)
    width, height = abs(x2 - x1) * BOARD_WIDTH, abs(y2 - y1) * BOARD_HEIGHT
    width *= affine.axis_scale(angle)
    height *= affine.axis_scale(angle + math.pi / 2)
    if stroke.tool in TEXT_TOOLS:  # evenly, so that its lines fit its box at its new size
        old_width, old_height = abs(x2 - x1) * BOARD_WIDTH, abs(y2 - y1) * BOARD_HEIGHT
        even = math.sqrt(width * height / (old_width * old_height)) if old_width and old_height else 1
        size = min(MAX_FONT_SIZE, max(MIN_FONT_SIZE, round(props["size"] * even, 1)))
        even = size / props["size"]
        props["size"] = size
        width, height = old_width * even, old_height * even
    width, height = max(width, MIN_BOX_PX), max(height, MIN_BOX_PX)
    cx, cy = affine.point((x1 + x2) / 2 + dx, (y1 + y2) / 2 + dy)
    half_x, half_y = width / 2 / BOARD_WIDTH, height / 2 / BOARD_HEIGHT
    new_angle = _turned((-angle if affine.mirrors else angle) + affine.angle)
    if new_angle:
        props["angle"] = new_angle
    else:
        props.pop("angle", None)
    box = [
        [_coordinate(cx - half_x - dx), _coordinate(cy - half_y - dy)],
        [_coordinate(cx + half_x - dx), _coordinate(cy + half_y - dy)],
    ]
    return {**state, "props": props, "points": box}


def _check_on_canvas(stroke, state):
    """Refuse a transform that would take the element past the canvas's edges."""
    points = state["points"]
    angle = state["props"].get("angle") if stroke.tool in BOX_TOOLS else None
    for x, y in (box_corners(points, angle) if angle else (point[:2] for point in points)):
        x, y = x + stroke.offset_x, y + stroke.offset_y
        if not (MIN_COORDINATE <= x <= MAX_COORDINATE and MIN_COORDINATE <= y <= MAX_COORDINATE):
            raise ActionError("out_of_range", "That would take them past the canvas's edges.", id=stroke.client_id)


def _visible_elements(*, board, stroke_ids, connection):
    """The elements of `stroke_ids` still on the board, in drawing order; refused if none is, or one is held."""
    elements = list(Stroke.objects.filter(board=board, client_id__in=stroke_ids))
    gone = stored_visibility.hidden_among(board=board, strokes=elements)
    elements = [element for element in elements if element.client_id not in gone]
    if not elements:
        raise ActionError("nothing_to_change", "Those elements were erased or undone meanwhile.")
    check_not_held(board=board, stroke_ids=[element.client_id for element in elements], connection=connection)
    return sorted(elements, key=lambda element: draw_key(element.created_seq, element.props))


@transaction.atomic
def elements_transform(*, board, actor, transform_id, stroke_ids, origin_point, sx, sy, angle, connection="", origin=None):
    """
    Resize and turn the given elements still on the board (anyone's) about
    `origin_point` (board fractions), as one event and one step their
    author can undo. Refused whole if one would leave the canvas, if one is
    held by another connection, or past MAX_TRANSFORM_POINTS; re-sent with
    the same id it changes nothing.
    """
    lock_board(board, actor=actor, origin=origin)
    done = rewrite_done(board=board, actor=actor, change_id=transform_id)
    if done is not None:
        return done
    elements = _visible_elements(board=board, stroke_ids=stroke_ids, connection=connection)
    if sum(element.point_count for element in elements) > MAX_TRANSFORM_POINTS:
        raise ActionError(
            "too_many_points", f"Resize or turn at most {MAX_TRANSFORM_POINTS:,} points at once: select fewer elements.",
            limit=MAX_TRANSFORM_POINTS,
        )
    affine = Affine(origin=origin_point, sx=sx, sy=sy, angle=angle)
    edits = []
    for element in elements:
        after = transformed_state(element, affine)
        _check_on_canvas(element, after)
        edits.append([element.client_id, element_state(element), after])
    event = elements_rewrite(
        board=board, actor=actor, change_id=transform_id, event_type="transform", edits=edits, origin=origin
    )
    return Applied(seq=event.seq, details={"edits": event.payload["edits"]})


def _board_keys(board):
    """The lowest and highest drawing keys on the board (draw_key), hidden elements included."""
    seqs = Stroke.objects.filter(board=board).aggregate(low=Min("created_seq"), high=Max("created_seq"))
    keys = [value for value in seqs.values() if value is not None]
    keys += Stroke.objects.filter(board=board, props__has_key="z").values_list("props__z", flat=True)
    return min(keys), max(keys)


@transaction.atomic
def elements_order(*, board, actor, order_id, stroke_ids, place, connection="", origin=None):
    """
    Put the given elements still on the board in front of every element of
    the board (`place` "front") or behind them all ("back"), keeping their
    own order: one event and one step their author can undo. Elements drawn
    later still go in front of them.
    """
    lock_board(board, actor=actor, origin=origin)
    done = rewrite_done(board=board, actor=actor, change_id=order_id)
    if done is not None:
        return done
    elements = _visible_elements(board=board, stroke_ids=stroke_ids, connection=connection)
    low, high = _board_keys(board)
    base = high + 1 if place == "front" else low - 1
    edits = []
    for index, element in enumerate(elements):
        before = element_state(element)
        z = round(base + index / len(elements), Z_DECIMALS)
        edits.append([element.client_id, before, {**before, "props": {**before["props"], "z": z}}])
    event = elements_rewrite(
        board=board, actor=actor, change_id=order_id, event_type="order", edits=edits, details={"place": place},
        origin=origin,
    )
    return Applied(seq=event.seq, details={"edits": event.payload["edits"]})
