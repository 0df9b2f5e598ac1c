"""The demo whiteboard that `manage.py demo_data` creates, drawn through the services."""

import math

from whiteboard import services
from whiteboard.models import Board

DEMO_BOARD_NAME = "Demo whiteboard"


def _wave(*, left, top, width, height, turns, steps=48):
    return [
        [round(left + width * i / steps, 4), round(top + height * (0.5 + 0.5 * math.sin(turns * 2 * math.pi * i / steps)), 4)]
        for i in range(steps + 1)
    ]


def _circle(*, cx, cy, radius, steps=40):
    # The board is 16:10, so a round circle is narrower in x fractions.
    return [
        [round(cx + radius * 0.625 * math.cos(2 * math.pi * i / steps), 4), round(cy + radius * math.sin(2 * math.pi * i / steps), 4)]
        for i in range(steps + 1)
    ]


DEMO_STROKES = [
    ("demo-wave", "pen", "#1971c2", 6, _wave(left=0.08, top=0.18, width=0.38, height=0.14, turns=2)),
    ("demo-sun", "pen", "#f08c00", 8, _circle(cx=0.78, cy=0.24, radius=0.1)),
    ("demo-mark", "highlighter", "#fcc419", 24, [[0.1, 0.62], [0.25, 0.615], [0.42, 0.62]]),
]
DEMO_SHAPES = [
    ("demo-box", "rect", "#2f9e44", 6, [[0.1, 0.42], [0.42, 0.56]], {"fill": "#d3f9d8"}),
    ("demo-ellipse", "ellipse", "#7048e8", 6, [[0.56, 0.5], [0.9, 0.86]], {"dash": "dashed"}),
    ("demo-diamond", "diamond", "#1971c2", 4, [[0.62, 0.08], [0.7, 0.2]], {"fill": "#d0ebff", "opacity": 0.8, "angle": 0.3}),
    # Attached to the box and to the ellipse: move either and the arrow follows.
    ("demo-arrow", "arrow", "#e03131", 6, [[0.42, 0.49], [0.56, 0.68]],
     {"start": {"id": "demo-box", "x": 1, "y": 0.5}, "end": {"id": "demo-ellipse", "x": 0.1, "y": 0.5}}),
]
# Boxes as a page lays them out: (kind, id, colour, corners, props).
DEMO_TEXTS = [
    ("text", "demo-title", "#1b1e2b", [[0.08, 0.05], [0.42, 0.1]], {"text": "Plans for the week", "size": 48, "align": "left"}),
    (
        "note", "demo-note", "#1b1e2b", [[0.12, 0.7], [0.255, 0.9]],
        {"text": "Pick the venue\nBook the bus\nTell everyone", "size": 24, "align": "left", "fill": "#fff3bf"},
    ),
]


def ensure_demo_board(*, owner):
    """
    The owner's demo board with a few strokes, shapes (a turned diamond, an
    arrow attached to two of them), a title and a note; running it again changes nothing.
    """
    board = Board.objects.filter(owner=owner, name=DEMO_BOARD_NAME).first()
    created = board is None
    if created:
        board = services.board_create(name=DEMO_BOARD_NAME, owner=owner)
    for stroke_id, tool, color, width, points in DEMO_STROKES:
        services.stroke_add_chunk(
            board=board, actor=owner, stroke_id=stroke_id, chunk=0, tool=tool, color=color, width=width, points=points
        )
    for stroke_id, tool, color, width, points, props in DEMO_SHAPES:
        services.shape_add(
            board=board, actor=owner, stroke_id=stroke_id, tool=tool, color=color, width=width, points=points,
            props=props,
        )
    for kind, stroke_id, color, points, props in DEMO_TEXTS:
        services.text_add(board=board, actor=owner, stroke_id=stroke_id, tool=kind, color=color, points=points, props=props)
    if created:
        services.history_forget(board=board, user=owner)
    return board
