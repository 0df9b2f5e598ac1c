"""
The whiteboard's client messages, one schema per message type.

Each `parse_*` takes a decoded frame and returns the validated, normalised
values, or raises ActionError with a stable code; the Whiteboard section of docs/protocol.md
lists every field, bound and code. Coordinates are in board fractions: 0..1
on both axes is the first sheet of BOARD_WIDTH x BOARD_HEIGHT board pixels
(the unit of `width`), where every board drawn before the canvas grew lies;
the canvas goes on past it on every side to MIN_COORDINATE..MAX_COORDINATE.
"""

import math
import re
from dataclasses import dataclass

from boardsite.collab.errors import ActionError
from boardsite.collab.protocol import allowed_keys, int_field, number_field, str_field
from whiteboard.models import ATTACHED_ENDS, FREEHAND_TOOLS, LINE_TOOLS, SHAPE_TOOLS, TEXT_TOOLS, Tool

BOARD_WIDTH = 1920
BOARD_HEIGHT = 1200
# A hundred sheets on every side of the first: 384,000 x 240,000 board
# pixels, more than anyone pans across, and still exact in the packed points.
MIN_COORDINATE = -100
MAX_COORDINATE = 101
MAX_POINTS_PER_MESSAGE = 256
MAX_POINTS_PER_STROKE = 20_000
MIN_WIDTH = 0.5
MAX_WIDTH = 96
MAX_ERASE_IDS = 500
MAX_MOVE_IDS = 1000
MAX_SEQ = 2**53 - 1  # what a JavaScript number holds exactly
USERNAME_MAX_LENGTH = 150
COORDINATE_DECIMALS = 4  # 1/10000 of the board: a fifth of a board pixel
PRESSURE_DECIMALS = 3

MAX_TEXT_LENGTH = 5000
MIN_FONT_SIZE = 8
MAX_FONT_SIZE = 400
MIN_OPACITY = 0.1
DASHES = ("solid", "dashed", "dotted")
ARROWHEADS = ("end", "both")
ALIGNMENTS = ("left", "center", "right")
DEFAULT_NOTE_FILL = "#fff3bf"
HOLD_REASONS = ("move", "resize", "edit")
MAX_SCALE = 100  # a transform scales by at most this much, and by at least its inverse
ANGLE_DECIMALS = 6
SCALE_DECIMALS = 6
ORDER_PLACES = ("front", "back")

STROKE_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,40}")
COLOR_PATTERN = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class StrokeChunk:
    stroke_id: str
    chunk: int | None  # None: append after the last stored chunk (no re-send detection)
    tool: str
    color: str
    width: float
    points: list


@dataclass(frozen=True)
class Shape:
    stroke_id: str
    tool: str
    color: str
    width: float
    points: list  # [from, to]
    props: dict  # fill, opacity, dash, heads: only those other than the defaults


@dataclass(frozen=True)
class Text:
    stroke_id: str
    tool: str  # text or note
    color: str
    points: list  # the box the client laid the text out in: [top-left, bottom-right]
    props: dict  # text, size, align (and a note's fill)


def stroke_id_field(value, name="id"):
    if not isinstance(value, str) or not STROKE_ID_PATTERN.fullmatch(value):
        raise ActionError("invalid_id", f"`{name}` must be 1 to 40 letters, digits, “-” or “_”.")
    return value


def color_field(message, name="color"):
    value = message.get(name)
    if not isinstance(value, str) or not COLOR_PATTERN.fullmatch(value):
        raise ActionError("invalid_color", f"`{name}` must be a colour written #rrggbb.")
    return value.lower()


def choice_field(message, name, choices, *, default):
    value = message.get(name, default)
    if value not in choices:
        raise ActionError("invalid_field", f"`{name}` must be one of: {', '.join(choices)}.")
    return value


def width_field(message):
    return float(number_field(message, "width", minimum=MIN_WIDTH, maximum=MAX_WIDTH))


def _coordinate(value, *, what, minimum=MIN_COORDINATE, maximum=MAX_COORDINATE):
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ActionError("invalid_points", f"Each {what} must be a number.")
    if not math.isfinite(value):
        raise ActionError("invalid_points", f"Each {what} must be a finite number.")
    if not minimum <= value <= maximum:
        raise ActionError("out_of_range", f"Each {what} must be between {minimum} and {maximum}.")
    return value


