"""
How a stroke is drawn: the one definition that the page (geometry.js, which
mirrors this module) and the SVG export share, so that the screen, the
page's PNG and the server's SVG agree to a pixel.

A freehand stroke is its centre line stroked `width` wide with round caps
and joins: quadratic curves through the midpoints between its points, each
point the control of its curve, then straight to the last point, so the
line ends where the pen was lifted. A pen stroke with pressure (a stylus) is
cut into runs of points drawn at the same width, `width` x (0.5 + pressure)
in steps of an eighth; each run is a line of its own, starting at the point
where the one before ends, so they join without a gap. Shapes are SVG's own
line, rectangle and ellipse, a diamond through the middles of its box's
sides, and an arrow: a line with an open head (always solid) of two strokes ARROWHEAD_ANGLE
either side of it, ARROWHEAD_LENGTH x width long (at least
ARROWHEAD_MIN_LENGTH, at most half the arrow). A shape's fill is drawn under
its outline; its opacity applies to each of them; a dashed or dotted outline
repeats DASHES x width.

An image is stretched over its box (the page keeps its proportions when it
places it).

A text or sticky note is laid out by the page that wrote it, which sends the
box it measured: its lines are the text's lines (no wrapping), in FONT_FAMILY
at its size, LINE_HEIGHT x size apart, the first baseline one size below the
top of the box (plus a note's NOTE_PADDING), aligned left, centre or right
within it. A note is its box filled, with corners NOTE_RADIUS round.

A box (a rectangle, ellipse, diamond, text, note or image) with an `angle`
is drawn unturned, then turned by it about its box's centre, in board
pixels. An end of a line or arrow attached to an element is drawn where
that element is now, stopping short of its outline (attached_ends).

The SVG writes coordinates in half board pixels (the drawing sits in a
`scale(.5)` group), rounded to whole pixels: midpoints are then whole
numbers too, and every relative step is exact, so no error accumulates
along a stroke and the path data stays short. In path data the midpoint
curves are one `q` and then `t`s: the control of each next curve is the
reflection of the one before about the midpoint they share, which is the
next point.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import repeat
from operator import mul, sub

import math

from django.utils.html import escape

from whiteboard.models import BOX_TOOLS, Tool
from whiteboard.protocol import BOARD_HEIGHT, BOARD_WIDTH

HIGHLIGHTER_OPACITY = 0.45
ARROWHEAD_ANGLE = 0.5  # radians either side of the shaft
ARROWHEAD_LENGTH = 3
ARROWHEAD_MIN_LENGTH = 12
DASHES = {"dashed": (4, 3), "dotted": (0, 2)}  # dash and gap, in widths
FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
LINE_HEIGHT = 1.25
NOTE_PADDING = 16
NOTE_RADIUS = 6
PRESSURE_STEPS = 8  # a pressure stroke's widths are `width` x a multiple of 1/8


def pressure_step(pressure):
    """The width of a pen at `pressure` (0..1, None: none) in eighths of `width`: 4 to 12, 8 without."""
    if pressure is None or pressure < 0:
        return PRESSURE_STEPS
    return round((0.5 + pressure) * PRESSURE_STEPS)


def stroke_runs(*, tool, width, count, pressures=None):
    """
    The lines a freehand stroke of `count` points is drawn as: [(width,
    start, stop)], the points[start:stop] of each. One line for the whole
    stroke unless a pen has pressure; `pressures` None means no point has.
    """
    if tool != Tool.PEN or pressures is None:
        return [(width, 0, count)]
    steps = [pressure_step(pressure) for pressure in pressures]
    runs = []
    start = 0
    for index in range(1, len(steps)):
        if steps[index] != steps[start]:
            runs.append((width * steps[start] / PRESSURE_STEPS, start, index + 1))
            start = index
    if start < len(steps) - 1 or not runs:
        runs.append((width * steps[start] / PRESSURE_STEPS, start, len(steps)))
    return runs


def whole_pixels(values, scale):
    """Coordinates (board fractions, or 1/10,000 of the board with `scale` to match) as whole board pixels."""
    return list(map(round, map(mul, values, repeat(scale))))


def _numbers(values):
    return " ".join(map(str, values)).replace(" -", "-")


def centerline_path_data(xs, ys):
    """
    Path data of the centre line through the points (xs[i], ys[i]), whole
    board pixels, written in half pixels: `M` the first point, a `q` to the
    first midpoint, `t`s through the later midpoints, an `l` to the last
    point. One point is a dot. In half pixels a midpoint is x[i] + x[i+1],
    so the step from one midpoint to the next is x[i+1] - x[i-1]: every
    number is worked out from the whole pixels with no rounding.
    """
    start = f"M{2 * xs[0]} {2 * ys[0]}".replace(" -", "-")
    if len(xs) == 1:
        return start + "l0 0"
    if len(xs) == 2:
        return f"{start}l{_numbers((2 * (xs[1] - xs[0]), 2 * (ys[1] - ys[0])))}"
    curve = _numbers((2 * (xs[1] - xs[0]), 2 * (ys[1] - ys[0]), xs[1] + xs[2] - 2 * xs[0], ys[1] + ys[2] - 2 * ys[0]))
    steps = [0] * (2 * (len(xs) - 3))
    steps[0::2] = map(sub, xs[3:], xs[1:-2])
    steps[1::2] = map(sub, ys[3:], ys[1:-2])
    smooth = f"t{_numbers(steps)}" if steps else ""
    return f"{start}q{curve}{smooth}l{_numbers((xs[-1] - xs[-2], ys[-1] - ys[-2]))}"


def _number(value):
    return f"{value:.1f}".rstrip("0").rstrip(".")


CORNER_DECIMALS = 6


def box_corners(points, angle):
    """
    The four corners of a box (two opposite corners, board fractions) turned
    by `angle` about its centre: turned in board pixels, where it is drawn;
    to 6 decimals, so that a quarter turn lands on whole pixels (geometry.js
    rounds them alike).
    """
    (x1, y1), (x2, y2) = (point[:2] for point in points)
    cx, cy = (x1 + x2) / 2 * BOARD_WIDTH, (y1 + y2) / 2 * BOARD_HEIGHT
    cos, sin = math.cos(angle), math.sin(angle)
    corners = []
    for x, y in ((x1, y1), (x2, y1), (x2, y2), (x1, y2)):
        px, py = x * BOARD_WIDTH - cx, y * BOARD_HEIGHT - cy
        corners.append((
            round((cx + px * cos - py * sin) / BOARD_WIDTH, CORNER_DECIMALS),
            round((cy + px * sin + py * cos) / BOARD_HEIGHT, CORNER_DECIMALS),
        ))
    return corners


def element_extent(tool, points, props):
    """(min x, min y, max x, max y) of an element's points in board fractions; a turned box's turned corners'."""
    angle = props.get("angle") if tool in BOX_TOOLS else None
    points = box_corners(points, angle) if angle else points
    xs, ys = [point[0] for point in points], [point[1] for point in points]
    return min(xs), min(ys), max(xs), max(ys)


