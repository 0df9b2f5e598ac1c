"""
Server-side SVG of a board, drawn from the stored strokes with the same
geometry the canvas uses: freehand strokes as smoothed paths through the
midpoints of their points, highlighter translucent, shapes as SVG shapes.
"""

from dataclasses import dataclass

from whiteboard.models import Tool

HIGHLIGHTER_OPACITY = 0.45


@dataclass(frozen=True)
class SvgElement:
    tag: str  # path, line, rect or ellipse
    attributes: dict


def _number(value):
    return f"{value:.1f}".rstrip("0").rstrip(".")


def smooth_path_data(points):
    """Quadratic curves through the midpoints between points; a single point is a dot."""
    (x0, y0), rest = points[0], points[1:]
    if not rest:
        return f"M{_number(x0)} {_number(y0)}l0 0"
    commands = [f"M{_number(x0)} {_number(y0)}"]
    for (x1, y1), (x2, y2) in zip(rest, rest[1:]):
        commands.append(f"Q{_number(x1)} {_number(y1)} {_number((x1 + x2) / 2)} {_number((y1 + y2) / 2)}")
    last_x, last_y = rest[-1]
    commands.append(f"L{_number(last_x)} {_number(last_y)}")
    return "".join(commands)


def svg_element(stroke):
    """The SVG element for one `ExportStroke`."""
    paint = {"fill": "none", "stroke": stroke.color, "stroke-width": _number(stroke.width)}
    if stroke.tool in (Tool.PEN, Tool.HIGHLIGHTER):
        paint.update({"stroke-linecap": "round", "stroke-linejoin": "round"})
        if stroke.tool == Tool.HIGHLIGHTER:
            paint["stroke-opacity"] = str(HIGHLIGHTER_OPACITY)
        return SvgElement("path", {"d": smooth_path_data(stroke.points), **paint})
    (x1, y1), (x2, y2) = stroke.points
    if stroke.tool == Tool.LINE:
        return SvgElement(
            "line", {"x1": _number(x1), "y1": _number(y1), "x2": _number(x2), "y2": _number(y2), "stroke-linecap": "round", **paint}
        )
    left, top, width, height = min(x1, x2), min(y1, y2), abs(x2 - x1), abs(y2 - y1)
    if stroke.tool == Tool.RECT:
        return SvgElement(
            "rect",
            {"x": _number(left), "y": _number(top), "width": _number(width), "height": _number(height), "stroke-linejoin": "round", **paint},
        )
    return SvgElement(
        "ellipse",
        {"cx": _number(left + width / 2), "cy": _number(top + height / 2), "rx": _number(width / 2), "ry": _number(height / 2), **paint},
    )