def point_field(value):
    """[x, y] or [x, y, pressure], rounded to what a screen can show: x and y on the canvas, pressure 0..1."""
    if not isinstance(value, list) or len(value) not in (2, 3):
        raise ActionError("invalid_points", "Each point must be [x, y] or [x, y, pressure].")
    x = round(_coordinate(value[0], what="coordinate"), COORDINATE_DECIMALS)
    y = round(_coordinate(value[1], what="coordinate"), COORDINATE_DECIMALS)
    if len(value) == 3:
        return [x, y, round(_coordinate(value[2], what="pressure", minimum=0, maximum=1), PRESSURE_DECIMALS)]
    return [x, y]


def points_field(message, *, minimum=1, maximum=MAX_POINTS_PER_MESSAGE):
    value = message.get("points")
    if not isinstance(value, list):
        raise ActionError("invalid_points", "`points` must be a list of [x, y] points.")
    if len(value) > maximum:
        raise ActionError("too_many_points", f"Send at most {maximum} points in one message.", limit=maximum)
    if len(value) < minimum:
        raise ActionError("invalid_points", f"`points` needs at least {minimum} point(s).")
    return [point_field(point) for point in value]


def parse_stroke(message):
    allowed_keys(message, ["id", "chunk", "tool", "color", "width", "points"])
    tool = message.get("tool", "pen")
    if tool not in FREEHAND_TOOLS:
        raise ActionError("invalid_tool", f"`tool` must be one of: {', '.join(FREEHAND_TOOLS)}.")
    return StrokeChunk(
        stroke_id=stroke_id_field(message.get("id")),
        chunk=int_field(message, "chunk", minimum=0, maximum=MAX_POINTS_PER_STROKE, required=False),
        tool=tool,
        color=color_field(message),
        width=width_field(message),
        points=points_field(message),
    )


def two_points_field(message, *, what):
    if isinstance(message.get("points"), list) and len(message["points"]) != 2:
        raise ActionError("invalid_points", f"{what} needs exactly two points: two opposite corners.")
    return [point[:2] for point in points_field(message)]


def parse_shape(message):
    """A line, arrow, rectangle, ellipse or diamond; `props` holds only what differs from the defaults."""
    allowed_keys(
        message, ["id", "shape", "color", "width", "points", "fill", "opacity", "dash", "heads", "angle", "start", "end"]
    )
    tool = message.get("shape")
    if tool not in SHAPE_TOOLS:
        raise ActionError("invalid_tool", f"`shape` must be one of: {', '.join(SHAPE_TOOLS)}.")
    props = {}
    if message.get("fill") is not None:
        if tool in LINE_TOOLS:
            raise ActionError("invalid_field", "A line or arrow has no `fill`.")
        props["fill"] = color_field(message, "fill")
    if message.get("opacity") is not None:
        opacity = round(number_field(message, "opacity", minimum=MIN_OPACITY, maximum=1), 2)
        if opacity < 1:
            props["opacity"] = opacity
    if choice_field(message, "dash", DASHES, default="solid") != "solid":
        props["dash"] = message["dash"]
    if "heads" in message:
        if tool != Tool.ARROW:
            raise ActionError("invalid_field", "Only an arrow has `heads`.")
        if choice_field(message, "heads", ARROWHEADS, default="end") != "end":
            props["heads"] = message["heads"]
    if tool not in LINE_TOOLS:
        props.update(angle_props(message))
    elif "angle" in message:
        raise ActionError("invalid_field", "A line or arrow turns with its ends: it has no `angle`.")
    for end in ATTACHED_ENDS:
        if message.get(end) is None:
            continue
        if tool not in LINE_TOOLS:
            raise ActionError("invalid_field", f"Only a line or an arrow has a `{end}` attached to an element.")
        props[end] = binding_field(message, end)
    return Shape(
        stroke_id=stroke_id_field(message.get("id")),
        tool=tool,
        color=color_field(message),
        width=width_field(message),
        points=two_points_field(message, what="A shape"),
        props=props,
    )