# How far short of an element's outline an attached end stops, in board pixels.
ATTACH_GAP = 4


def attached_point(tool, points, props, anchor):
    """
    Where the end of a line or arrow attached to an element is anchored
    (board fractions): at `anchor` ({"x", "y"}, fractions of the element's
    box as if unturned: the extent of its points as drawn), turned with the
    element. geometry.js, attachedPoint, is the same.
    """
    xs, ys = [point[0] for point in points], [point[1] for point in points]
    left, top, right, bottom = min(xs), min(ys), max(xs), max(ys)
    x, y = left + anchor["x"] * (right - left), top + anchor["y"] * (bottom - top)
    angle = props.get("angle") if tool in BOX_TOOLS else None
    if angle:
        cx, cy = (left + right) / 2 * BOARD_WIDTH, (top + bottom) / 2 * BOARD_HEIGHT
        x, y = _turned_about(x * BOARD_WIDTH, y * BOARD_HEIGHT, cx, cy, angle)
        x, y = x / BOARD_WIDTH, y / BOARD_HEIGHT
    return round(x, CORNER_DECIMALS), round(y, CORNER_DECIMALS)


def _turned_about(x, y, cx, cy, angle):
    cos, sin = math.cos(angle), math.sin(angle)
    return cx + (x - cx) * cos - (y - cy) * sin, cy + (x - cx) * sin + (y - cy) * cos


