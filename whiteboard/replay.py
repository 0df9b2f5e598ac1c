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
from dataclasses import dataclass

from django.db.models import Q

from whiteboard.models import BoardEvent, Stroke

VISIBILITY_EVENT_TYPES = ("erase", "clear", "undo", "redo", "restore")
HISTORY_PAGE_SIZE = 2000


def replay_frames(frames):
    """
    Apply event frames in seq order from an empty board, as a client does.
    Returns the visible strokes in drawing order, each a dict of the fields of
    a stroke (docs/protocol.md, A stroke) with its points as a list.
    """
    strokes = {}  # id -> {"stroke": dict of a stroke's fields, "created_seq": int, "hidden": bool}

    def hide(ids):
        for stroke_id in ids:
            if stroke_id in strokes:
                strokes[stroke_id]["hidden"] = True

    for frame in frames:
        kind, seq = frame["type"], frame["seq"]
        if kind == "stroke":
            held = strokes.get(frame["id"])
            if held is None:
                held = strokes[frame["id"]] = {
                    "stroke": {
                        "id": frame["id"], "user": frame["user"], "tool": frame["tool"], "color": frame["color"],
                        "width": frame["width"], "chunks": 0, "points": [],
                    },
                    "created_seq": seq,
                    "hidden": False,
                }
            if frame["chunk"] == held["stroke"]["chunks"]:
                held["stroke"]["points"] = held["stroke"]["points"] + frame["points"]
                held["stroke"]["chunks"] += 1
        elif kind == "shape":
            if frame["id"] not in strokes:
                strokes[frame["id"]] = {
                    "stroke": {
                        "id": frame["id"], "user": frame["user"], "tool": frame["shape"], "color": frame["color"],
                        "width": frame["width"], "chunks": 1, "points": frame["points"],
                    },
                    "created_seq": seq,
                    "hidden": False,
                }
        elif kind == "erase":
            hide(frame["ids"])
        elif kind == "clear":
            hide([stroke_id for stroke_id, held in strokes.items() if held["created_seq"] < seq])
        elif kind in ("undo", "redo", "restore"):
            hide(frame["hide"])
            for shown in frame["show"]:
                held = strokes.get(shown["id"])
                if held is None or held["stroke"]["chunks"] < shown["chunks"]:
                    strokes[shown["id"]] = {"stroke": dict(shown), "created_seq": seq, "hidden": False}
                else:
                    held["hidden"] = False
    ordered = sorted(strokes.values(), key=lambda held: held["created_seq"])
    return [held["stroke"] for held in ordered if not held["hidden"]]


@dataclass(frozen=True)
class Ignoring:
    """A user's changes after a seq, left out of a replay: what reverting that user computes."""

    user_id: int
    after_seq: int


def visible_stroke_ids_at(*, board, seq, ignoring=None):
    """
    The client ids of the strokes visible right after event `seq`, in drawing
    order. With `ignoring`, as if that user had done nothing after its seq:
    their later strokes never started and their later erases, clears, undos and
    redos never happened.
    """
    strokes = Stroke.objects.filter(board=board, created_seq__lte=seq)
    changes = BoardEvent.objects.filter(board=board, seq__lte=seq, type__in=VISIBILITY_EVENT_TYPES)
    if ignoring is not None:
        strokes = strokes.exclude(author_id=ignoring.user_id, created_seq__gt=ignoring.after_seq)
        changes = changes.exclude(Q(author_id=ignoring.user_id) & Q(seq__gt=ignoring.after_seq))
    starts = list(strokes.order_by("created_seq").values_list("client_id", "created_seq"))
    created_seq = dict(starts)
    visible = set()
    started = 0
    for change_seq, kind, frame in changes.order_by("seq").values_list("seq", "type", "payload").iterator():
        while started < len(starts) and starts[started][1] < change_seq:
            visible.add(starts[started][0])
            started += 1
        if kind == "erase":
            visible.difference_update(frame["ids"])
        elif kind == "clear":
            visible.clear()
        else:
            visible.difference_update(frame["hide"])
            visible.update(shown["id"] for shown in frame["show"] if shown["id"] in created_seq)
    visible.update(client_id for client_id, _ in starts[started:])
    return sorted(visible, key=created_seq.__getitem__)


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

    def frame(self):
        """The fields of a stroke (docs/protocol.md, A stroke), its points as a list."""
        return {
            "id": self.client_id, "user": self.username, "tool": self.tool, "color": self.color,
            "width": self.width, "chunks": self.chunks, "points": json.loads(self.points_json),
        }


def strokes_at(*, board, seq):
    """The strokes visible right after event `seq`, in drawing order, with the points they had then."""
    visible = visible_stroke_ids_at(board=board, seq=seq)
    wanted = set(visible)
    rows = (
        Stroke.objects.filter(board=board, created_seq__lte=seq)
        .order_by("created_seq")
        .values_list("client_id", "author__username", "tool", "color", "width", "chunk_seqs", "points_json")
    )
    strokes, unfinished = [], {}
    for client_id, username, tool, color, width, chunk_seqs, points_json in rows.iterator():
        if client_id not in wanted:
            continue
        held_chunks = sum(1 for chunk_seq in chunk_seqs if chunk_seq <= seq)
        if held_chunks < len(chunk_seqs):
            unfinished[client_id] = chunk_seqs[:held_chunks]
        strokes.append(HistoricStroke(client_id, username or "", tool, color, width, held_chunks, points_json))
    if unfinished:
        strokes = _cut_back(board=board, strokes=strokes, unfinished=unfinished)
    return strokes


def _cut_back(*, board, strokes, unfinished):
    """Rebuild the points of strokes that were still being drawn from the chunk events stored by then."""
    chunk_seqs = [chunk_seq for seqs in unfinished.values() for chunk_seq in seqs]
    points = {}
    for frame in BoardEvent.objects.filter(board=board, seq__in=chunk_seqs).order_by("seq").values_list("payload", flat=True):
        points.setdefault(frame["id"], []).extend(frame["points"])
    return [
        HistoricStroke(
            stroke.client_id, stroke.username, stroke.tool, stroke.color, stroke.width, stroke.chunks,
            json.dumps(points.get(stroke.client_id, []), separators=(",", ":")),
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