def binding_field(message, name):
    """
    `start` or `end` of a line or arrow attached to an element: {"id": the
    element's id, "x", "y": where on it, fractions (0..1) of its box as if unturned}.
    """
    value = message.get(name)
    if not isinstance(value, dict):
        raise ActionError("invalid_field", f"`{name}` must be an object with `id`, `x` and `y`.")
    allowed_keys(value, ["id", "x", "y"])
    return {
        "id": stroke_id_field(value.get("id"), f"{name}.id"),
        "x": round(number_field(value, "x", minimum=0, maximum=1), COORDINATE_DECIMALS),
        "y": round(number_field(value, "y", minimum=0, maximum=1), COORDINATE_DECIMALS),
    }


def angle_field(message, name="angle"):
    """An angle in radians, in -π..π."""
    return round(number_field(message, name, minimum=-math.pi, maximum=math.pi), ANGLE_DECIMALS)


def angle_props(message):
    """A box's `angle` (radians, about its centre, clockwise on screen), kept in its props only if it turns it."""
    if message.get("angle") is None:
        return {}
    angle = angle_field(message)
    return {"angle": angle} if angle else {}


def text_props(message):
    """A text's words, size and alignment, as a `text` or `edit` message gives them."""
    return {
        "text": str_field(message, "text", max_length=MAX_TEXT_LENGTH, multiline=True),
        "size": round(number_field(message, "size", minimum=MIN_FONT_SIZE, maximum=MAX_FONT_SIZE), 1),
        "align": choice_field(message, "align", ALIGNMENTS, default="left"),
    }


def parse_text(message):
    """A text or sticky note: its words, laid out by the client in the box `points`."""
    allowed_keys(message, ["id", "kind", "color", "points", "text", "size", "align", "fill", "angle"])
    tool = message.get("kind")
    if tool not in TEXT_TOOLS:
        raise ActionError("invalid_tool", f"`kind` must be one of: {', '.join(TEXT_TOOLS)}.")
    props = text_props(message)
    if tool == Tool.NOTE:
        props["fill"] = DEFAULT_NOTE_FILL if message.get("fill") is None else color_field(message, "fill")
    elif message.get("fill") is not None:
        raise ActionError("invalid_field", "Only a sticky note has `fill`.")
    props.update(angle_props(message))
    return Text(
        stroke_id=stroke_id_field(message.get("id")),
        tool=tool,
        color=color_field(message),
        points=two_points_field(message, what="A text"),
        props=props,
    )


def ids_field(message, *, limit, what, too_many):
    """`ids`: a non-empty list of `what` ids, at most `limit` (`too_many` says so), without repeats, in the order given."""
    ids = message.get("ids")
    if not isinstance(ids, list) or not ids:
        raise ActionError("invalid_field", f"`ids` must be a non-empty list of {what} ids.")
    if len(ids) > limit:
        raise ActionError("too_many_ids", too_many, limit=limit)
    return list(dict.fromkeys(stroke_id_field(stroke_id, "ids") for stroke_id in ids))


def offset_field(message, name):
    """How far (`dx` or `dy`), in board fractions: at most across the whole canvas."""
    span = MAX_COORDINATE - MIN_COORDINATE
    return round(number_field(message, name, minimum=-span, maximum=span), COORDINATE_DECIMALS)


def parse_export_ids(text):
    """The `ids` of a selection exported as SVG: element ids, comma-separated, up to MAX_MOVE_IDS."""
    if not isinstance(text, str) or len(text) > MAX_MOVE_IDS * 41:
        raise ActionError("too_many_ids", f"Export at most {MAX_MOVE_IDS} elements at once.", limit=MAX_MOVE_IDS)
    return ids_field(
        {"ids": text.split(",") if text else []}, limit=MAX_MOVE_IDS, what="element",
        too_many=f"Export at most {MAX_MOVE_IDS} elements at once.",
    )


def parse_erase(message):
    """A list of stroke ids, without repeats, in the order given."""
    allowed_keys(message, ["ids"])
    return ids_field(
        message, limit=MAX_ERASE_IDS, what="stroke", too_many=f"Erase at most {MAX_ERASE_IDS} strokes in one message."
    )


@dataclass(frozen=True)
class PlacedImage:
    stroke_id: str
    image_id: int
    points: list  # the box it is drawn in: two corners
    angle: float = 0  # turned about its centre


