"""
The board as it was at any seq: for the history panel, restores, reverts and
`export.svg?seq=N`.

There are two ways to the same answer, and the tests check that they agree at
every seq:

- `replay_frames` applies the stored event frames one by one, exactly as a
  client does (docs/protocol.md, Whiteboard). It is the definition of "what
  everyone saw", and what the page's time-lapse does in the browser.
- `visible_stroke_ids_at` and `strokes_at` are the fast path the server uses.
  When each stroke started comes from the Stroke rows (`created_seq`), so the
  only events read are the few that hide or show strokes (erase, clear, undo,
  redo, restore), never the stroke chunks that make up nearly all of a board's
  history. Points come from the Stroke rows, cut back to the chunks stored by
  then for a stroke that was still being drawn.
"""

import json
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q

from whiteboard import stored_visibility
from whiteboard.models import BoardEvent, Move, Stroke, ElementEdit
from whiteboard.protocol import COORDINATE_DECIMALS
from whiteboard.visibility import CHANGE_TYPES, Visibility, replayed

VISIBILITY_EVENT_TYPES = ("erase", "clear", *CHANGE_TYPES)
HISTORY_PAGE_SIZE = 2000


def draw_key(created_seq, props):
    """
    Where an element is drawn among the others, the later on top: at its
    `z` if an `order` gave it one (whiteboard.transforms), else at its
    created seq; ties (never between two `z`s) by created seq.
    """
    return (props.get("z", created_seq), created_seq)


def in_drawing_order(strokes, created):
    """`strokes` (dicts of a stroke's fields) sorted by draw_key; `created`: {id: created seq}."""
    return sorted(strokes, key=lambda stroke: draw_key(created[stroke["id"]], stroke["props"]))


def replay_frames(frames):
    """
    Apply event frames in seq order from an empty board, as a client does.
    Returns the visible strokes in drawing order, each a dict of the fields of
    a stroke (docs/protocol.md, A stroke) with its points as a list.
    """
    strokes = {}  # id -> dict of a stroke's fields
    created = {}  # id -> created seq
    visibility = Visibility()
    for frame in frames:
        kind, seq = frame["type"], frame["seq"]
        if kind == "move":
            _rewrite(strokes, frame.get("edits", ()))  # the ends of lines let go of what stayed
            _move(strokes, [[frame["dx"], frame["dy"], frame["ids"]]])
        elif kind == "edit":
            _rewrite(strokes, [frame])
        elif kind in ("transform", "order"):
            _rewrite(strokes, frame["edits"])
        elif kind in ("undo", "redo", "restore"):
            _move(strokes, frame.get("moves", ()))
            _rewrite(strokes, frame.get("edits", ()))
        if kind == "stroke":
            held = strokes.get(frame["id"])
            if held is None:
                held = strokes[frame["id"]] = {
                    "id": frame["id"], "user": frame["user"], "tool": frame["tool"], "color": frame["color"],
                    "width": frame["width"], "chunks": 0, "points": [], "props": {}, "dx": 0.0, "dy": 0.0, "version": 0,
                }
                visibility.started(frame["id"], created_seq=seq, user=frame["user"])
                created[frame["id"]] = seq
            if frame["chunk"] == held["chunks"]:
                held["points"] = held["points"] + frame["points"]
                held["chunks"] += 1
        elif kind in ("shape", "text", "image"):
            if frame["id"] not in strokes:
                strokes[frame["id"]] = element_from_frame(frame)
                visibility.started(frame["id"], created_seq=seq, user=frame["user"])
                created[frame["id"]] = seq
        else:
            for shown in frame.get("show", ()):  # events stored before marks held whole strokes
                held = strokes.get(shown["id"])
                if held is None or held["chunks"] < shown["chunks"]:
                    strokes[shown["id"]] = {"props": {}, "dx": 0.0, "dy": 0.0, "version": 0, **shown}
                    visibility.started(shown["id"], created_seq=seq, user=shown["user"], hidden=True)
                    created.setdefault(shown["id"], seq)
            visibility.apply(kind, seq, frame)
    return in_drawing_order([strokes[stroke_id] for stroke_id in visibility.visible_ids()], created)


def offset(value):
    """An offset as stored: a sum of moves, each in 1/10,000 of the board, rounded to that."""
    return round(value, COORDINATE_DECIMALS) + 0.0  # + 0.0: no -0.0