def _entry(tool, half_width, half_height, px, py, dx, dy):
    """
    Where (0..1) the segment (px, py) + t (dx, dy), about a box's centre in
    its own frame, enters the element's outline; None if it starts inside.
    """
    if tool == Tool.ELLIPSE:
        if not half_width or not half_height:
            return None
        a = (dx / half_width) ** 2 + (dy / half_height) ** 2
        b = 2 * (px * dx / half_width**2 + py * dy / half_height**2)
        c = (px / half_width) ** 2 + (py / half_height) ** 2 - 1
        if c <= 0 or not a or b * b - 4 * a * c < 0:
            return None
        return max(0.0, (-b - math.sqrt(b * b - 4 * a * c)) / (2 * a))
    if tool == Tool.DIAMOND:
        corners = [(0, -half_height), (half_width, 0), (0, half_height), (-half_width, 0)]
    else:
        corners = [(-half_width, -half_height), (half_width, -half_height), (half_width, half_height), (-half_width, half_height)]
    entering, leaving, outside = 0.0, math.inf, False
    for (x1, y1), (x2, y2) in zip(corners, corners[1:] + corners[:1]):
        nx, ny = y2 - y1, x1 - x2  # the edge's outward normal (corners go clockwise on screen)
        distance = nx * (px - x1) + ny * (py - y1)  # > 0: the start is outside this edge
        toward = nx * dx + ny * dy
        outside = outside or distance > 0
        if toward < 0:
            entering = max(entering, distance / -toward)
        elif toward > 0:
            leaving = min(leaving, -distance / toward)
        elif distance > 0:
            return None  # alongside the edge, outside it: it never enters
    return entering if outside and entering <= leaving else None


def end_targets(anchors, elements):
    """
    The `targets` of attached_ends for a line's two ends: per anchor (None
    or {"id", "x", "y"}), None or (tool, points as drawn, props, anchor) of
    its element in `elements` ({client id: (tool, points as drawn, props)}),
    None too for an element not known or with no points.
    """
    return [
        (*elements[anchor["id"]], anchor) if anchor and elements.get(anchor["id"], (None, None))[1] else None
        for anchor in anchors
    ]


def attached_ends(tool_points, targets):
    """
    A line's or arrow's two ends as drawn (board fractions): `tool_points`
    its own two points as drawn; `targets`, per end, None or (tool, points
    as drawn, props, anchor) of the element it is attached to. An attached
    end is at its anchor (attached_point), drawn back along the line to
    ATTACH_GAP short of the element's outline when the other end is outside
    it. geometry.js, attachedEnds, is the same.
    """
    anchored = [
        attached_point(*target) if target else (point[0], point[1]) for point, target in zip(tool_points, targets)
    ]
    ends = list(anchored)
    for index, target in enumerate(targets):
        if not target or target[0] not in BOX_TOOLS:
            continue
        tool, points, props, _ = target
        xs, ys = [point[0] * BOARD_WIDTH for point in points], [point[1] * BOARD_HEIGHT for point in points]
        cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
        angle = props.get("angle") or 0
        (ax, ay), (ox, oy) = anchored[index], anchored[1 - index]
        qx, qy = _turned_about(ax * BOARD_WIDTH, ay * BOARD_HEIGHT, cx, cy, -angle)
        px, py = _turned_about(ox * BOARD_WIDTH, oy * BOARD_HEIGHT, cx, cy, -angle)
        dx, dy = qx - px, qy - py
        t = _entry(tool, (max(xs) - min(xs)) / 2, (max(ys) - min(ys)) / 2, px - cx, py - cy, dx, dy)
        length = math.hypot(dx, dy)
        if t is None or not length or (t - 1) * length > 0.01:  # an anchor on the outline enters at 1, to its rounding
            continue
        t = min(t, 1.0)
        back = min(ATTACH_GAP / length, t)
        x, y = _turned_about(px + dx * (t - back), py + dy * (t - back), cx, cy, angle)
        ends[index] = (round(x / BOARD_WIDTH, CORNER_DECIMALS), round(y / BOARD_HEIGHT, CORNER_DECIMALS))
    return ends


