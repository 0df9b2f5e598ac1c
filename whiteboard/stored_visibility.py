"""
The Stroke rows' `hidden` and `hidden_by`: written when an event hides or
shows a few strokes, later when it changes many.

A clear, or the undo of one, on a board of 10,000 strokes would rewrite
10,000 wide rows (their points with them) inside the command: 60 ms on
SQLite, 250 ms on PostgreSQL, where each rewrite also leaves a dead row
behind. So an event that changes more than WRITE_AT_ONCE_AT_MOST strokes,
or any that follows one not yet written, is only recorded: the board keeps
the seqs of those events (`Board.unwritten_visibility`), and whoever reads
the rows applies them to what it read, by the rules the clients and the
replays use (whiteboard.visibility). Once MAX_UNWRITTEN are waiting, the
next change writes them all in one pass. Every read of visibility goes
through `stroke_states` (or `visible_ids`, `hidden_among`), exact either way.
"""

import json
from collections import defaultdict

from django.db import connections, router

from boardsite.collab.selectors import consistent_read
from boardsite.collab.sql import in_batches
from whiteboard.models import Board, BoardEvent, Stroke
from whiteboard.visibility import replayed

# An event hiding or showing at most this many strokes is written with it,
# when no earlier one waits.
WRITE_AT_ONCE_AT_MOST = 1000
# Events left unwritten at most: every read applies them to what it read
# (a clear or its undo: a few operations, whatever the board's size; a
# restore's `hide_after`: one per stroke).
MAX_UNWRITTEN = 32


def unwritten_of(value):
    """The board's unwritten seqs from the column as the database returns it (JSON text) or as a list."""
    if isinstance(value, str):
        return json.loads(value)
    return list(value or ())


def read_unwritten(board):
    """The seqs of the board's unwritten events, read now (outside a command, which has them from its lock)."""
    return Board.objects.values_list("unwritten_visibility", flat=True).get(pk=board.pk)


# Reading

# Past this many ids, the strokes are read in one scan of the board's rows:
# cheaper than `client_id IN (...)` lists, whose parameters Django prepares
# one by one (70 ms for the 10,000 ids of an undone clear).
SCAN_OVER = 500


def read_rows(*, board, stroke_ids=None):
    """
    (client id, hidden, hidden_by, created seq, author id) of the board's
    strokes (of those of `stroke_ids`) as stored, in created order: what
    `states_of` and the replays (whiteboard.replay) start from.
    """
    rows = Stroke.objects.filter(board=board)
    wanted = None
    if stroke_ids is not None:
        wanted = set(stroke_ids)
        if not wanted:
            return []
        if len(wanted) <= SCAN_OVER:
            rows = rows.filter(client_id__in=wanted)
    rows = rows.order_by("created_seq").values_list("client_id", "hidden", "hidden_by", "created_seq", "author_id")
    return [row for row in rows if row[0] in wanted] if wanted is not None else list(rows)


def states_of(*, board, rows, unwritten):
    """{client id: (hidden, hidden_by, created seq)} of `rows` (read_rows) once the unwritten events are applied."""
    if not unwritten:
        return {client_id: (hidden, hidden_by, created_seq) for client_id, hidden, hidden_by, created_seq, _ in rows}
    events = BoardEvent.objects.filter(board=board, seq__in=unwritten).order_by("seq")
    # The author by id only: the events the server records name theirs by id too (`hide_after`).
    starts = [
        (client_id, created_seq, "", hidden, hidden_by, author_id)
        for client_id, hidden, hidden_by, created_seq, author_id in rows
    ]
    return replayed(starts, events.values_list("seq", "type", "payload")).states()


def stroke_states(*, board, stroke_ids=None, unwritten=None):
    """
    {client id: (hidden, hidden_by, created seq)} of the board's strokes (or
    of those of `stroke_ids`) as of its latest event: the rows as stored,
    with the unwritten events applied. `unwritten`: the board's unwritten
    seqs, if the caller read them in the same transaction (a command has
    them from `lock_board`, the snapshot from its consistent read); else
    read here.
    """
    if unwritten is not None:
        return states_of(board=board, rows=read_rows(board=board, stroke_ids=stroke_ids), unwritten=unwritten)
    with consistent_read():  # the waiting changes and the rows of one moment, or some would be applied twice
        unwritten = read_unwritten(board)
        return states_of(board=board, rows=read_rows(board=board, stroke_ids=stroke_ids), unwritten=unwritten)


