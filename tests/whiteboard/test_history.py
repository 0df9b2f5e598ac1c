"""
Whiteboard history: the board at any seq, restoring it and reverting one user.

The property test draws random histories through the real services and checks
that the server's fast reconstruction (`replay.strokes_at`) equals replaying the
stored frames one by one, as every client does, at every seq; and that the
final state equals the live board.
"""

from unittest import mock

from django.db import transaction
from django.test import TestCase
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from boardsite.collab.errors import ActionError
from tests.support import make_user
from tests.whiteboard.helpers import snapshot_strokes
from whiteboard import replay, selectors, services, stored_visibility
from whiteboard.models import BoardEvent, HistoryStep


def draw(board, user, stroke_id, *, chunk=0, points=((0.1, 0.1), (0.2, 0.2))):
    return services.stroke_add_chunk(
        board=board, actor=user, stroke_id=stroke_id, chunk=chunk, tool="pen", color="#000000", width=4,
        points=[list(point) for point in points],
    )


def live_strokes(board):
    return snapshot_strokes(selectors.board_snapshot_json(board=board))


def frames(board):
    return list(BoardEvent.objects.filter(board=board).order_by("seq").values_list("payload", flat=True))


def fast_strokes(board, seq):
    return [stroke.frame() for stroke in replay.strokes_at(board=board, seq=seq)]


def ids(strokes):
    return [stroke["id"] for stroke in strokes]


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(
            ["start", "continue", "shape", "text", "edit", "move", "erase", "clear", "undo", "redo", "restore", "revert"]
        ),
        st.sampled_from([0, 1]),  # who acts (0: the owner)
        st.integers(min_value=0, max_value=10_000),  # picks a stroke, a seq, a point
    ),
    min_size=1,
    max_size=30,
)


class ReplayAgreesWithTheLiveBoardTests(HypothesisTestCase):
    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(OPERATIONS)
    def test_the_board_at_every_seq_is_what_replaying_the_events_gives(self, operations):
        self.check_history(operations)

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(OPERATIONS)
    def test_the_same_when_changes_are_written_later(self, operations):
        """
        Every change to what is hidden left unwritten, as those of large
        boards are, and written three at a time (whiteboard.stored_visibility):
        every reader still sees the same board.
        """
        with mock.patch.object(stored_visibility, "WRITE_AT_ONCE_AT_MOST", -1), \
                mock.patch.object(stored_visibility, "MAX_UNWRITTEN", 3):
            self.check_history(operations)

    def check_history(self, operations):
        owner, other = make_user("owner"), make_user("other")
        board = services.board_create(name="Property", owner=owner)
        users = [owner, other]
        started = {0: [], 1: []}  # who -> [[stroke id, next chunk], ...]
        for number, (kind, who, pick) in enumerate(operations):
            actor = users[who]
            point = [round((pick % 97) / 97, 4), round((pick % 89) / 89, 4)]
            board.refresh_from_db()
            try:
                if kind == "start" or (kind == "continue" and not started[who]):
                    stroke_id = f"s{number}"
                    draw(board, actor, stroke_id, points=[point])
                    started[who].append([stroke_id, 1])
                elif kind == "continue":
                    held = started[who][pick % len(started[who])]
                    draw(board, actor, held[0], chunk=held[1], points=[point, [0.5, 0.5]])
                    held[1] += 1
                elif kind == "shape":
                    services.shape_add(
                        board=board, actor=actor, stroke_id=f"h{number}", tool=["rect", "arrow"][pick % 2],
                        color="#ff0000", width=2, points=[point, [0.9, 0.9]],
                        props=[{}, {"dash": "dotted", "opacity": 0.5}][pick % 2],
                    )
                elif kind == "text":
                    services.text_add(
                        board=board, actor=actor, stroke_id=f"t{number}", tool=["text", "note"][pick % 2],
                        color="#000000", points=[point, [round(point[0] + 0.1, 4), round(point[1] + 0.1, 4)]],
                        props={"text": f"Word {pick}", "size": 24, "align": "left", **({"fill": "#fff3bf"} if pick % 2 else {})},
                    )
                elif kind == "edit":
                    texts = [stroke for stroke in live_strokes(board) if stroke["tool"] in ("text", "note")]
                    if texts:
                        text = texts[pick % len(texts)]
                        services.text_edit(
                            board=board, actor=actor, edit_id=f"e{number}", stroke_id=text["id"], version=text["version"],
                            color="#e03131", points=[[0.5, 0.5], [0.6, round(0.5 + pick / 100_000, 4)]],
                            props={"text": f"Edited {number}", "size": 32, "align": "center", "fill": None},
                        )
                elif kind == "move":
                    visible = ids(live_strokes(board))
                    services.elements_move(
                        board=board, actor=actor, move_id=f"m{number}", stroke_ids=visible[pick % 2 :: 2] or ["none"],
                        dx=round((pick % 7 - 3) / 100, 4), dy=0.0125,
                    )
                elif kind == "erase":
                    visible = ids(live_strokes(board))
                    services.strokes_erase(board=board, actor=actor, stroke_ids=visible[pick % 3 :: 2] or ["none"])
                elif kind == "clear":
                    services.board_clear(board=board, actor=actor)
                elif kind == "undo":
                    services.history_undo(board=board, actor=actor)
                elif kind == "redo":
                    services.history_redo(board=board, actor=actor)
                elif kind == "restore":
                    services.board_restore(board=board, actor=owner, to_seq=pick % (board.last_seq + 1))
                else:
                    services.board_revert_user(
                        board=board, actor=owner, username=actor.username, after_seq=pick % (board.last_seq + 1)
                    )
            except ActionError:
                pass  # refusals (stroke gone, nothing to undo, ...) change nothing
        board.refresh_from_db()
        stored = frames(board)
        self.assertEqual([frame["seq"] for frame in stored], list(range(1, board.last_seq + 1)))
        for seq in range(board.last_seq + 1):
            self.assertEqual(fast_strokes(board, seq), replay.replay_frames(stored[:seq]), f"at seq {seq}")
        self.assertEqual(replay.replay_frames(stored), live_strokes(board))
        # Writing what is still unwritten changes nothing anyone sees: the rows become the states.
        states = stored_visibility.stroke_states(board=board)
        with transaction.atomic():
            services.lock_board(board)
            stored_visibility.write_unwritten(board=board)
        rows = stored_visibility.read_rows(board=board)
        self.assertEqual({row[0]: row[1:3] for row in rows}, {stroke_id: state[:2] for stroke_id, state in states.items()})
        self.assertEqual(replay.replay_frames(stored), live_strokes(board))



class RestoreTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.bob = make_user("bob")
        self.board = services.board_create(name="Plans", owner=self.alice)

    def latest_seq(self):
        self.board.refresh_from_db()
        return self.board.last_seq

    def test_restore_brings_back_the_board_as_it_was_and_is_one_undoable_event(self):
        draw(self.board, self.alice, "a1")
        draw(self.board, self.bob, "b1")
        before_clear = self.latest_seq()
        services.board_clear(board=self.board, actor=self.bob)
        draw(self.board, self.bob, "b2")

        applied = services.board_restore(board=self.board, actor=self.alice, to_seq=before_clear)

        self.assertEqual(ids(live_strokes(self.board)), ["a1", "b1"])
        event = BoardEvent.objects.get(board=self.board, seq=applied.seq)
        self.assertEqual(event.type, "restore")
        self.assertEqual(event.payload["to_seq"], before_clear)
        # Named, not listed: the strokes drawn after the seq, and those the clear hid.
        clear_seq = before_clear + 1
        self.assertEqual(event.payload["hide_after"], {"seq": before_clear})
        self.assertEqual(event.payload["show_marks"], [clear_seq])
        self.assertNotIn("hide", event.payload)
        self.assertNotIn("show_ids", event.payload)
        self.assertEqual((applied.details["can_undo"], applied.details["can_redo"]), (True, False))

        undone = services.history_undo(board=self.board, actor=self.alice)
        self.assertEqual(ids(live_strokes(self.board)), ["b2"])
        self.assertEqual(
            (undone.details["step"], undone.details["hide_marks"], undone.details["show_marks"]),
            ("restore", [clear_seq], [applied.seq]),
        )
        services.history_redo(board=self.board, actor=self.alice)
        self.assertEqual(ids(live_strokes(self.board)), ["a1", "b1"])

    def test_a_revert_still_replays_exactly_after_the_user_is_renamed(self):
        draw(self.board, self.alice, "a1")
        trusted_until = self.latest_seq()
        draw(self.board, self.bob, "b-scribble")
        scribbled = self.latest_seq()
        services.board_revert_user(board=self.board, actor=self.alice, username="bob", after_seq=trusted_until)
        reverted_at = self.latest_seq()
        self.bob.username = "robert"
        self.bob.save(update_fields=["username"])
        # The server's replay names the author by id: the board right after the revert, and a restore
        # to it, still leave bob's scribble out.
        self.assertEqual(replay.visible_stroke_ids_at(board=self.board, seq=reverted_at), ["a1"])
        services.board_restore(board=self.board, actor=self.alice, to_seq=scribbled)
        self.assertEqual(ids(live_strokes(self.board)), ["a1", "b-scribble"])
        services.board_restore(board=self.board, actor=self.alice, to_seq=reverted_at)
        self.assertEqual(ids(live_strokes(self.board)), ["a1"])

    def test_restoring_to_zero_empties_the_board(self):
        draw(self.board, self.alice, "a1")
        services.board_restore(board=self.board, actor=self.alice, to_seq=0)
        self.assertEqual(live_strokes(self.board), [])

    def test_revert_removes_what_one_user_did_after_a_seq_and_keeps_everyone_else(self):
        draw(self.board, self.alice, "a1")
        draw(self.board, self.bob, "b1")
        trusted_until = self.latest_seq()
        services.strokes_erase(board=self.board, actor=self.bob, stroke_ids=["a1"])
        draw(self.board, self.bob, "b-scribble")
        draw(self.board, self.alice, "a2")
        services.board_clear(board=self.board, actor=self.bob)

        applied = services.board_revert_user(
            board=self.board, actor=self.alice, username="bob", after_seq=trusted_until
        )

        self.assertEqual(ids(live_strokes(self.board)), ["a1", "b1", "a2"])
        self.assertEqual((applied.details["revert_user"], applied.details["after_seq"]), ("bob", trusted_until))
        services.history_undo(board=self.board, actor=self.alice)
        self.assertEqual(live_strokes(self.board), [])

    def test_only_the_owner_restores(self):
        draw(self.board, self.alice, "a1")
        for attempt in (
            lambda: services.board_restore(board=self.board, actor=self.bob, to_seq=0),
            lambda: services.board_revert_user(board=self.board, actor=self.bob, username="alice", after_seq=0),
        ):
            with self.assertRaises(ActionError) as refused:
                attempt()
            self.assertEqual(refused.exception.code, "forbidden")
        self.assertEqual(ids(live_strokes(self.board)), ["a1"])
        self.assertEqual(self.latest_seq(), 1)

    def test_refusals_change_nothing(self):
        draw(self.board, self.alice, "a1")
        cases = [
            (dict(to_seq=2), "out_of_range", services.board_restore),
            (dict(to_seq=1), "nothing_to_restore", services.board_restore),
            (dict(username="nobody", after_seq=0), "unknown_user", services.board_revert_user),
            (dict(username="bob", after_seq=0), "nothing_to_restore", services.board_revert_user),
        ]
        for arguments, code, service in cases:
            with self.subTest(code=code, arguments=arguments), self.assertRaises(ActionError) as refused:
                service(board=self.board, actor=self.alice, **arguments)
            self.assertEqual(refused.exception.code, code)
        self.assertEqual(self.latest_seq(), 1)
        self.assertFalse(HistoryStep.objects.filter(kind=HistoryStep.Kind.RESTORE).exists())

    def test_a_stroke_still_being_drawn_is_shown_with_the_points_it_had_then(self):
        draw(self.board, self.alice, "a1", points=[(0.1, 0.1)])
        draw(self.board, self.bob, "b1")
        draw(self.board, self.alice, "a1", chunk=1, points=[(0.3, 0.3)])
        at_two = fast_strokes(self.board, 2)
        self.assertEqual([(stroke["id"], stroke["chunks"], stroke["points"]) for stroke in at_two][0], ("a1", 1, [[0.1, 0.1]]))
        self.assertEqual(fast_strokes(self.board, 3)[0]["points"], [[0.1, 0.1], [0.3, 0.3]])
