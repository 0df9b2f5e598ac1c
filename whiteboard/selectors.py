"""Reads for the whiteboard app: board lists, the board snapshot, the SVG export."""

import json
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction

from boardsite.collab import selectors as collab_selectors
from whiteboard.models import Board, Stroke


def boards_for_user(*, user):
    return collab_selectors.boards_for_user(board_model=Board, user=user)


def board_for_user(*, slug, user):
    return collab_selectors.board_for_user(board_model=Board, slug=slug, user=user)


def _visible_stroke_rows(board):
    return (
        Stroke.objects.filter(board=board, hidden=False)
        .order_by("created_seq")
        .values_list("client_id", "author__username", "tool", "color", "width", "chunk_seqs", "points_json")
    )


@contextmanager
def consistent_read():
    """
    A transaction whose reads all see one moment: the snapshot's seq must
    match its strokes exactly, or the events replayed after it would be
    applied twice. SQLite gives that within any transaction; PostgreSQL
    needs REPEATABLE READ, set before the transaction's first query.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def board_snapshot_json(*, board):
    """
    The board's visible strokes and the seq they are current at, as compact
    JSON text: `{"seq": N, "strokes": [{"id", "user", "tool", "color",
    "width", "chunks", "points"}, ...]}` in drawing order. Points are spliced
    in as stored, never parsed, so a large board costs one query and string
    joins. A client loads this, then sends `sync` with `since` = N.
    """
    with consistent_read():
        seq = Board.objects.values_list("last_seq", flat=True).get(pk=board.pk)
        rows = list(_visible_stroke_rows(board))
    parts = []
    for client_id, username, tool, color, width, chunk_seqs, points_json in rows:
        head = json.dumps(
            {"id": client_id, "user": username or "", "tool": tool, "color": color, "width": width, "chunks": len(chunk_seqs)},
            separators=(",", ":"),
        )
        parts.append(f'{head[:-1]},"points":{points_json}}}')
    return f'{{"seq":{seq},"strokes":[{",".join(parts)}]}}'


@dataclass(frozen=True)
class ExportStroke:
    tool: str
    color: str
    width: float
    points: list  # in board pixels


def board_export_strokes(*, board, width, height):
    """The visible strokes, oldest first, with points scaled to a `width` x `height` picture."""
    strokes = []
    for _, _, tool, color, stroke_width, _, points_json in _visible_stroke_rows(board):
        points = [(point[0] * width, point[1] * height) for point in json.loads(points_json)]
        strokes.append(ExportStroke(tool=tool, color=color, width=stroke_width, points=points))
    return strokes