def hidden_among(*, board, strokes):
    """
    The client ids of those of `strokes` (rows the caller read, in a command
    under the board's lock) hidden now: as their rows say, unless an
    unwritten event may have changed them. An event changes only strokes
    made before it, so the strokes being drawn after a clear, on the
    drawing's hot path, are read as they are.
    """
    strokes = list(strokes)
    last_unwritten = max(board.unwritten_visibility, default=0)
    older = [stroke.client_id for stroke in strokes if stroke.created_seq < last_unwritten]
    hidden = {stroke.client_id for stroke in strokes if stroke.hidden and stroke.client_id not in older}
    if older:
        states = stroke_states(board=board, stroke_ids=older, unwritten=board.unwritten_visibility)
        hidden.update(client_id for client_id, (is_hidden, _, _) in states.items() if is_hidden)
    return hidden


def visible_ids(*, board, stroke_ids=None, unwritten=None):
    """The client ids of the board's visible strokes (of those of `stroke_ids`), in created order."""
    states = stroke_states(board=board, stroke_ids=stroke_ids, unwritten=unwritten)
    return [client_id for client_id, (hidden, _, _) in states.items() if not hidden]


# Writing


def record_change(*, board, kind, seq, frame, changed):
    """
    What event `seq` (its type and stored frame) hides and shows: written to
    the rows now if it changes at most WRITE_AT_ONCE_AT_MOST strokes
    (`changed`) and no earlier event waits, else left unwritten (and all
    written once MAX_UNWRITTEN wait). Runs in the event's transaction, under
    the board's lock (`board.unwritten_visibility` was read under it).
    """
    if not board.unwritten_visibility and changed <= WRITE_AT_ONCE_AT_MOST:
        _write_event(board=board, kind=kind, seq=seq, frame=frame)
        return
    board.unwritten_visibility = [*board.unwritten_visibility, seq]
    if len(board.unwritten_visibility) >= MAX_UNWRITTEN:
        write_unwritten(board=board)
    else:
        Board.objects.filter(pk=board.pk).update(unwritten_visibility=board.unwritten_visibility)


def _write_event(*, board, kind, seq, frame):
    """Make the rows what event `seq` says, by whiteboard.visibility's rules written as SQL."""
    strokes = Stroke.objects.filter(board=board)
    visible = strokes.filter(hidden=False)
    if kind == "erase":
        _hide_ids(board=board, stroke_ids=frame["ids"], seq=seq)
    elif kind == "clear":
        visible.filter(created_seq__lt=seq).update(hidden=True, hidden_by=seq)
    else:
        _hide_ids(board=board, stroke_ids=frame.get("hide", ()), seq=seq)
        if frame.get("hide_marks"):
            visible.filter(hidden_by__in=frame["hide_marks"]).update(hidden=True, hidden_by=seq)
        after = frame.get("hide_after")
        if after:
            drawn_after = visible.filter(created_seq__gt=after["seq"], created_seq__lt=seq)
            if "user_id" in after:
                drawn_after = drawn_after.filter(author_id=after["user_id"])
            drawn_after.update(hidden=True, hidden_by=seq)
        for batch in in_batches(frame.get("show_ids", ())):
            strokes.filter(client_id__in=batch).update(hidden=False)
        if frame.get("show_marks"):
            strokes.filter(hidden=True, hidden_by__in=frame["show_marks"]).update(hidden=False)


def _hide_ids(*, board, stroke_ids, seq):
    """Hide those of `stroke_ids` still visible, marked as hidden by event `seq`."""
    for batch in in_batches(stroke_ids):
        Stroke.objects.filter(board=board, client_id__in=batch, hidden=False).update(hidden=True, hidden_by=seq)


def write_unwritten(*, board):
    """
    Write the board's unwritten events to its rows in one pass: each stroke
    whose state they change is updated once, whatever they were.
    """
    if not board.unwritten_visibility:
        return
    rows = read_rows(board=board)
    states = states_of(board=board, rows=rows, unwritten=board.unwritten_visibility)
    changed = defaultdict(list)  # (hidden, hidden_by) -> client ids of the rows to set to it
    for client_id, hidden, hidden_by, _, _ in rows:
        state = states[client_id][:2]
        if state != (hidden, hidden_by):
            changed[state].append(client_id)
    connection = connections[router.db_for_write(Stroke)]
    quote = connection.ops.quote_name
    columns = {name: quote(Stroke._meta.get_field(name).column) for name in ("board", "client_id", "hidden", "hidden_by")}
    with connection.cursor() as cursor:
        for (hidden, hidden_by), client_ids in changed.items():
            for batch in in_batches(client_ids):
                # Written out: the ORM prepares an IN list's parameters one by one, longer than the update takes.
                cursor.execute(
                    f"UPDATE {quote(Stroke._meta.db_table)} SET {columns['hidden']} = %s, {columns['hidden_by']} = %s "
                    f"WHERE {columns['board']} = %s AND {columns['client_id']} IN ({', '.join(['%s'] * len(batch))})",
                    [hidden, hidden_by, board.pk, *batch],
                )
    board.unwritten_visibility = []
    Board.objects.filter(pk=board.pk).update(unwritten_visibility=[])
