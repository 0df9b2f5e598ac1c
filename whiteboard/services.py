"""
Every change to whiteboard boards goes through here: the consumer, the views,
the demo data and the tests call these and nothing else.

Each change runs in one transaction and records its event with
`record_event`, which broadcasts it once the transaction commits. Every
action first locks the board row (`lock_board`) and only then reads what it
will change, so actions on one board run one after the other and always take
their locks in the same order (board, then strokes): no deadlocks, and no
action decides on a stale read. Each command returns an Applied
(boardsite.collab.events): its seq and what its `ack` carries.
"""

import json
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, router, transaction
from django.db.models import Count, F, Max, Min
from django.utils import timezone

from boardsite.collab import services as collab_services
from boardsite.collab.errors import ActionError
from boardsite.collab.events import Applied, NewEvent, encode_frame, lock_board_row, record_event, record_events
from boardsite.collab.sql import in_batches, insert_rows
from whiteboard import replay, stored_visibility
from whiteboard.geometry import CORNER_DECIMALS, attached_ends, element_extent, end_targets
from whiteboard.points import last_points, packed, packed_append
from whiteboard.models import ATTACHED_ENDS, LINE_TOOLS, TEXT_TOOLS, Board, ElementEdit, HistoryStep, Move, Stroke, Tool
from whiteboard.protocol import MAX_COORDINATE, MAX_POINTS_PER_STROKE, MIN_COORDINATE


def check_board_room(*, board, adding=1):
    """
    A board holds at most WHITEBOARD_MAX_STROKES strokes, erased ones included
    (undo can bring them back). `board.stored_strokes` was read by
    `lock_board`; whoever stores strokes adds them to it and saves it with
    its event (`board_fields=("stored_strokes",)`).
    """
    limit = settings.WHITEBOARD_MAX_STROKES
    if board.stored_strokes + adding > limit:
        raise ActionError("board_full", f"This board is full: it holds at most {limit:,} strokes. Start a new board.",
                          limit=limit)


@transaction.atomic
def board_create(*, name, owner):
    return collab_services.board_create(board_model=Board, name=name, owner=owner)


def lock_board(board, *, actor=None, origin=None):
    """
    Hold the board's row lock until the transaction ends, and read under it
    its stroke count and its unwritten visibility changes
    (whiteboard.stored_visibility). `record_event` takes the same lock later
    in the transaction; taking it first keeps the lock order the same in
    every action.
    A change sent on a connection (`origin`) is then refused if `actor` has
    lost access since (collab_services.check_still_allowed).
    """
    row = lock_board_row(board, columns=("stored_strokes", "unwritten_visibility"))
    if row is None:
        raise Board.DoesNotExist("This board has been deleted.")
    board.stored_strokes, unwritten = row
    board.unwritten_visibility = stored_visibility.unwritten_of(unwritten)
    collab_services.check_still_allowed(board=board, actor=actor, origin=origin)


