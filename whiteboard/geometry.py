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
line, rectangle and ellipse.

The SVG writes coordinates in half board pixels (the drawing sits in a
`scale(.5)` group), rounded to whole pixels: midpoints are then whole
numbers too, and every relative step is exact, so no error accumulates
along a stroke and the path data stays short. In path data the midpoint
curves are one `q` and then `t`s: the control of each next curve is the
reflection of the one before about the midpoint they share, which is the
next point.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import repeat
from operator import mul, sub

from whiteboard.models import Tool

HIGHLIGHTER_OPACITY = 0.45
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


@dataclass(frozen=True)
class DrawnStroke:
    """A stroke to draw: its points in whole board pixels (`whole_pixels`), and their pressures or None."""

    tool: str
    color: str
    width: float
    xs: list
    ys: list
    pressures: list | None = None


def _shape_element(stroke):
    (x1, x2), (y1, y2) = (2 * x for x in stroke.xs[:2]), (2 * y for y in stroke.ys[:2])  # in half pixels
    if stroke.tool == Tool.LINE:
        return f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"/>'
    left, top, width, height = min(x1, x2), min(y1, y2), abs(x2 - x1), abs(y2 - y1)
    if stroke.tool == Tool.RECT:
        return f'<rect x="{left}" y="{top}" width="{width}" height="{height}"/>'
    return f'<ellipse cx="{_number(left + width / 2)}" cy="{_number(top + height / 2)}" rx="{_number(width / 2)}" ry="{_number(height / 2)}"/>'


def paint(color, width, opacity):
    """The attributes of a group of elements drawn alike (`width` in board pixels, drawn in half pixels)."""
    return f'stroke="{color}" stroke-width="{_number(2 * width)}"' + (f' stroke-opacity="{opacity}"' if opacity else "")


def _elements(stroke):
    """(paint, element) pairs that draw `stroke`; paint is the attributes of the group it goes in."""
    opacity = HIGHLIGHTER_OPACITY if stroke.tool == Tool.HIGHLIGHTER else None
    if stroke.tool not in (Tool.PEN, Tool.HIGHLIGHTER):
        yield paint(stroke.color, stroke.width, opacity), _shape_element(stroke)
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


SVG_DRAWING_GROUP = 'transform="scale(.5)" fill="none" stroke-linecap="round" stroke-linejoin="round"'
