"""
Which strokes are hidden, and by which event: the rules of the events that
hide and show strokes (docs/protocol.md, Visibility), in one place for the
server's replays and for writing those events. The page's strokes.js
applies the same rules.

An event that hides a stroke marks it with its seq (`hidden_by`), and the
mark stays when the stroke is shown again. So an undo or redo names marks
(`show_marks`, `hide_marks`) instead of listing the strokes, and a restore
or revert names the strokes drawn after a seq (`hide_after`): these events
stay small however large the board. Strokes are listed (`hide`, `show_ids`)
only where no mark or rule says exactly the same.
"""

from collections import defaultdict
from dataclasses import dataclass

CHANGE_TYPES = ("undo", "redo", "restore")


@dataclass
class StrokeVisibility:
    created_seq: int
    user: str
    hidden: bool = False
    hidden_by: int = 0
    user_id: int | None = None  # known to the server's replay of its rows, not to a replay of frames


class Visibility:
    """The hidden state of a board's strokes, changed event by event in seq order."""

    def __init__(self):
        self.strokes = {}  # client id -> StrokeVisibility
        self.marked = defaultdict(set)  # seq -> client ids it hid (some may have been hidden again since)

    def started(self, stroke_id, *, created_seq, user, hidden=False, hidden_by=0, user_id=None):
        if stroke_id not in self.strokes:
            self.strokes[stroke_id] = StrokeVisibility(created_seq, user, hidden, hidden_by, user_id)
            if hidden_by:
                self.marked[hidden_by].add(stroke_id)

    def apply(self, kind, seq, frame):
        """Apply one event (its type, seq and stored frame); other types change nothing."""
        if kind == "erase":
            self.hide(frame["ids"], seq)
        elif kind == "clear":
            self.hide([stroke_id for stroke_id, stroke in self.strokes.items() if stroke.created_seq < seq], seq)
        elif kind in CHANGE_TYPES:
            self.hide(frame.get("hide", ()), seq)
            self.hide(self.with_marks(frame.get("hide_marks", ()), hidden=False), seq)
            after = frame.get("hide_after")
            if after:
                self.hide(self.drawn_after(after), seq)
            self.show(frame.get("show_ids", ()))
            self.show(shown["id"] for shown in frame.get("show", ()))  # events stored before marks held whole strokes
            self.show(self.with_marks(frame.get("show_marks", ()), hidden=True))

    def hide(self, stroke_ids, seq):
        for stroke_id in list(stroke_ids):
            stroke = self.strokes.get(stroke_id)
            if stroke is not None and not stroke.hidden:
                stroke.hidden, stroke.hidden_by = True, seq
                self.marked[seq].add(stroke_id)

    def show(self, stroke_ids):
        for stroke_id in list(stroke_ids):
            stroke = self.strokes.get(stroke_id)
            if stroke is not None:
                stroke.hidden = False

    def with_marks(self, marks, *, hidden):
        """The strokes whose mark is one of `marks`, hidden or visible as asked."""
        return [
            stroke_id
            for mark in marks
            for stroke_id in self.marked.get(mark, ())
            if self.strokes[stroke_id].hidden_by == mark and self.strokes[stroke_id].hidden == hidden
        ]

    def drawn_after(self, after):
        """
        The visible strokes `hide_after` names: started after its seq, by its
        user if it has one. The author is matched by id where the replay knows
        it (the server's rows: a username can change), else by username.
        """
        def by_them(stroke):
            if "user" not in after:
                return True
            if stroke.user_id is not None and "user_id" in after:
                return stroke.user_id == after["user_id"]
            return stroke.user == after["user"]

        return [
            stroke_id
            for stroke_id, stroke in self.strokes.items()
            if not stroke.hidden and stroke.created_seq > after["seq"] and by_them(stroke)
        ]

    def visible_ids(self):
        """The visible strokes' client ids, in drawing order."""
        visible = [(stroke.created_seq, stroke_id) for stroke_id, stroke in self.strokes.items() if not stroke.hidden]
        return [stroke_id for _, stroke_id in sorted(visible)]

    def is_hidden(self, stroke_id):
        return self.strokes[stroke_id].hidden