def parse_image(message):
    """`image`: one of the board's uploaded pictures, placed in a box."""
    allowed_keys(message, ["id", "image", "points", "angle"])
    return PlacedImage(
        stroke_id=stroke_id_field(message.get("id")),
        image_id=int_field(message, "image", minimum=1, maximum=MAX_SEQ),
        points=two_points_field(message, what="An image"),
        angle=angle_props(message).get("angle", 0),
    )


@dataclass(frozen=True)
class Edit:
    edit_id: str
    stroke_id: str
    version: int
    color: str
    points: list  # the new box, where the element is drawn (its offset included)
    props: dict  # text, size, align, and fill (a note's; None to keep it)


def parse_edit(message):
    """`edit`: new words (size, alignment, colours, box) for a text or note, and the version they change."""
    allowed_keys(message, ["id", "element", "version", "color", "points", "text", "size", "align", "fill"])
    props = text_props(message)
    props["fill"] = None if message.get("fill") is None else color_field(message, "fill")
    return Edit(
        edit_id=stroke_id_field(message.get("id")),
        stroke_id=stroke_id_field(message.get("element"), "element"),
        version=int_field(message, "version", minimum=0, maximum=MAX_SEQ),
        color=color_field(message),
        points=two_points_field(message, what="A text"),
        props=props,
    )


@dataclass(frozen=True)
class Move:
    move_id: str
    stroke_ids: list
    dx: float
    dy: float


def parse_move(message):
    """`move`: its own id (so a re-sent move changes nothing), the elements, and how far, in board fractions."""
    allowed_keys(message, ["id", "ids", "dx", "dy"])
    stroke_ids = ids_field(
        message, limit=MAX_MOVE_IDS, what="element", too_many=f"Move at most {MAX_MOVE_IDS} elements in one message."
    )
    dx, dy = offset_field(message, "dx"), offset_field(message, "dy")
    if dx == 0 and dy == 0:
        raise ActionError("invalid_field", "A move must go somewhere: `dx` or `dy` must not be 0.")
    return Move(move_id=stroke_id_field(message.get("id")), stroke_ids=stroke_ids, dx=dx, dy=dy)


@dataclass(frozen=True)
class Transform:
    transform_id: str
    stroke_ids: list
    origin: tuple  # (x, y) in board fractions: the point that stays put
    sx: float  # scale along the board's x axis (negative: mirrored)
    sy: float
    angle: float  # then turned by this (radians, clockwise on screen) about `origin`


def scale_field(message, name):
    """A scale factor: 1 when absent, between 1/MAX_SCALE and MAX_SCALE either way round (negative mirrors)."""
    if message.get(name) is None:
        return 1.0
    value = round(number_field(message, name, minimum=-MAX_SCALE, maximum=MAX_SCALE), SCALE_DECIMALS)
    if abs(value) < 1 / MAX_SCALE:
        raise ActionError("out_of_range", f"`{name}` must be at least 1/{MAX_SCALE} either way round.")
    return float(value)


def parse_transform(message):
    """
    `transform`: resize and turn elements about a point, as one change:
    each point p goes to origin + turn(angle) · scale(sx, sy) · (p − origin), in board pixels.
    """
    allowed_keys(message, ["id", "ids", "x", "y", "sx", "sy", "angle"])
    stroke_ids = ids_field(
        message, limit=MAX_MOVE_IDS, what="element", too_many=f"Transform at most {MAX_MOVE_IDS} elements at once."
    )
    origin = tuple(
        round(number_field(message, name, minimum=MIN_COORDINATE, maximum=MAX_COORDINATE), COORDINATE_DECIMALS)
        for name in ("x", "y")
    )
    sx, sy = scale_field(message, "sx"), scale_field(message, "sy")
    angle = 0.0 if message.get("angle") is None else float(angle_field(message))
    if (sx, sy, angle) == (1, 1, 0):
        raise ActionError("invalid_field", "A transform must change something: give `sx`, `sy` or `angle`.")
    return Transform(
        transform_id=stroke_id_field(message.get("id")), stroke_ids=stroke_ids, origin=origin, sx=sx, sy=sy, angle=angle
    )


@dataclass(frozen=True)
class Order:
    order_id: str
    stroke_ids: list
    place: str  # "front" or "back"