def _move(strokes, moves):
    for dx, dy, stroke_ids in moves:
        for stroke_id in stroke_ids:
            held = strokes.get(stroke_id)
            if held is not None:
                held["dx"], held["dy"] = offset(held["dx"] + dx), offset(held["dy"] + dy)


# The fields of an `edit` event, or of an entry of `edits`, that are not the text's props.
EDIT_FIELDS = frozenset({"type", "seq", "id", "user", "element", "version", "color", "points"})


def edit_state(edit):
    """The {color, props, points} an `edit` frame (or an entry of `edits`) gives its element."""
    return {
        "color": edit["color"], "points": edit["points"],
        "props": {name: value for name, value in edit.items() if name not in EDIT_FIELDS},
    }


def _rewrite(strokes, edits):
    for edit in edits:
        held = strokes.get(edit["element"])
        if held is not None:
            held.update(edit_state(edit), version=edit["version"])


def states_at(*, board, seq):
    """
    {client id: ({color, props, points}, rewrites since)} of the elements
    rewritten after `seq`: what each was then, and how many versions it has had since.
    """
    states = {}
    for stroke_id, before in (
        ElementEdit.objects.filter(board=board, seq__gt=seq).order_by("-seq").values_list("stroke_id", "before").iterator()
    ):
        since = states[stroke_id][1] if stroke_id in states else 0
        states[stroke_id] = (before, since + 1)  # the earliest edit after `seq` is read last
    return states


def moved_since(*, board, seq, author=None):
    """{client id: [dx, dy]}: how far each element moved after `seq` (by `author`'s moves alone, if given)."""
    moves = Move.objects.filter(board=board, seq__gt=seq)
    if author is not None:
        moves = moves.filter(author=author)
    moved = defaultdict(lambda: [0.0, 0.0])
    for dx, dy, stroke_ids in moves.order_by().values_list("dx", "dy", "stroke_ids").iterator():
        for stroke_id in stroke_ids:
            moved[stroke_id][0] += dx
            moved[stroke_id][1] += dy
    return moved


# The fields of a `shape` or `text` event that are the element's, not its props.
ELEMENT_FIELDS = frozenset({"type", "seq", "id", "user", "shape", "kind", "color", "width", "points"})


def element_from_frame(frame):
    """The stroke fields of a `shape`, `text` or `image` event's element (docs/protocol.md, A stroke)."""
    return {
        "id": frame["id"], "user": frame["user"], "tool": frame.get("shape") or frame["kind"], "color": frame["color"],
        "width": frame.get("width", 0), "chunks": 1, "points": frame["points"],
        "props": {name: value for name, value in frame.items() if name not in ELEMENT_FIELDS}, "dx": 0.0, "dy": 0.0,
        "version": 0,
    }


@dataclass(frozen=True)
class Ignoring:
    """A user's changes after a seq, left out of a replay: what reverting that user computes."""

    user_id: int
    after_seq: int


def visible_stroke_ids_at(*, board, seq, ignoring=None, rows=None):
    """
    The client ids of the strokes visible right after event `seq`, in drawing
    order. With `ignoring`, as if that user had done nothing after its seq:
    their later strokes never started and their later erases, clears, undos and
    redos never happened. `rows`: the board's strokes as
    stored_visibility.read_rows gives them, if the caller has read them.
    """
    if rows is None:
        rows = stored_visibility.read_rows(board=board)
    kept = [
        (client_id, created_seq, author_id)
        for client_id, _, _, created_seq, author_id in rows
        if created_seq <= seq
        and not (ignoring is not None and author_id == ignoring.user_id and created_seq > ignoring.after_seq)
    ]
    changes = BoardEvent.objects.filter(board=board, seq__lte=seq, type__in=VISIBILITY_EVENT_TYPES)
    if ignoring is not None:
        changes = changes.exclude(Q(author_id=ignoring.user_id) & Q(seq__gt=ignoring.after_seq))
    # Events stored before `hide_after` named its user by id match strokes by username.
    usernames = dict(
        get_user_model().objects.filter(pk__in={author_id for _, _, author_id in kept}).values_list("pk", "username")
    )
    starts = [
        (client_id, created_seq, usernames.get(author_id, ""), False, 0, author_id)
        for client_id, created_seq, author_id in kept
    ]
    return replayed(starts, changes.order_by("seq").values_list("seq", "type", "payload").iterator()).visible_ids()