def history_record(*, board, user, kind, stroke_ids, shown_ids=(), moves=(), edits=()):
    """
    A new undoable step; acting again forgets what the user had undone (their
    redo stack). Every new stroke records one, on the drawing hot path, so
    both statements are written out: through the ORM (a delete collector and
    a model save) they took about three times as long.
    """
    connection = connections[router.db_for_write(HistoryStep)]
    quote = connection.ops.quote_name
    meta = HistoryStep._meta
    board_column, user_column, undone_column = (quote(meta.get_field(name).column) for name in ("board", "user", "undone"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {quote(meta.db_table)} "
            f"WHERE {board_column} = %s AND {user_column} = %s AND {undone_column} = %s",
            [board.pk, user.pk, True],
        )
    insert_rows([
        HistoryStep(
            board=board, user=user, kind=kind, stroke_ids=stroke_ids, shown_ids=list(shown_ids), moves=list(moves),
            edits=list(edits),
        )
    ])


@transaction.atomic
def history_forget(*, board, user):
    """
    Drop `user`'s undo and redo steps on `board`: what seeded a board (the
    demo data) is where it starts, not a change its first Undo should take back.
    """
    lock_board(board)
    HistoryStep.objects.filter(board=board, user=user).delete()


def history_state(*, board, user):
    """Whether `user` has something to undo and to redo on `board`."""
    states = set(HistoryStep.objects.filter(board=board, user=user).order_by().values_list("undone", flat=True).distinct())
    return {"can_undo": False in states, "can_redo": True in states}


# Drawing


def check_stroke_matches(*, stroke, actor, tool, color, width):
    if stroke.author_id != actor.pk:
        raise ActionError("id_taken", "Another stroke already has that id; choose a new one.")
    if (stroke.tool, stroke.color, stroke.width) != (tool, color, width):
        raise ActionError(
            "stroke_mismatch", "A stroke keeps the tool, colour and width of its first chunk.", id=stroke.client_id
        )


def bounds(points, *, within=None):
    """
    The extent of `points` (board fractions) as the Stroke fields min_x,
    min_y, max_x and max_y, grown from `within` (a stroke's stored extent).
    """
    xs = [point[0] for point in points]
    ys = [point[1] for point in points]
    if within is not None and within.min_x is not None:
        xs += [within.min_x, within.max_x]
        ys += [within.min_y, within.max_y]
    return {"min_x": min(xs), "min_y": min(ys), "max_x": max(xs), "max_y": max(ys)}


def element_bounds(tool, points, props):
    """The extent of an element as the Stroke fields min_x...max_y: a turned box's is that of its turned corners."""
    return dict(zip(("min_x", "min_y", "max_x", "max_y"), element_extent(tool, points, props)))


@dataclass(frozen=True)
class ChunkCommand:
    """One stroke chunk to store: what a `stroke` message asks, and who asks it."""

    actor: object
    stroke_id: str
    chunk: int | None  # None: the next chunk
    tool: str
    color: str
    width: float
    points: list
    origin: str | None = None


def stroke_add_chunk(*, board, actor, stroke_id, chunk, tool, color, width, points, origin=None):
    """
    Start the stroke `stroke_id` (chunk 0) or append the next chunk to it.
    A chunk that is already stored is acknowledged again with its seq and
    changes nothing, so a client may re-send whatever was not acked.
    `chunk=None` means "the next chunk".
    """
    command = ChunkCommand(actor, stroke_id, chunk, tool, color, width, points, origin)
    (result,) = stroke_chunks_add(board=board, commands=[command])
    if isinstance(result, ActionError):
        raise result
    return result


@transaction.atomic
def stroke_chunks_add(*, board, commands):
    """
    Apply many stroke chunks, in order, in one transaction: one seq
    allocation, one insert of their events, one write per stroke and one
    broadcast. This is the drawing hot path (boardsite.collab.rooms feeds
    it). Returns, per command, its Applied or the ActionError that refused it
    alone; a refused chunk changes nothing.
    """
    lock_board(board)
    refusals = _refused_actors(board=board, commands=commands)
    stroke_ids = {command.stroke_id for command in commands}
    strokes = {stroke.client_id: stroke for stroke in _strokes_by_client_id(board=board, client_ids=stroke_ids)}
    existing = set(strokes)
    gone = stored_visibility.hidden_among(board=board, strokes=strokes.values())
    stored_chunks = {stroke_id: list(stroke.chunk_seqs) for stroke_id, stroke in strokes.items()}
    appended = {}  # stroke id -> (JSON text, points) of each chunk appended in this batch
    results = [None] * len(commands)
    new_events = []  # (command index, NewEvent); chunk_seqs hold "-(n+1)" until seqs are known
    for index, command in enumerate(commands):
        try:
            if command.actor.pk in refusals:
                raise refusals[command.actor.pk]
            stroke = strokes.get(command.stroke_id)
            if stroke is None:
                if command.chunk not in (None, 0):
                    raise ActionError(
                        "chunk_out_of_order",
                        "This stroke has not started yet: send chunk 0 first.",
                        id=command.stroke_id,
                        expected=0,
                    )
                check_board_room(board=board, adding=len(set(appended) - existing) + 1)
                stroke = strokes[command.stroke_id] = Stroke(
                    board=board, client_id=command.stroke_id, author=command.actor, tool=command.tool,
                    color=command.color, width=command.width, points_json="[]", point_count=0,
                )
                stored_chunks[command.stroke_id] = []
            else:
                check_stroke_matches(
                    stroke=stroke, actor=command.actor, tool=command.tool, color=command.color, width=command.width
                )
            chunks = stored_chunks[command.stroke_id]
            chunk = len(chunks) if command.chunk is None else command.chunk
            if chunk < len(chunks):
                results[index] = ("duplicate", chunks[chunk])
                continue
            if chunk > len(chunks):
                raise ActionError(
                    "chunk_out_of_order",
                    f"Chunk {chunk} arrived before chunk {len(chunks)} of this stroke.",
                    id=command.stroke_id,
                    expected=len(chunks),
                )
            if command.stroke_id in gone:
                raise ActionError("stroke_gone", "This stroke was erased or undone; start a new one.", id=command.stroke_id)
            if stroke.version:  # its points were rewritten (resized or turned): the rest would not fit them
                raise ActionError(
                    "stroke_changed", "Someone resized or turned this stroke while it was drawn; start a new one.",
                    id=command.stroke_id,
                )
            if stroke.point_count + len(command.points) > MAX_POINTS_PER_STROKE:
                raise ActionError(
                    "stroke_too_long",
                    f"A stroke holds at most {MAX_POINTS_PER_STROKE} points; start a new one.",
                    id=command.stroke_id,
                )
        except ActionError as error:
            results[index] = error
            continue
        chunks.append(-(len(new_events) + 1))
        stroke.point_count += len(command.points)
        points_text = encode_frame(command.points)
        appended.setdefault(command.stroke_id, []).append((points_text, command.points))
        payload = _chunk_payload(
            command.stroke_id, chunk, command.actor, command.tool, command.color, command.width, command.points
        )
        new_events.append((index, NewEvent(
            type="stroke", payload=payload, actor=command.actor, origin=command.origin, encoded={"points": points_text}
        )))

    started = len(set(appended) - existing)
    board.stored_strokes += started
    stored = record_events(
        board=board, events=[event for _, event in new_events], board_fields=("stored_strokes",) if started else ()
    )
    seqs = [event.seq for event in stored]
    for (index, _), seq in zip(new_events, seqs):
        results[index] = Applied(seq=seq, details={})
    for index, result in enumerate(results):
        if isinstance(result, tuple):  # a re-sent chunk: the seq its first copy got
            seq = result[1] if result[1] > 0 else seqs[-result[1] - 1]
            results[index] = Applied(seq=seq, details={"duplicate": True})
    _save_strokes(board=board, strokes=strokes, existing=existing, stored_chunks=stored_chunks, appended=appended, seqs=seqs)
    return results


def _refused_actors(*, board, commands):
    """
    The actors of a batch who may no longer change the board, with the error
    that refuses their chunks: checked once per actor, under the board's lock.
    """
    refusals, checked = {}, set()
    for command in commands:
        if command.origin is None or command.actor.pk in checked:
            continue
        checked.add(command.actor.pk)
        try:
            collab_services.check_still_allowed(board=board, actor=command.actor, origin=command.origin)
        except ActionError as error:
            refusals[command.actor.pk] = error
    return refusals


# What a batch of stroke chunks reads of the strokes it extends; the rest of
# their fields are left deferred.
CHUNK_BATCH_STROKE_FIELDS = (
    "id", "board", "client_id", "author", "tool", "color", "width",
    "points_json", "points_packed", "point_count", "chunk_seqs", "hidden", "version", "min_x", "min_y", "max_x", "max_y",
    "created_seq",
)


def _strokes_by_client_id(*, board, client_ids):
    """
    The board's strokes with these client ids, with CHUNK_BATCH_STROKE_FIELDS.
    The statement is written out and its rows made into strokes here, each
    value through its field's converters as the ORM would: it runs in every
    batch of the drawing hot path, where raw() spent longer setting the
    query up than the database spent running it.
    """
    connection = connections[router.db_for_read(Stroke)]
    quote = connection.ops.quote_name
    table = Stroke._meta.db_table
    # In the model's order, which Model.from_db expects of deferred rows.
    fields = [field for field in Stroke._meta.concrete_fields if field.name in CHUNK_BATCH_STROKE_FIELDS]
    columns = ", ".join(quote(field.column) for field in fields)
    board_column, client_id_column = (quote(Stroke._meta.get_field(name).column) for name in ("board", "client_id"))
    placeholders = ", ".join(["%s"] * len(client_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {quote(table)} WHERE {board_column} = %s AND {client_id_column} IN ({placeholders})",
            [board.pk, *client_ids],
        )
        rows = cursor.fetchall()
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(table)
        functions = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        converters.extend((index, function, column) for function in functions)
    attnames = [field.attname for field in fields]
    strokes = []
    for row in rows:
        values = list(row)
        for index, function, column in converters:
            values[index] = function(values[index], column, connection)
        strokes.append(Stroke.from_db(connection.alias, attnames, values))
    return strokes


def _save_strokes(*, board, strokes, existing, stored_chunks, appended, seqs):
    """Write the strokes a batch started or extended, and record each new stroke as its author's step."""
    started, extended = [], []
    for stroke_id, chunks in appended.items():
        stroke = strokes[stroke_id]
        stroke.chunk_seqs = [seq if seq > 0 else seqs[-seq - 1] for seq in stored_chunks[stroke_id]]
        stroke.points_packed = packed_append(
            stroke.points_packed,
            [point for _, points in chunks for point in points],
            last_points=last_points(stroke.points_json),
        )
        for name, value in bounds([point for _, points in chunks for point in points], within=stroke).items():
            setattr(stroke, name, value)
        prefix = stroke.points_json[:-1]
        stroke.points_json = prefix + ("," if prefix != "[" else "") + ",".join(text[1:-1] for text, _ in chunks) + "]"
        if stroke_id in existing:
            extended.append(stroke)
        else:
            stroke.created_seq = stroke.chunk_seqs[0]
            started.append(stroke)
    insert_rows(started)
    if extended:
        _update_extended_strokes(extended)
    for stroke in started:
        history_record(board=board, user=stroke.author, kind=HistoryStep.Kind.DRAW, stroke_ids=[stroke.client_id])


def _update_extended_strokes(strokes):
    """
    One UPDATE per stroke, written out: a batch extends one or two strokes,
    and the ORM took longer to build these statements (and bulk_update its
    CASE expressions) than the database to run them.
    """
    connection = connections[router.db_for_write(Stroke)]
    quote = connection.ops.quote_name
    fields = [
        Stroke._meta.get_field(name)
        for name in ("points_json", "points_packed", "point_count", "chunk_seqs", "min_x", "min_y", "max_x", "max_y")
    ]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    statement = f"UPDATE {quote(Stroke._meta.db_table)} SET {assignments} WHERE {quote(Stroke._meta.pk.column)} = %s"
    with connection.cursor() as cursor:
        for stroke in strokes:
            values = [field.get_db_prep_save(getattr(stroke, field.attname), connection) for field in fields]
            cursor.execute(statement, [*values, stroke.pk])


def _chunk_payload(stroke_id, chunk, actor, tool, color, width, points):
    return {
        "id": stroke_id, "chunk": chunk, "user": actor.get_username(),
        "tool": tool, "color": color, "width": width, "points": points,
    }


def shape_add(*, board, actor, stroke_id, tool, color, width, points, props=None, origin=None):
    """
    A line, arrow, rectangle, ellipse or diamond between two corner points,
    with its fill, opacity, dash and arrowheads (`props`), and a line's or
    arrow's ends attached to elements; re-sending it changes nothing.
    """
    check_bindings(board=board, stroke_id=stroke_id, props=props or {})
    payload = {"shape": tool, "color": color, "width": width, "points": points, **(props or {})}
    return element_add(
        board=board, actor=actor, stroke_id=stroke_id, tool=tool, color=color, width=width, points=points,
        props=props or {}, event_type="shape", payload=payload, origin=origin,
    )


def check_bindings(*, board, stroke_id, props):
    """
    A line's or arrow's ends attached to elements (`start`, `end`) name
    elements of this board, not itself. An element is never deleted (erased
    ones are kept for undo), so what is attached stays attached.
    """
    targets = {props[end]["id"] for end in ATTACHED_ENDS if end in props}
    if stroke_id in targets:
        raise ActionError("invalid_field", "A line or arrow cannot be attached to itself.")
    if targets and Stroke.objects.filter(board=board, client_id__in=targets).count() != len(targets):
        raise ActionError("unknown_element", "A line or arrow can only be attached to an element of this board.")


def text_add(*, board, actor, stroke_id, tool, color, points, props, origin=None):
    """
    A text or sticky note (`tool`) laid out in the box `points`, with its
    words, size, alignment and a note's fill (`props`); re-sending it changes nothing.
    """
    payload = {"kind": tool, "color": color, "points": points, **props}
    return element_add(
        board=board, actor=actor, stroke_id=stroke_id, tool=tool, color=color, width=0, points=points,
        props=props, event_type="text", payload=payload, origin=origin,
    )


@transaction.atomic
def element_add(*, board, actor, stroke_id, tool, color, width, points, props, event_type, payload, origin):
    """Store an element sent whole in one message, as one event and one undoable step."""
    lock_board(board, actor=actor, origin=origin)
    stroke = Stroke.objects.filter(board=board, client_id=stroke_id).first()
    if stroke is not None:
        check_stroke_matches(stroke=stroke, actor=actor, tool=tool, color=color, width=width)
        return Applied(seq=stroke.created_seq, details={"duplicate": True})
    check_board_room(board=board)
    board.stored_strokes += 1
    event = record_event(
        board=board,
        type=event_type,
        payload={"id": stroke_id, "user": actor.get_username(), **payload},
        actor=actor,
        origin=origin,
        board_fields=("stored_strokes",),
    )
    Stroke.objects.create(
        board=board, client_id=stroke_id, author=actor, tool=tool, color=color, width=width, props=props,
        points_json=encode_frame(points), points_packed=packed(points), point_count=len(points),
        chunk_seqs=[event.seq], created_seq=event.seq, **element_bounds(tool, points, props),
    )
    history_record(board=board, user=actor, kind=HistoryStep.Kind.DRAW, stroke_ids=[stroke_id])
    return Applied(seq=event.seq, details={})


# Erasing and clearing


def _visible_ids(*, board, stroke_ids=None):
    """Those of `stroke_ids` (all the board's) still visible, in created order; the board was locked first."""
    return stored_visibility.visible_ids(board=board, stroke_ids=stroke_ids, unwritten=board.unwritten_visibility)


@transaction.atomic
def strokes_erase(*, board, actor, stroke_ids, origin=None):
    """Hide the given strokes that are still on the board (any author's): one undoable step."""
    lock_board(board, actor=actor, origin=origin)
    erased = _visible_ids(board=board, stroke_ids=stroke_ids)
    if not erased:
        raise ActionError("nothing_to_erase", "Those strokes are already gone.")
    history_record(board=board, user=actor, kind=HistoryStep.Kind.ERASE, stroke_ids=erased)
    event = record_event(
        board=board, type="erase", payload={"user": actor.get_username(), "ids": erased}, actor=actor, origin=origin
    )
    stored_visibility.record_change(board=board, kind="erase", seq=event.seq, frame=event.payload, changed=len(erased))
    return Applied(seq=event.seq, details={"ids": erased})


@transaction.atomic
def board_clear(*, board, actor, origin=None):
    """
    Hide every stroke on the board, as one step its author can undo. The
    event carries no ids: a client that applied every earlier event hides
    every stroke it holds that was stored before the clear's seq.
    """
    lock_board(board, actor=actor, origin=origin)
    cleared = _visible_ids(board=board)
    if not cleared:
        raise ActionError("board_empty", "The board is already empty.")
    history_record(board=board, user=actor, kind=HistoryStep.Kind.CLEAR, stroke_ids=cleared)
    event = record_event(board=board, type="clear", payload={"user": actor.get_username()}, actor=actor, origin=origin)
    stored_visibility.record_change(board=board, kind="clear", seq=event.seq, frame=event.payload, changed=len(cleared))
    return Applied(seq=event.seq, details={})


# Moving


def check_on_canvas(*, board, stroke_ids, dx, dy):
    """Refuse a move that would take any of the elements past the canvas's edges."""
    extent = Stroke.objects.filter(board=board, client_id__in=stroke_ids).aggregate(
        left=Min(F("min_x") + F("offset_x")), top=Min(F("min_y") + F("offset_y")),
        right=Max(F("max_x") + F("offset_x")), bottom=Max(F("max_y") + F("offset_y")),
    )
    if extent["left"] is None:
        return
    if (
        extent["left"] + dx < MIN_COORDINATE or extent["top"] + dy < MIN_COORDINATE
        or extent["right"] + dx > MAX_COORDINATE or extent["bottom"] + dy > MAX_COORDINATE
    ):
        raise ActionError("out_of_range", "That would move them off the canvas.")


def apply_moves(*, board, moves, seq, author, client_id=""):
    """
    Translate elements as `moves` ([dx, dy, [client ids]]) say, and record
    each translation as a Move of event `seq`; `client_id` names a `move`'s own.
    """
    for dx, dy, stroke_ids in moves:
        for batch in in_batches(stroke_ids):
            # Sums of moves in 1/10,000 of the board: whoever reads them rounds them (replay.offset).
            Stroke.objects.filter(board=board, client_id__in=batch).update(
                offset_x=F("offset_x") + dx, offset_y=F("offset_y") + dy
            )
    Move.objects.bulk_create([
        Move(board=board, client_id=client_id if index == 0 else "", seq=seq, author=author, dx=dx, dy=dy, stroke_ids=ids)
        for index, (dx, dy, ids) in enumerate(moves)
    ])


def check_not_held(*, board, stroke_ids, connection, now=None):
    """Refuse when another connection holds one of the elements: `held`, naming who."""
    now = now or timezone.now()
    held = (
        Stroke.objects.filter(board=board, client_id__in=stroke_ids, held_until__gt=now)
        .exclude(held_connection__in=["", connection or ""])
        .select_related("held_by")
        .first()
    )
    if held is not None:
        name = held.held_by.get_username() if held.held_by else "someone"
        raise ActionError("held", f"{name} is moving that right now.", id=held.client_id, user=name)


@transaction.atomic
def elements_move(*, board, actor, move_id, stroke_ids, dx, dy, connection="", origin=None):
    """
    Move the given elements that are still on the board (anyone's) by
    (dx, dy) board fractions: one event and one step their mover can undo,
    however many they are. A move re-sent with the same id changes nothing;
    one of elements another `connection` holds (whiteboard.holds) is refused.
    """
    lock_board(board, actor=actor, origin=origin)
    done = Move.objects.filter(board=board, client_id=move_id).first()
    if done is not None:
        if done.author_id != actor.pk:
            raise ActionError("id_taken", "Another move already has that id; choose a new one.")
        return Applied(seq=done.seq, details={"duplicate": True, "ids": done.stroke_ids})
    moved = _visible_ids(board=board, stroke_ids=stroke_ids)
    if not moved:
        raise ActionError("nothing_to_move", "Those elements were erased or undone meanwhile.")
    check_not_held(board=board, stroke_ids=moved, connection=connection)
    check_on_canvas(board=board, stroke_ids=moved, dx=dx, dy=dy)
    detached = detach_edits(board=board, moved=moved)
    history_record(
        board=board, user=actor, kind=HistoryStep.Kind.MOVE, stroke_ids=moved, moves=[[dx, dy, moved]], edits=detached
    )
    payload = {"id": move_id, "user": actor.get_username(), "ids": moved, "dx": dx, "dy": dy}
    if detached:
        payload["edits"] = rewrites(board=board, edits=detached)
    event = record_event(board=board, type="move", payload=payload, actor=actor, origin=origin)
    apply_edits(board=board, edits=detached, seq=event.seq, author=actor)
    apply_moves(board=board, moves=[[dx, dy, moved]], seq=event.seq, author=actor, client_id=move_id)
    return Applied(seq=event.seq, details={"ids": moved, **({"edits": payload["edits"]} if detached else {})})


def detach_edits(*, board, moved):
    """
    The rewrites ([client id, before, after]) that let go of the attached
    ends of the lines and arrows among `moved` whose elements stay where
    they are: moved alone, such an end would stay drawn on its element and
    the line would not move. Each end let go is written where it is drawn
    now (geometry.attached_ends), so the line moves as the person sees it.
    """
    lines = [
        stroke for stroke in Stroke.objects.filter(board=board, client_id__in=moved, tool__in=LINE_TOOLS)
        if any(stroke.props.get(end) for end in ATTACHED_ENDS)
    ]
    moving = set(moved)
    targets = {
        stroke.props[end]["id"] for stroke in lines for end in ATTACHED_ENDS
        if stroke.props.get(end) and stroke.props[end]["id"] not in moving
    }
    if not targets:
        return []
    elements = {
        client_id: (tool, [[x + offset_x, y + offset_y] for x, y, *_ in json.loads(points_json)], props)
        for client_id, tool, points_json, props, offset_x, offset_y in Stroke.objects.filter(
            board=board, client_id__in=targets
        ).values_list("client_id", "tool", "points_json", "props", "offset_x", "offset_y")
    }
    edits = []
    for stroke in lines:
        ends = [stroke.props.get(end) for end in ATTACHED_ENDS]
        let_go = [anchor is not None and anchor["id"] not in moving for anchor in ends]
        if not any(let_go):
            continue
        before = element_state(stroke)
        points = before["points"]
        drawn = attached_ends(
            [[x + stroke.offset_x, y + stroke.offset_y] for x, y, *_ in points[:2]], end_targets(ends, elements)
        )
        points = [list(point) for point in points]
        props = dict(stroke.props)
        for index, end in enumerate(ATTACHED_ENDS):
            if let_go[index]:
                del props[end]
                if ends[index]["id"] in elements:  # drawn on its element: written there, less the line's offset
                    points[index][:2] = [round(drawn[index][0] - stroke.offset_x, CORNER_DECIMALS),
                                         round(drawn[index][1] - stroke.offset_y, CORNER_DECIMALS)]
        edits.append([stroke.client_id, before, {"color": stroke.color, "props": props, "points": points}])
    return edits


def moves_back(*, board, after_seq, author=None):
    """
    The translations that take every element back to where it was right
    after `after_seq` (only undoing `author`'s moves since, if given), as
    [dx, dy, [client ids]], elements moved alike together.
    """
    groups = defaultdict(list)
    for stroke_id, (dx, dy) in replay.moved_since(board=board, seq=after_seq, author=author).items():
        back = (replay.offset(-dx), replay.offset(-dy))
        if back != (0, 0):
            groups[back].append(stroke_id)
    return [[dx, dy, sorted(ids)] for (dx, dy), ids in sorted(groups.items())]


# Rewriting elements: a text's edit here, resizes, rotations and reorders in whiteboard.transforms


def element_state(stroke):
    """What a rewrite changes of an element: {color, props, points} (its points as drawn, without its offset)."""
    return {"color": stroke.color, "props": stroke.props, "points": json.loads(stroke.points_json)}


# What an element's props hold of where it is rather than what it is: a
# text's edit leaves them as they are.
PLACEMENT_PROPS = ("angle", "z")


def edit_fields(stroke_id, state, version):
    """An `edit` event's fields, or an entry of `edits`: the element, its new version and state, props spread."""
    return {"element": stroke_id, "version": version, "color": state["color"], "points": state["points"], **state["props"]}


def rewrites(*, board, edits):
    """The `edits` entries of an event that writes each [client id, before, after] of `edits` to `after`."""
    versions = dict(
        Stroke.objects.filter(board=board, client_id__in=[stroke_id for stroke_id, _, _ in edits]).values_list(
            "client_id", "version"
        )
    )
    return [
        edit_fields(stroke_id, after, versions[stroke_id] + 1) for stroke_id, _, after in edits if stroke_id in versions
    ]


def apply_edits(*, board, edits, seq, author, client_id=""):
    """
    Write each element of `edits` ([client id, before, after]) as `after`
    says, one version on, and record each as an ElementEdit of event `seq`;
    `client_id` names the change on its first row.
    """
    tools = dict(
        Stroke.objects.filter(board=board, client_id__in=[stroke_id for stroke_id, _, _ in edits]).values_list(
            "client_id", "tool"
        )
    ) if edits else {}
    for stroke_id, _, after in edits:
        points = after["points"]
        Stroke.objects.filter(board=board, client_id=stroke_id).update(
            color=after["color"], props=after["props"], points_json=encode_frame(points), points_packed=packed(points),
            version=F("version") + 1, **element_bounds(tools.get(stroke_id), points, after["props"]),
        )
    ElementEdit.objects.bulk_create([
        ElementEdit(
            board=board, client_id=client_id if index == 0 else "", seq=seq, author=author, stroke_id=stroke_id,
            before=before, after=after,
        )
        for index, (stroke_id, before, after) in enumerate(edits)
    ])


def rewrite_done(*, board, actor, change_id):
    """The Applied of a rewrite this client already sent (`change_id`), or None: re-sending one changes nothing."""
    done = ElementEdit.objects.filter(board=board, client_id=change_id).first()
    if done is None:
        return None
    if done.author_id != actor.pk:
        raise ActionError("id_taken", "Another change already has that id; choose a new one.")
    return Applied(seq=done.seq, details={"duplicate": True})


def elements_rewrite(*, board, actor, change_id, event_type, edits, details=None, origin=None):
    """
    Rewrite elements as `edits` ([client id, before, after]) say, as one
    event of `event_type` carrying their new states (`edits` entries) and
    `details`, and one step the actor can undo. The caller holds the
    board's lock and has checked the change. Returns the event.
    """
    history_record(board=board, user=actor, kind=HistoryStep.Kind.EDIT, stroke_ids=[stroke_id for stroke_id, _, _ in edits],
                   edits=edits)
    event = record_event(
        board=board, type=event_type,
        payload={"id": change_id, "user": actor.get_username(), **(details or {}), "edits": rewrites(board=board, edits=edits)},
        actor=actor, origin=origin,
    )
    apply_edits(board=board, edits=edits, seq=event.seq, author=actor, client_id=change_id)
    return event


@transaction.atomic
def text_edit(*, board, actor, edit_id, stroke_id, version, color, points, props, connection="", origin=None):
    """
    New words (size, alignment, colour, box) for a text or note, as one
    event and one step its writer can undo. `version` is the version the
    writer started from: if someone else changed it since, the edit is
    refused (`edit_conflict`, with what it says now), never applied over
    theirs unseen. `points` are where the box is drawn; re-sent with the same
    id it changes nothing. Its angle and place in front or behind stay.
    """
    lock_board(board, actor=actor, origin=origin)
    done = rewrite_done(board=board, actor=actor, change_id=edit_id)
    if done is not None:
        return done
    stroke = Stroke.objects.filter(board=board, client_id=stroke_id).first()
    if stroke is None or stored_visibility.hidden_among(board=board, strokes=[stroke]):
        raise ActionError("element_gone", "That text was erased or undone meanwhile.", id=stroke_id)
    if stroke.tool not in TEXT_TOOLS:
        raise ActionError("invalid_tool", "Only a text or a sticky note has words to edit.", id=stroke_id)
    check_not_held(board=board, stroke_ids=[stroke_id], connection=connection)
    if stroke.version != version:
        last = ElementEdit.objects.filter(board=board, stroke_id=stroke_id).select_related("author").order_by("-seq").first()
        who = last.author.get_username() if last and last.author else "Someone"
        raise ActionError(
            "edit_conflict", f"{who} changed this text meanwhile: yours was not saved over theirs.",
            id=stroke_id, version=stroke.version, text=stroke.props.get("text", ""),
        )
    props = dict(props)
    fill = props.pop("fill")
    if stroke.tool == Tool.NOTE:
        props["fill"] = fill or stroke.props.get("fill")
    elif fill is not None:
        raise ActionError("invalid_field", "Only a sticky note has `fill`.")
    props.update((name, stroke.props[name]) for name in PLACEMENT_PROPS if name in stroke.props)
    raw = [[round(x - stroke.offset_x, 4), round(y - stroke.offset_y, 4)] for x, y in points]
    before, after = element_state(stroke), {"color": color, "props": props, "points": raw}
    history_record(board=board, user=actor, kind=HistoryStep.Kind.EDIT, stroke_ids=[stroke_id],
                   edits=[[stroke_id, before, after]])
    event = record_event(
        board=board, type="edit", payload={"id": edit_id, "user": actor.get_username(), **edit_fields(stroke_id, after, version + 1)},
        actor=actor, origin=origin,
    )
    apply_edits(board=board, edits=[[stroke_id, before, after]], seq=event.seq, author=actor, client_id=edit_id)
    return Applied(seq=event.seq, details={"version": version + 1})


def states_back(*, board, after_seq, author=None):
    """
    The rewrites ([client id, now, then]) that make every element what it
    was right after `after_seq`; with `author`, only those no one but them
    rewrote since (what others changed meanwhile stays).
    """
    edits = ElementEdit.objects.filter(board=board, seq__gt=after_seq).order_by("seq")
    first, editors = {}, defaultdict(set)
    for stroke_id, before, author_id in edits.values_list("stroke_id", "before", "author_id").iterator():
        first.setdefault(stroke_id, before)
        editors[stroke_id].add(author_id)
    if author is not None:
        first = {stroke_id: before for stroke_id, before in first.items() if editors[stroke_id] == {author.pk}}
    strokes = Stroke.objects.filter(board=board, client_id__in=list(first))
    return [
        [stroke.client_id, element_state(stroke), first[stroke.client_id]]
        for stroke in strokes.order_by("created_seq")
        if element_state(stroke) != first[stroke.client_id]
    ]


# Undo and redo


class BoardStates:
    """
    The states (stored_visibility.stroke_states) of the strokes an undo,
    redo or restore may hide or show, read in one go (or from the whole
    board's `rows`, read_rows), and how many strokes each mark names:
    counted here when the whole board was read, else asked of the database.
    """

    def __init__(self, *, board, stroke_ids, whole_board=False, rows=None):
        self.board = board
        stroke_ids = set(stroke_ids)
        # An unwritten event may have marked any stroke: only the whole board tells how many a mark names.
        self.whole_board = (
            whole_board or rows is not None or bool(board.unwritten_visibility)
            or len(stroke_ids) > stored_visibility.SCAN_OVER
        )
        if rows is None:
            rows = stored_visibility.read_rows(board=board, stroke_ids=None if self.whole_board else stroke_ids)
        self.states = stored_visibility.states_of(board=board, rows=rows, unwritten=board.unwritten_visibility)

    def of(self, stroke_ids, *, hidden):
        """{client id: state} of those of `stroke_ids` hidden (or visible) as asked, in their order."""
        return {
            client_id: self.states[client_id]
            for client_id in stroke_ids
            if client_id in self.states and self.states[client_id][0] == hidden
        }

    def marked_counts(self, marks, *, hidden):
        """How many strokes each mark in `marks` has, hidden or visible as asked."""
        if not marks:
            return {}
        if not self.whole_board:  # then every event is written: the rows say
            rows = (
                Stroke.objects.filter(board=self.board, hidden=hidden, hidden_by__in=list(marks))
                .values("hidden_by").annotate(count=Count("id")).values_list("hidden_by", "count")
            )
            return dict(rows)
        marks = set(marks)
        counts = defaultdict(int)
        for is_hidden, hidden_by, _ in self.states.values():
            if is_hidden == hidden and hidden_by in marks:
                counts[hidden_by] += 1
        return counts

    def by_marks(self, states, *, hidden):
        """
        Split strokes (client id -> state) into the marks that name exactly
        them among the board's strokes hidden (or visible) as asked, and the
        ids no mark names alone.
        """
        groups = defaultdict(list)
        for client_id, (_, hidden_by, _) in states.items():
            groups[hidden_by].append(client_id)
        counts = self.marked_counts([mark for mark in groups if mark], hidden=hidden)
        marks = sorted(mark for mark, ids in groups.items() if mark and counts.get(mark) == len(ids))
        ids = [client_id for mark, group in groups.items() if mark not in marks for client_id in group]
        return marks, ids


def visibility_change(*, board, to_hide, to_show, after=None, after_user=None, states=None):
    """
    The fields of an undo, redo or restore event that hide `to_hide` and
    show `to_show` (client ids): those of them that are visible, and hidden,
    now. Marks or a rule name them wherever one names exactly those
    strokes (whiteboard.visibility), so the event stays small however large
    the board; ids are listed only for the rest. `after` (and
    `after_user`): the strokes drawn after that seq (by that user) may be
    named by `hide_after`; `states`: the whole board's BoardStates, if the
    caller read them. Returns (fields, the strokes hidden, the strokes
    shown).
    """
    if states is None:
        states = BoardStates(board=board, stroke_ids=[*to_hide, *to_show], whole_board=after is not None)
    hide, show = states.of(to_hide, hidden=False), states.of(to_show, hidden=True)
    fields = {}
    hidden_after = set()
    if after is not None and hide:
        drawn_after = Stroke.objects.filter(board=board, created_seq__gt=after)
        if after_user is not None:
            drawn_after = drawn_after.filter(author=after_user)
        drawn_after = {
            client_id for client_id in drawn_after.values_list("client_id", flat=True) if not states.states[client_id][0]
        }
        if drawn_after and drawn_after <= hide.keys():
            author = {"user": after_user.get_username(), "user_id": after_user.pk} if after_user else {}
            fields["hide_after"] = {"seq": after, **author}
            hide = {client_id: state for client_id, state in hide.items() if client_id not in drawn_after}
            hidden_after = drawn_after
    hide_marks, hide_ids = states.by_marks(hide, hidden=False)
    show_marks, show_ids = states.by_marks(show, hidden=True)
    for name, values in (("hide", hide_ids), ("hide_marks", hide_marks), ("show_ids", show_ids), ("show_marks", show_marks)):
        if values:
            fields[name] = values
    return fields, [*hide, *hidden_after], list(show)


def _apply_step(*, board, actor, step, undo, origin):
    """
    Undoing a drawing hides its stroke; undoing an erase or clear shows its
    strokes; undoing a restore shows what it hid and hides what it brought
    back, and moves back what it moved and writes back what it rewrote;
    undoing a move moves its elements back, wherever they are now; undoing an
    edit writes back the words before it. Redo is the reverse.
    """
    if step.kind in (HistoryStep.Kind.MOVE, HistoryStep.Kind.EDIT):
        to_hide, to_show = [], []
    elif step.kind == HistoryStep.Kind.DRAW:
        to_hide, to_show = (step.stroke_ids, []) if undo else ([], step.stroke_ids)
    else:
        to_hide, to_show = (step.shown_ids, step.stroke_ids) if undo else (step.stroke_ids, step.shown_ids)
    fields, hidden, shown = visibility_change(board=board, to_hide=to_hide, to_show=to_show)
    if step.moves:
        fields["moves"] = [[-dx, -dy, ids] for dx, dy, ids in step.moves] if undo else step.moves
    edits = [[stroke_id, after, before] if undo else [stroke_id, before, after] for stroke_id, before, after in step.edits]
    if edits:
        fields["edits"] = rewrites(board=board, edits=edits)
    step.undone = undo
    step.save(update_fields=["undone"])
    event = record_event(
        board=board,
        type="undo" if undo else "redo",
        payload={"user": actor.get_username(), "step": step.kind, **fields},
        actor=actor,
        origin=origin,
    )
    stored_visibility.record_change(
        board=board, kind=event.payload["type"], seq=event.seq, frame=fields, changed=len(hidden) + len(shown)
    )
    apply_moves(board=board, moves=fields.get("moves", ()), seq=event.seq, author=actor)
    apply_edits(board=board, edits=edits, seq=event.seq, author=actor)
    return Applied(seq=event.seq, details={"step": step.kind, **fields, **history_state(board=board, user=actor)})


@transaction.atomic
def history_undo(*, board, actor, origin=None):
    """Undo the actor's latest step on this board that is not undone yet."""
    lock_board(board, actor=actor, origin=origin)
    step = HistoryStep.objects.filter(board=board, user=actor, undone=False).order_by("-id").first()
    if step is None:
        raise ActionError("nothing_to_undo", "There is nothing of yours to undo on this board.")
    return _apply_step(board=board, actor=actor, step=step, undo=True, origin=origin)


@transaction.atomic
def history_redo(*, board, actor, origin=None):
    """Redo the actor's most recently undone step (the oldest of the undone ones)."""
    lock_board(board, actor=actor, origin=origin)
    step = HistoryStep.objects.filter(board=board, user=actor, undone=True).order_by("id").first()
    if step is None:
        raise ActionError("nothing_to_redo", "There is nothing of yours to redo on this board.")
    return _apply_step(board=board, actor=actor, step=step, undo=False, origin=origin)


# Restoring (the owner's answer to lost work and vandals)


def _check_can_restore(*, board, actor, seq, name):
    """Only the owner restores, and only to a seq the board has reached; returns the board's latest seq."""
    if not board.is_owner(actor):
        raise ActionError("forbidden", "Only the board’s owner can restore it.")
    last_seq = Board.objects.values_list("last_seq", flat=True).get(pk=board.pk)
    if not 0 <= seq <= last_seq:
        raise ActionError("out_of_range", f"`{name}` must be between 0 and {last_seq}, the board's latest seq.")
    return last_seq


@transaction.atomic
def board_restore(*, board, actor, to_seq, origin=None):
    """
    Make the board look as it did right after event `to_seq` (0: empty), as
    one `restore` event and one step the owner can undo. Strokes are restored
    whole: one that was half drawn at `to_seq` comes back with all its points.
    """
    lock_board(board, actor=actor, origin=origin)
    _check_can_restore(board=board, actor=actor, seq=to_seq, name="to_seq")
    rows = stored_visibility.read_rows(board=board)
    target = replay.visible_stroke_ids_at(board=board, seq=to_seq, rows=rows)
    return _restore_visible(
        board=board, actor=actor, target=target, rows=rows, moves=moves_back(board=board, after_seq=to_seq),
        edits=states_back(board=board, after_seq=to_seq), details={"to_seq": to_seq}, after=to_seq, origin=origin,
    )


@transaction.atomic
def board_revert_user(*, board, actor, username, after_seq, origin=None):
    """
    Undo everything `username` did on the board after event `after_seq`: their
    later strokes go, what they erased or cleared comes back, and their undos
    and redos no longer count. What others did meanwhile stays. One `restore`
    event, one step the owner can undo.
    """
    lock_board(board, actor=actor, origin=origin)
    last_seq = _check_can_restore(board=board, actor=actor, seq=after_seq, name="after_seq")
    reverted = get_user_model().objects.filter(username=collab_services.clean_username(username)).first()
    if reverted is None:
        raise ActionError("unknown_user", "There is no user with that name.")
    rows = stored_visibility.read_rows(board=board)
    target = replay.visible_stroke_ids_at(
        board=board, seq=last_seq, ignoring=replay.Ignoring(user_id=reverted.pk, after_seq=after_seq), rows=rows
    )
    details = {"revert_user": reverted.get_username(), "after_seq": after_seq}
    return _restore_visible(
        board=board, actor=actor, target=target, rows=rows,
        moves=moves_back(board=board, after_seq=after_seq, author=reverted),
        edits=states_back(board=board, after_seq=after_seq, author=reverted), details=details, after=after_seq,
        after_user=reverted, origin=origin,
    )


def _restore_visible(*, board, actor, target, rows, moves, edits, details, after, after_user=None, origin):
    """
    Hide and show strokes so that exactly `target` (client ids) is visible,
    make `moves` and rewrite `edits`; record the step and the event. `rows`:
    the board's strokes as stored (stored_visibility.read_rows).
    """
    states = BoardStates(board=board, stroke_ids=(), rows=rows)
    current = [stroke_id for stroke_id, (hidden, _, _) in states.states.items() if not hidden]
    wanted, present = set(target), set(current)
    fields, hidden, shown = visibility_change(
        board=board,
        to_hide=[stroke_id for stroke_id in current if stroke_id not in wanted],
        to_show=[stroke_id for stroke_id in target if stroke_id not in present],
        after=after, after_user=after_user, states=states,
    )
    if not hidden and not shown and not moves and not edits:
        raise ActionError("nothing_to_restore", "The board already looks like that.")
    history_record(
        board=board, user=actor, kind=HistoryStep.Kind.RESTORE, stroke_ids=hidden, shown_ids=shown, moves=moves,
        edits=edits,
    )
    if moves:
        fields["moves"] = moves
    if edits:
        fields["edits"] = rewrites(board=board, edits=edits)
    event = record_event(
        board=board, type="restore", payload={"user": actor.get_username(), **details, **fields}, actor=actor, origin=origin
    )
    stored_visibility.record_change(
        board=board, kind="restore", seq=event.seq, frame=fields, changed=len(hidden) + len(shown)
    )
    apply_moves(board=board, moves=moves, seq=event.seq, author=actor)
    apply_edits(board=board, edits=edits, seq=event.seq, author=actor)
    return Applied(seq=event.seq, details={**details, **fields, **history_state(board=board, user=actor)})