def parse_order(message):
    """`order`: put elements in front of every other (`front`) or behind them (`back`), keeping their own order."""
    allowed_keys(message, ["id", "ids", "place"])
    stroke_ids = ids_field(
        message, limit=MAX_MOVE_IDS, what="element", too_many=f"Reorder at most {MAX_MOVE_IDS} elements at once."
    )
    return Order(
        order_id=stroke_id_field(message.get("id")), stroke_ids=stroke_ids,
        place=choice_field(message, "place", ORDER_PLACES, default=None),
    )


@dataclass(frozen=True)
class Hold:
    stroke_ids: list
    reason: str  # "move", "resize" or "edit": what the others are told the holder is doing


def parse_hold(message):
    """`hold`: the elements this connection is about to move or edit (up to MAX_MOVE_IDS)."""
    allowed_keys(message, ["ids", "reason"])
    return Hold(
        stroke_ids=ids_field(
            message, limit=MAX_MOVE_IDS, what="element", too_many=f"Hold at most {MAX_MOVE_IDS} elements at once."
        ),
        reason=choice_field(message, "reason", HOLD_REASONS, default="move"),
    )


def parse_drag(message):
    """
    `drag`: where this connection is dragging what it holds, so far (not
    stored): moved by (`dx`, `dy`) board fractions, or resized and turned
    about (`x`, `y`) as a `transform` would (`sx`, `sy`, `angle`).
    Returns the fields to relay.
    """
    allowed_keys(message, ["dx", "dy", "x", "y", "sx", "sy", "angle"])
    if "x" not in message and "y" not in message:
        return {"dx": offset_field(message, "dx"), "dy": offset_field(message, "dy")}
    if "dx" in message or "dy" in message:
        raise ActionError("invalid_field", "A drag either moves (`dx`, `dy`) or transforms (`x`, `y`, ...), not both.")
    return {
        "x": round(number_field(message, "x", minimum=MIN_COORDINATE, maximum=MAX_COORDINATE), COORDINATE_DECIMALS),
        "y": round(number_field(message, "y", minimum=MIN_COORDINATE, maximum=MAX_COORDINATE), COORDINATE_DECIMALS),
        "sx": scale_field(message, "sx"),
        "sy": scale_field(message, "sy"),
        "angle": 0.0 if message.get("angle") is None else float(angle_field(message)),
    }


def parse_no_fields(message):
    """`clear`, `undo`, `redo` and `release` carry nothing but their `ref`."""
    allowed_keys(message, [])


def parse_cursor(message):
    """(x, y) on the board, or None when the pointer left it."""
    allowed_keys(message, ["x", "y"])
    if message.get("x") is None and message.get("y") is None:
        return None
    return (
        round(number_field(message, "x", minimum=MIN_COORDINATE, maximum=MAX_COORDINATE), COORDINATE_DECIMALS),
        round(number_field(message, "y", minimum=MIN_COORDINATE, maximum=MAX_COORDINATE), COORDINATE_DECIMALS),
    )


def parse_view(message):
    """`view`: the part of the canvas a page shows, (x1, y1, x2, y2) in board fractions (not stored)."""
    allowed_keys(message, ["x1", "y1", "x2", "y2"])
    corners = tuple(
        round(number_field(message, name, minimum=MIN_COORDINATE, maximum=MAX_COORDINATE), COORDINATE_DECIMALS)
        for name in ("x1", "y1", "x2", "y2")
    )
    if corners[2] <= corners[0] or corners[3] <= corners[1]:
        raise ActionError("invalid_field", "A view's second corner must be right of and below its first.")
    return corners


def parse_restore(message):
    """`restore`: the seq whose board to bring back (0: the empty board)."""
    allowed_keys(message, ["to_seq"])
    return int_field(message, "to_seq", minimum=0, maximum=MAX_SEQ)


@dataclass(frozen=True)
class Revert:
    username: str
    after_seq: int


def parse_revert(message):
    """`revert`: whose changes to take back, and after which seq."""
    allowed_keys(message, ["user", "after_seq"])
    return Revert(
        username=str_field(message, "user", max_length=USERNAME_MAX_LENGTH),
        after_seq=int_field(message, "after_seq", minimum=0, maximum=MAX_SEQ),
    )
