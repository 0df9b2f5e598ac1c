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

CHANGE_TYPES = ("undo", "redo", "restore")


class _Group:
    """Strokes in the same state: hidden or not, with the same mark. Merged groups point to the one they joined."""

    __slots__ = ("mark", "hidden", "joined")

    def __init__(self, mark, hidden):
        self.mark, self.hidden, self.joined = mark, hidden, None


class Visibility:
    """
    The hidden state of a board's strokes, changed event by event in seq
    order: each event is applied after the strokes made before it started,
    and before those made after it. Strokes with the same state (hidden or
    not, and mark) form one group, and an event that changes the state of
    every stroke of a state (a clear; an undo or redo naming marks) changes
    or merges groups, not strokes: replaying a long history of them on a
    large board costs a few operations each, not one per stroke.
    """

    def __init__(self):
        self.created = {}  # client id -> created seq, in the order started
        self.authors = {}  # client id -> (username, user id or None)
        self.group_of = {}  # client id -> its group, or one merged into it
        self.groups = ({}, {})  # [hidden] -> {mark: group}: one current group per state

    def started(self, stroke_id, *, created_seq, user, hidden=False, hidden_by=0, user_id=None):
        """`user_id` is known to the server's replay of its rows, not to a replay of frames."""
        if stroke_id in self.created:
            return
        self.created[stroke_id] = created_seq
        self.authors[stroke_id] = (user, user_id)
        self.group_of[stroke_id] = self._group(hidden_by, hidden)

    def apply(self, kind, seq, frame):
        """Apply one event (its type, seq and stored frame); other types change nothing."""
        if kind == "erase":
            self.hide(frame["ids"], seq)
        elif kind == "clear":  # every stroke on the board is older than the clear
            for mark in list(self.groups[False]):
                self._move_all(mark, hidden=False, to=(seq, True))
        elif kind in CHANGE_TYPES:
            self.hide(frame.get("hide", ()), seq)
            for mark in frame.get("hide_marks", ()):
                if mark:  # 0 names no event: strokes never hidden have it
                    self._move_all(mark, hidden=False, to=(seq, True))
            after = frame.get("hide_after")
            if after:
                self.hide(self.drawn_after(after), seq)
            self.show(frame.get("show_ids", ()))
            self.show(shown["id"] for shown in frame.get("show", ()))  # events stored before marks held whole strokes
            for mark in frame.get("show_marks", ()):
                if mark:
                    self._move_all(mark, hidden=True, to=(mark, False))

    def hide(self, stroke_ids, seq):
        """Hide those of `stroke_ids` that are visible, marked as hidden by `seq`."""
        for stroke_id in stroke_ids:
            if stroke_id in self.group_of and not self.state(stroke_id)[0]:
                self.group_of[stroke_id] = self._group(seq, True)

    def show(self, stroke_ids):
        """Show those of `stroke_ids` the board has; their marks stay."""
        for stroke_id in stroke_ids:
            if stroke_id in self.group_of:
                hidden, mark = self.state(stroke_id)
                if hidden:
                    self.group_of[stroke_id] = self._group(mark, False)

    def drawn_after(self, after):
        """
        The visible strokes `hide_after` names: started after its seq, by its
        user if it has one. The author is matched by id where the replay knows
        it (the server's rows: a username can change), else by username.
        """
        def by_them(stroke_id):
            if "user" not in after:
                return True
            user, user_id = self.authors[stroke_id]
            if user_id is not None and "user_id" in after:
                return user_id == after["user_id"]
            return user == after["user"]

        return [
            stroke_id for stroke_id, created_seq in self.created.items()
            if created_seq > after["seq"] and not self.state(stroke_id)[0] and by_them(stroke_id)
        ]

    def state(self, stroke_id):
        """(hidden, mark) of a stroke: its mark is the seq of the event that last hid it (0: never)."""
        group = self._current(self.group_of[stroke_id])
        self.group_of[stroke_id] = group
        return group.hidden, group.mark

    def is_hidden(self, stroke_id):
        return self.state(stroke_id)[0]

    def visible_ids(self):
        """The visible strokes' client ids, in drawing order."""
        visible = [stroke_id for stroke_id in self.created if not self.state(stroke_id)[0]]
        return sorted(visible, key=lambda stroke_id: (self.created[stroke_id], stroke_id))

    def states(self):
        """{client id: (hidden, hidden_by, created seq)} of every stroke, in the order they were started."""
        return {stroke_id: (*self.state(stroke_id), created_seq) for stroke_id, created_seq in self.created.items()}

    def _group(self, mark, hidden):
        """The current group of strokes in that state."""
        groups = self.groups[hidden]
        if mark not in groups:
            groups[mark] = _Group(mark, hidden)
        return groups[mark]

    def _move_all(self, mark, *, hidden, to):
        """Every stroke in state (mark, hidden) goes to state `to` (mark, hidden): one group joins or becomes another."""
        group = self.groups[hidden].pop(mark, None)
        if group is None:
            return
        to_mark, to_hidden = to
        joined = self.groups[to_hidden].get(to_mark)
        if joined is None:
            group.mark, group.hidden = to_mark, to_hidden
            self.groups[to_hidden][to_mark] = group
        else:
            group.joined = joined

    @staticmethod
    def _current(group):
        while group.joined is not None:
            group = group.joined
        return group


def replayed(starts, events):
    """
    A Visibility after `events` ((seq, type, stored frame), in seq order),
    each stroke of `starts` ((client id, created seq, username, hidden,
    hidden_by, user id), in created order) started just before the first
    event after it was made, as a client that saw them all would have it.
    """
    visibility = Visibility()
    starts = list(starts)
    started = 0

    def start_until(seq):
        nonlocal started
        while started < len(starts) and starts[started][1] < seq:
            stroke_id, created_seq, user, hidden, hidden_by, user_id = starts[started]
            visibility.started(
                stroke_id, created_seq=created_seq, user=user, hidden=hidden, hidden_by=hidden_by, user_id=user_id
            )
            started += 1

    for seq, kind, frame in events:
        start_until(seq)
        visibility.apply(kind, seq, frame)
    start_until(float("inf"))
    return visibility
