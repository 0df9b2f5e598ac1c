"""Reads for the whiteboard app: board lists, the board snapshot, the history pages."""

import json

from django.db.models import Func, IntegerField, TextField, Value
from django.db.models.functions import Cast, Coalesce

from boardsite.collab import selectors as collab_selectors
from boardsite.collab.selectors import consistent_read
from whiteboard import replay, stored_visibility
from whiteboard.models import Board, Stroke


def boards_for_user(*, user):
    return collab_selectors.boards_for_user(board_model=Board, user=user)


def board_for_user(*, slug, user):
    return collab_selectors.board_for_user(board_model=Board, slug=slug, user=user)


class JSONArrayLength(Func):
    """The length of a JSON array column, counted by the database instead of parsed in Python."""

    function = "json_array_length"
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="jsonb_array_length", **extra_context)

    def get_db_converters(self, connection):
        """Both databases return an integer already: no converter, so Django passes the rows on as fetched."""
        return []


# The snapshot's lists, in the order of the row's columns; the last two are spliced in as the
# database holds them (board_snapshot_json).
SNAPSHOT_FIELDS = (
    "id", "user", "tool", "color", "width", "chunks", "created", "hidden", "hidden_by", "dx", "dy", "version",
    "props", "points",
)


def board_snapshot_json(*, board):
    """
    The board's strokes, hidden ones too, and the seq they are current at,
    as compact JSON text: `{"seq": N, "strokes": {"id": [...], "user":
    [...], "tool": [...], "color": [...], "width": [...], "chunks": [...],
    "created": [...], "hidden": [...], "hidden_by": [...], "props": [...],
    "dx": [...], "dy": [...], "version": [...]}, "points": [...]}`, one list
    per field in drawing order, each stroke's points as their packed text
    (whiteboard.points), as drawn: `dx` and `dy` say how far it has moved
    since, `version` how often a text's words were edited. Hidden strokes are sent because an undo, redo
    or restore names the strokes it shows by their marks and ids, never
    whole (whiteboard.visibility). A list per field is one `json.dumps` of
    the rows as the database returns them, with the points spliced in as
    stored, so a large board costs one query and no Python work per stroke
    or point; it is also quicker for a client to parse than an object per
    stroke. The props, too, are spliced in as the JSON text the database
    holds: decoding and encoding them again was half the time the snapshot
    of 10,000 strokes took. A client loads this, then sends `sync` with
    `since` = N.
    """
    with consistent_read():
        seq, unwritten = Board.objects.values_list("last_seq", "unwritten_visibility").get(pk=board.pk)
        rows = list(
            Stroke.objects.filter(board=board)
            .order_by("created_seq")
            .annotate(
                chunks=JSONArrayLength("chunk_seqs"), username=Coalesce("author__username", Value("")),
                props_json=Cast("props", output_field=TextField()),
            )
            .values_list(
                "client_id", "username", "tool", "color", "width", "chunks", "created_seq", "hidden", "hidden_by",
                "offset_x", "offset_y", "version", "props_json", "points_packed", "author_id",
            )
        )
        *columns, props, points, authors = zip(*rows) if rows else [()] * (len(SNAPSHOT_FIELDS) + 1)
        ids, hidden, hidden_by, created = (
            SNAPSHOT_FIELDS.index(name) for name in ("id", "hidden", "hidden_by", "created")
        )
        if unwritten:
            # Some of the rows' visibility is not written yet: the waiting changes, applied to
            # these very rows, say it (whiteboard.stored_visibility), in the same read.
            stored = zip(columns[ids], columns[hidden], columns[hidden_by], columns[created], authors)
            states = stored_visibility.states_of(board=board, rows=list(stored), unwritten=unwritten)
            columns[hidden_by] = [states[client_id][1] for client_id in columns[ids]]
            columns[hidden] = [states[client_id][0] for client_id in columns[ids]]
    columns[hidden] = [int(value) for value in columns[hidden]]
    for name in ("dx", "dy"):
        columns[SNAPSHOT_FIELDS.index(name)] = [replay.offset(value) for value in columns[SNAPSHOT_FIELDS.index(name)]]
    fields = json.dumps(dict(zip(SNAPSHOT_FIELDS, columns)), separators=(",", ":"))
    # Props are JSON already; packed points are made of characters JSON never escapes: joined, not re-encoded.
    points = '"' + '","'.join(points) + '"' if points else ""
    return f'{{"seq":{seq},"strokes":{fields[:-1]},"props":[{",".join(props)}],"points":[{points}]}}}}'


def board_history_page(*, board, after):
    """
    One page of the board's events after seq `after`, for the history panel:
    `{"last_seq", "events", "times", "next_after"}`; `next_after` is the
    `after` of the next page, or None when this page reaches `last_seq`.
    """
    with consistent_read():
        last_seq = Board.objects.values_list("last_seq", flat=True).get(pk=board.pk)
        page = replay.history_page(board=board, after=after)
    reached = page["events"][-1]["seq"] if page["events"] else after
    return {"last_seq": last_seq, **page, "next_after": reached if reached < last_seq else None}