@dataclass(frozen=True)
class HistoricStroke:
    """A stroke as it was at some seq: `points_json` holds exactly the chunks stored by then."""

    client_id: str
    username: str
    tool: str
    color: str
    width: float
    chunks: int
    points_json: str
    props: dict
    dx: float  # how far it had moved by then
    dy: float
    version: int  # how many edits of its text by then

    def frame(self):
        """The fields of a stroke (docs/protocol.md, A stroke), its points as a list."""
        return {
            "id": self.client_id, "user": self.username, "tool": self.tool, "color": self.color,
            "width": self.width, "chunks": self.chunks, "points": json.loads(self.points_json), "props": self.props,
            "dx": self.dx, "dy": self.dy, "version": self.version,
        }


def strokes_at(*, board, seq):
    """The strokes visible right after event `seq`, in drawing order (draw_key), as they were then."""
    visible = visible_stroke_ids_at(board=board, seq=seq)
    wanted = set(visible)
    rows = (
        Stroke.objects.filter(board=board, created_seq__lte=seq)
        .order_by("created_seq")
        .values_list(
            "client_id", "author__username", "tool", "color", "width", "chunk_seqs", "points_json", "props", "offset_x",
            "offset_y", "version", "created_seq",
        )
    )
    moved = moved_since(board=board, seq=seq)
    rewritten = states_at(board=board, seq=seq)
    strokes, unfinished, keys = [], {}, {}
    for client_id, username, tool, color, width, chunk_seqs, points_json, props, dx, dy, version, created_seq in (
        rows.iterator()
    ):
        if client_id in rewritten:
            then, since = rewritten[client_id]
            color, props, points_json = then["color"], then["props"], json.dumps(then["points"], separators=(",", ":"))
            version -= since
        if client_id not in wanted:
            continue
        held_chunks = sum(1 for chunk_seq in chunk_seqs if chunk_seq <= seq)
        if held_chunks < len(chunk_seqs):
            unfinished[client_id] = chunk_seqs[:held_chunks]
        keys[client_id] = draw_key(created_seq, props)
        later_x, later_y = moved.get(client_id, (0, 0))
        strokes.append(HistoricStroke(
            client_id, username or "", tool, color, width, held_chunks, points_json, props, offset(dx - later_x),
            offset(dy - later_y), version,
        ))
    if unfinished:
        strokes = _cut_back(board=board, strokes=strokes, unfinished=unfinished)
    return sorted(strokes, key=lambda stroke: keys[stroke.client_id])


def chunk_points(*, board, chunk_seqs):
    """The points of the stroke chunks stored as events `chunk_seqs`, joined per stroke: {client id: points}."""
    points = {}
    for frame in BoardEvent.objects.filter(board=board, seq__in=chunk_seqs).order_by("seq").values_list("payload", flat=True):
        points.setdefault(frame["id"], []).extend(frame["points"])
    return points


def _cut_back(*, board, strokes, unfinished):
    """Rebuild the points of strokes that were still being drawn from the chunk events stored by then."""
    points = chunk_points(board=board, chunk_seqs=[chunk_seq for seqs in unfinished.values() for chunk_seq in seqs])
    return [
        HistoricStroke(
            stroke.client_id, stroke.username, stroke.tool, stroke.color, stroke.width, stroke.chunks,
            json.dumps(points.get(stroke.client_id, []), separators=(",", ":")), stroke.props, stroke.dx, stroke.dy,
            stroke.version,
        )
        if stroke.client_id in unfinished
        else stroke
        for stroke in strokes
    ]


def history_page(*, board, after, limit=HISTORY_PAGE_SIZE):
    """
    Events with seq > `after`, oldest first, at most `limit`: each stored frame
    exactly as broadcast, and beside it when it happened (ms since the epoch).
    """
    rows = list(
        BoardEvent.objects.filter(board=board, seq__gt=after).order_by("seq").values_list("payload", "created_at")[:limit]
    )
    return {
        "events": [payload for payload, _ in rows],
        "times": [round(created_at.timestamp() * 1000) for _, created_at in rows],
    }