@dataclass(frozen=True)
class DrawnStroke:
    """A stroke to draw: its points in whole board pixels (`whole_pixels`), and their pressures or None."""

    tool: str
    color: str
    width: float
    xs: list
    ys: list
    pressures: list | None = None
    props: dict = field(default_factory=dict)


def arrowhead(x1, y1, x2, y2, width):
    """The two ends of the head of an arrow from (x1, y1) to (x2, y2), in the same units as they are."""
    length = math.hypot(x2 - x1, y2 - y1)
    head = min(max(ARROWHEAD_LENGTH * width, ARROWHEAD_MIN_LENGTH), length / 2)
    angle = math.atan2(y2 - y1, x2 - x1)
    return [
        (x2 - head * math.cos(angle + side * ARROWHEAD_ANGLE), y2 - head * math.sin(angle + side * ARROWHEAD_ANGLE))
        for side in (-1, 1)
    ]


def _arrowheads_path(x1, y1, x2, y2, width, heads):
    """Path data of an arrow's heads in half pixels (`width` in board pixels)."""
    path = ""
    ends = [((x1, y1), (x2, y2))] + ([((x2, y2), (x1, y1))] if heads == "both" else [])
    for (fx, fy), (tx, ty) in ends:
        (ax, ay), (bx, by) = arrowhead(fx / 2, fy / 2, tx / 2, ty / 2, width)
        path += f"M{_number(2 * ax)} {_number(2 * ay)}L{tx} {ty}L{_number(2 * bx)} {_number(2 * by)}"
    return path.replace(" -", "-")


def _shape_element(stroke):
    (x1, x2), (y1, y2) = (2 * x for x in stroke.xs[:2]), (2 * y for y in stroke.ys[:2])  # in half pixels
    if stroke.tool == Tool.LINE:
        return f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"/>'
    if stroke.tool == Tool.ARROW:  # the heads stay solid on a dashed arrow
        heads = _arrowheads_path(x1, y1, x2, y2, stroke.width, stroke.props.get("heads", "end"))
        return f'<path d="M{x1} {y1}L{x2} {y2}"/><path d="{heads}" stroke-dasharray="none"/>'
    left, top, width, height = min(x1, x2), min(y1, y2), abs(x2 - x1), abs(y2 - y1)
    if stroke.tool == Tool.RECT:
        return f'<rect x="{left}" y="{top}" width="{width}" height="{height}"/>'
    if stroke.tool == Tool.DIAMOND:
        middle, centre = _number(left + width / 2), _number(top + height / 2)
        return f'<path d="M{middle} {top}L{left + width} {centre}L{middle} {top + height}L{left} {centre}Z"/>'
    return f'<ellipse cx="{_number(left + width / 2)}" cy="{_number(top + height / 2)}" rx="{_number(width / 2)}" ry="{_number(height / 2)}"/>'


def paint(color, width, opacity, *, fill=None, dash=None):
    """The attributes of a group of elements drawn alike (`width` in board pixels, drawn in half pixels)."""
    attributes = f'stroke="{color}" stroke-width="{_number(2 * width)}"' + (f' stroke-opacity="{opacity}"' if opacity else "")
    if fill:
        attributes += f' fill="{fill}"' + (f' fill-opacity="{opacity}"' if opacity else "")
    if dash in DASHES:
        dash_length, gap = DASHES[dash]
        attributes += f' stroke-dasharray="{_number(2 * dash_length * width)} {_number(2 * gap * width)}"'
    return attributes


def text_lines(stroke):
    """Where each line of a text or note goes: (x, baseline y, line), in board pixels, and the anchor."""
    (left, right), top = sorted(stroke.xs[:2]), min(stroke.ys[:2])
    padding = NOTE_PADDING if stroke.tool == Tool.NOTE else 0
    size = stroke.props["size"]
    align = stroke.props.get("align", "left")
    x = {"left": left + padding, "center": (left + right) / 2, "right": right - padding}[align]
    lines = stroke.props["text"].replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [(x, top + padding + size * (1 + LINE_HEIGHT * index), line) for index, line in enumerate(lines)], align


TEXT_ANCHORS = {"left": "start", "center": "middle", "right": "end"}


def _text_elements(stroke):
    """A text's or note's (paint, element) pairs: a note's box, then its lines as one <text>."""
    if stroke.tool == Tool.NOTE:
        (x1, x2), (y1, y2) = sorted(2 * x for x in stroke.xs[:2]), sorted(2 * y for y in stroke.ys[:2])
        yield (
            f'stroke="none" fill="{stroke.props["fill"]}"',
            f'<rect x="{x1}" y="{y1}" width="{x2 - x1}" height="{y2 - y1}" rx="{2 * NOTE_RADIUS}"/>',
        )
    lines, align = text_lines(stroke)
    spans = "".join(
        f'<tspan x="{_number(2 * x)}" y="{_number(2 * y)}">{escape(line)}</tspan>' for x, y, line in lines
    )
    yield (
        f'stroke="none" fill="{stroke.color}" font-size="{_number(2 * stroke.props["size"])}"',
        f'<text text-anchor="{TEXT_ANCHORS[align]}" xml:space="preserve">{spans}</text>',
    )


def _image_element(stroke):
    """An image stretched over its box; `props["href"]` is its data URI (whiteboard.exports), none if its file is gone."""
    (x1, x2), (y1, y2) = sorted(2 * x for x in stroke.xs[:2]), sorted(2 * y for y in stroke.ys[:2])
    href = stroke.props.get("href")
    if not href:
        return f'<rect x="{x1}" y="{y1}" width="{x2 - x1}" height="{y2 - y1}" fill="#e9ecef"/>'
    return (
        f'<image x="{x1}" y="{y1}" width="{x2 - x1}" height="{y2 - y1}" preserveAspectRatio="none" href="{href}"/>'
    )


def _elements(stroke):
    """(paint, element) pairs that draw `stroke`; paint is the attributes of the group it goes in."""
    angle = stroke.props.get("angle") if stroke.tool in BOX_TOOLS else None
    if not angle:
        yield from _unturned_elements(stroke)
        return
    # Turned about the box's centre (in half pixels, as the drawing group scales), as the page's canvas turns it.
    turn = f'<g transform="rotate({math.degrees(angle):.4f} {stroke.xs[0] + stroke.xs[1]} {stroke.ys[0] + stroke.ys[1]})">'
    for element_paint, element in _unturned_elements(stroke):
        yield element_paint, f"{turn}{element}</g>"


def _unturned_elements(stroke):
    """(paint, element) pairs that draw `stroke`; paint is the attributes of the group it goes in."""
    if stroke.tool in (Tool.TEXT, Tool.NOTE):
        yield from _text_elements(stroke)
        return
    if stroke.tool == Tool.IMAGE:
        yield 'stroke="none"', _image_element(stroke)
        return
    opacity = HIGHLIGHTER_OPACITY if stroke.tool == Tool.HIGHLIGHTER else stroke.props.get("opacity")
    if stroke.tool not in (Tool.PEN, Tool.HIGHLIGHTER):
        element_paint = paint(
            stroke.color, stroke.width, opacity, fill=stroke.props.get("fill"), dash=stroke.props.get("dash")
        )
        yield element_paint, _shape_element(stroke)
        return
    runs = stroke_runs(tool=stroke.tool, width=stroke.width, count=len(stroke.xs), pressures=stroke.pressures)
    if len(runs) == 1:
        yield paint(stroke.color, stroke.width, opacity), f'<path d="{centerline_path_data(stroke.xs, stroke.ys)}"/>'
        return
    for width, start, stop in runs:
        path = centerline_path_data(stroke.xs[start:stop], stroke.ys[start:stop])
        yield paint(stroke.color, width, opacity), f'<path d="{path}"/>'


def svg_drawing(strokes: Iterable[DrawnStroke]) -> Iterator[str]:
    """
    The SVG elements that draw `strokes` in order, in groups of consecutive
    elements painted alike (each value is a number or a #rrggbb colour).
    The caller puts them in a group with SVG_DRAWING_GROUP.
    """
    group = None
    for stroke in strokes:
        for element_paint, element in _elements(stroke):
            if element_paint != group:
                yield ("</g>" if group is not None else "") + f"<g {element_paint}>"
                group = element_paint
            yield element
    if group is not None:
        yield "</g>"


SVG_DRAWING_GROUP = (
    'transform="scale(.5)" fill="none" stroke-linecap="round" stroke-linejoin="round" '
    f"font-family=\"{escape(FONT_FAMILY)}\""
)
