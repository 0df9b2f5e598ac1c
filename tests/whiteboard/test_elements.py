"""
Elements besides freehand strokes: arrows, diamonds, filled, translucent and
dashed shapes, texts and sticky notes, anywhere on the unbounded canvas.
Each is one message, one event and one undoable step, kept in a Stroke row
with what its kind adds in `props`, so every guarantee of strokes holds.
"""

import json

from channels.db import database_sync_to_async
from django.test import TestCase, TransactionTestCase

from boardsite.collab.errors import ActionError

from tests.support import in_a_loop_of_its_own, make_user, receive_until, websocket_for
from tests.whiteboard.helpers import command, export_svg, join, shape_message, snapshot_strokes, svg_drawing, text_message
from whiteboard import replay, selectors, services
from whiteboard.exports import drawing_frame
from whiteboard.models import BoardEvent, Move, Stroke, ElementEdit

NOTE = {"text": "Ship it\n<script>alert(1)</script> & more", "size": 20, "align": "center", "fill": "#d3f9d8"}


def add_note(board, user, stroke_id="n1", *, points=([0.5, 0.5], [0.6, 0.7]), props=NOTE):
    return services.text_add(
        board=board, actor=user, stroke_id=stroke_id, tool="note", color="#1b1e2b", points=[list(p) for p in points],
        props=dict(props),
    )


def alice_and_bob_on_a_board():
    """Alice, the owner of a new board, and bob, a member of it."""
    alice, bob = make_user("alice"), make_user("bob")
    board = services.board_create(name="Plans", owner=alice)
    board.members.add(bob)
    return alice, bob, board


class ElementSocketTests(TransactionTestCase):
    def setUp(self):
        self.alice, self.bob, self.board = alice_and_bob_on_a_board()

    def test_a_text_and_a_styled_arrow_reach_everyone_once_and_are_in_the_snapshot(self):
        async def scenario():
            alice, _ = await join(self.board, self.alice)
            bob, _ = await join(self.board, self.bob)
            text_ack = await command(alice, text_message("t1", text="Line one\n  indented", align="right", ref=1))
            text_event, _ = await receive_until(bob, "text")
            arrow = shape_message("a1", shape="arrow", heads="both", dash="dashed", opacity=0.5, ref=2)
            arrow_ack = await command(alice, arrow)
            arrow_event, _ = await receive_until(bob, "shape")
            again = await command(alice, {**text_message("t1", text="Line one\n  indented", align="right"), "ref": 3})
            await alice.disconnect()
            await bob.disconnect()
            return text_ack, text_event, arrow_ack, arrow_event, again

        text_ack, text_event, arrow_ack, arrow_event, again = in_a_loop_of_its_own(scenario)
        self.assertEqual(text_event["seq"], text_ack["seq"])
        self.assertEqual(
            {name: text_event[name] for name in ("kind", "user", "text", "size", "align", "points")},
            {"kind": "text", "user": "alice", "text": "Line one\n  indented", "size": 24, "align": "right",
             "points": [[0.2, 0.2], [0.3, 0.25]]},
        )
        self.assertEqual(arrow_event["seq"], arrow_ack["seq"])
        self.assertEqual((arrow_event["heads"], arrow_event["dash"], arrow_event["opacity"]), ("both", "dashed", 0.5))
        self.assertEqual((again["seq"], again.get("duplicate")), (text_ack["seq"], True))
        strokes = {stroke["id"]: stroke for stroke in snapshot_strokes(selectors.board_snapshot_json(board=self.board))}
        self.assertEqual(strokes["t1"]["props"], {"text": "Line one\n  indented", "size": 24, "align": "right"})
        self.assertEqual((strokes["t1"]["tool"], strokes["t1"]["width"]), ("text", 0))
        self.assertEqual(strokes["a1"]["props"], {"heads": "both", "dash": "dashed", "opacity": 0.5})
        self.assertEqual(Stroke.objects.filter(board=self.board).count(), 2)

    def test_defaults_are_not_stored_and_a_note_without_a_colour_is_yellow(self):
        async def scenario():
            alice, _ = await join(self.board, self.alice)
            await command(alice, shape_message("r1", opacity=1, dash="solid"))
            await command(alice, text_message("n1", kind="note"))
            await alice.disconnect()

        in_a_loop_of_its_own(scenario)
        self.assertEqual(Stroke.objects.get(client_id="r1").props, {})
        self.assertEqual(Stroke.objects.get(client_id="n1").props["fill"], "#fff3bf")

    def test_an_element_far_past_the_first_sheet_is_kept_where_it_was_put(self):
        async def scenario():
            alice, _ = await join(self.board, self.alice)
            ack = await command(alice, text_message("far", points=[[-42.5, 77.25], [-42.25, 77.5]]))
            await alice.disconnect()
            return ack

        self.assertEqual(in_a_loop_of_its_own(scenario)["type"], "ack")
        far = Stroke.objects.get(client_id="far")
        self.assertEqual((far.min_x, far.min_y, far.max_x, far.max_y), (-42.5, 77.25, -42.25, 77.5))


class HoldTests(TransactionTestCase):
    """While someone drags elements they hold them: the others see it, and cannot move them meanwhile."""

    def setUp(self):
        self.alice, self.bob, self.board = alice_and_bob_on_a_board()
        add_note(self.board, self.alice, "n1")

    def test_a_held_element_shows_its_holder_follows_the_drag_and_refuses_others_until_released(self):
        async def scenario():
            alice, _ = await join(self.board, self.alice)
            bob, _ = await join(self.board, self.bob)
            held_ack = await command(alice, {"type": "hold", "ids": ["n1", "gone"]})
            held, _ = await receive_until(bob, "held")
            await alice.send_json_to({"type": "drag", "dx": 0.05, "dy": -0.0123456})
            dragged, _ = await receive_until(bob, "drag")
            carol_sees = await self.late_joiner_holds()
            refused_move = await command(bob, {"type": "move", "id": "b1", "ids": ["n1"], "dx": 0.1, "dy": 0})
            refused_hold = await command(bob, {"type": "hold", "ids": ["n1"]})
            moved = await command(alice, {"type": "move", "id": "a1", "ids": ["n1"], "dx": 0.05, "dy": 0})
            await alice.disconnect()  # a page that goes lets go of what it held
            released, _ = await receive_until(bob, "released")
            bob_moves = await command(bob, {"type": "move", "id": "b2", "ids": ["n1"], "dx": 0.1, "dy": 0})
            await bob.disconnect()
            return held_ack, held, dragged, carol_sees, refused_move, refused_hold, moved, released, bob_moves

        held_ack, held, dragged, carol_sees, refused_move, refused_hold, moved, released, bob_moves = (
            in_a_loop_of_its_own(scenario)
        )
        self.assertEqual((held_ack["type"], held_ack["ids"]), ("ack", ["n1"]))
        self.assertEqual((held["user"], held["ids"]), ("alice", ["n1"]))
        self.assertEqual((dragged["conn"], dragged["dx"], dragged["dy"]), (held["conn"], 0.05, -0.0123))
        self.assertEqual(carol_sees["holds"], [{"user": "alice", "conn": held["conn"], "ids": ["n1"]}])
        for refused in (refused_move, refused_hold):
            self.assertEqual((refused["code"], refused["user"]), ("held", "alice"))
            self.assertIn("alice is moving that", refused["message"])
        self.assertEqual(moved["type"], "ack")
        self.assertEqual((released["conn"], released["ids"]), (held["conn"], ["n1"]))
        self.assertEqual(bob_moves["type"], "ack")
        self.assertAlmostEqual(Stroke.objects.get(client_id="n1").offset_x, 0.15)
        self.assertFalse(Stroke.objects.exclude(held_connection="").exists())

    async def late_joiner_holds(self):
        """The `holds` frame a page that opens the board now gets, right after `hello`."""
        carol = await database_sync_to_async(make_user)("carol")
        await database_sync_to_async(self.board.members.add)(carol)
        communicator = await websocket_for(f"/ws/whiteboard/{self.board.slug}/", user=carol)
        await communicator.connect()
        holds, _ = await receive_until(communicator, "holds")
        await communicator.disconnect()
        return holds


class ElementHistoryTests(TestCase):
    def setUp(self):
        self.alice, self.bob, self.board = alice_and_bob_on_a_board()

    def visible_ids(self):
        return [stroke["id"] for stroke in snapshot_strokes(selectors.board_snapshot_json(board=self.board))]

    def test_undo_redo_erase_and_restore_treat_a_note_like_a_stroke(self):
        first = add_note(self.board, self.bob).seq
        services.shape_add(
            board=self.board, actor=self.alice, stroke_id="d1", tool="diamond", color="#000000", width=4,
            points=[[0.1, 0.1], [0.2, 0.2]], props={"fill": "#ffc9c9"},
        )
        services.history_undo(board=self.board, actor=self.bob)
        self.assertEqual(self.visible_ids(), ["d1"])
        services.history_redo(board=self.board, actor=self.bob)
        self.assertEqual(self.visible_ids(), ["n1", "d1"])
        services.strokes_erase(board=self.board, actor=self.alice, stroke_ids=["n1"])
        self.assertEqual(self.visible_ids(), ["d1"])
        services.board_restore(board=self.board, actor=self.alice, to_seq=first)
        self.assertEqual(self.visible_ids(), ["n1"])
        services.board_revert_user(board=self.board, actor=self.alice, username="bob", after_seq=0)
        self.assertEqual(self.visible_ids(), [])
        self.board.refresh_from_db()
        frames = list(BoardEvent.objects.filter(board=self.board).order_by("seq").values_list("payload", flat=True))
        for seq in range(self.board.last_seq + 1):
            fast = [stroke.frame() for stroke in replay.strokes_at(board=self.board, seq=seq)]
            self.assertEqual(fast, replay.replay_frames(frames[:seq]), f"at seq {seq}")
        note = replay.replay_frames(frames[:first])[0]
        self.assertEqual((note["tool"], note["props"]), ("note", NOTE))


class ElementExportTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.board = services.board_create(name="Plans", owner=self.alice)
        self.client.force_login(self.alice)
        self.url = f"/whiteboard/{self.board.slug}/export.svg"

    def drawing(self):
        response, text = export_svg(self.client, self.url)
        self.assertEqual(response.status_code, 200)
        return text, svg_drawing(text)[1]

    def test_a_note_is_its_box_and_its_lines_with_the_text_escaped(self):
        add_note(self.board, self.alice, points=([0.5, 0.5], [0.6, 0.7]))
        text, elements = self.drawing()
        box, words = elements
        self.assertEqual((box["tag"], box["fill"], box["x"], box["y"], box["width"]), ("rect", "#d3f9d8", "1920", "1200", "384"))
        self.assertEqual((words["tag"], words["fill"], words["font-size"], words["text-anchor"]), ("text", "#1b1e2b", "40", "middle"))
        self.assertNotIn("<script>", text)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more", text)
        # Centred in the box (1056 px), the first baseline one size (20) and the padding (16) below its top (600).
        self.assertIn('<tspan x="2112" y="1272">Ship it</tspan>', text)

    def test_styles_are_drawn_as_the_page_draws_them(self):
        services.shape_add(
            board=self.board, actor=self.alice, stroke_id="a1", tool="arrow", color="#e03131", width=4,
            points=[[0.1, 0.5], [0.5, 0.5]], props={"dash": "dotted", "opacity": 0.4},
        )
        services.shape_add(
            board=self.board, actor=self.alice, stroke_id="d1", tool="diamond", color="#000000", width=2,
            points=[[0.1, 0.1], [0.2, 0.2]], props={"fill": "#ffc9c9"},
        )
        _, (shaft, heads, diamond) = self.drawing()
        self.assertEqual((shaft["stroke-dasharray"], shaft["stroke-opacity"]), ("0 16", "0.4"))
        self.assertEqual(shaft["d"], "M384 1200L1920 1200")
        # A head of two strokes 12 px long (3 widths), 0.5 rad either side of the shaft, meeting at the
        # tip (960, 600): 24 x cos 0.5 = 21.1 and 24 x sin 0.5 = 11.5 half pixels back. Solid.
        self.assertEqual(heads["stroke-dasharray"], "none")
        self.assertEqual(heads["d"], "M1898.9 1211.5L1920 1200L1898.9 1188.5")
        self.assertEqual(diamond["fill"], "#ffc9c9")
        self.assertEqual(diamond["d"], "M576 240L768 360L576 480L384 360Z")

    def test_the_drawing_is_framed_by_the_first_sheet_grown_to_hold_everything(self):
        services.shape_add(
            board=self.board, actor=self.alice, stroke_id="r1", tool="rect", color="#000000", width=4,
            points=[[0.1, 0.1], [0.2, 0.2]],
        )
        text, _ = self.drawing()
        self.assertIn('viewBox="0 0 1920 1200"', text)  # a board drawn on the sheet exports as it always did
        add_note(self.board, self.alice, "far", points=([-1, 2], [-0.5, 2.5]))
        text, _ = self.drawing()
        self.assertIn('viewBox="-1944 0 3864 3024"', text)
        self.assertEqual(drawing_frame([(None, None, None, None, 4)]), (0, 0, 1920, 1200))

    def test_an_export_at_a_seq_is_framed_by_what_it_shows(self):
        first = services.shape_add(
            board=self.board, actor=self.alice, stroke_id="r1", tool="rect", color="#000000", width=4,
            points=[[0.1, 0.1], [0.2, 0.2]],
        ).seq
        add_note(self.board, self.alice, "far", points=([3, 3], [3.5, 3.5]))
        _, text = export_svg(self.client, f"{self.url}?seq={first}")
        self.assertIn('viewBox="0 0 1920 1200"', text)
        self.assertEqual(json.loads(selectors.board_snapshot_json(board=self.board))["seq"], first + 1)


class MoveTests(TestCase):
    def setUp(self):
        self.alice, self.bob, self.board = alice_and_bob_on_a_board()
        add_note(self.board, self.alice, "n1")
        services.shape_add(
            board=self.board, actor=self.bob, stroke_id="r1", tool="rect", color="#000000", width=4,
            points=[[0.1, 0.1], [0.2, 0.2]],
        )

    def move(self, user, move_id, stroke_ids, dx, dy):
        return services.elements_move(board=self.board, actor=user, move_id=move_id, stroke_ids=stroke_ids, dx=dx, dy=dy)

    def offsets(self):
        strokes = snapshot_strokes(selectors.board_snapshot_json(board=self.board))
        return {stroke["id"]: (stroke["dx"], stroke["dy"]) for stroke in strokes}

    def test_a_move_is_one_event_and_one_step_and_sending_it_again_changes_nothing(self):
        applied = self.move(self.bob, "m1", ["n1", "r1", "unknown"], 0.1, -0.05)
        self.assertEqual(applied.details, {"ids": ["n1", "r1"]})
        self.assertEqual(self.offsets(), {"n1": (0.1, -0.05), "r1": (0.1, -0.05)})
        again = self.move(self.bob, "m1", ["n1", "r1"], 0.1, -0.05)
        self.assertEqual((again.seq, again.details["duplicate"]), (applied.seq, True))
        self.assertEqual(self.offsets()["n1"], (0.1, -0.05))
        event = BoardEvent.objects.get(board=self.board, seq=applied.seq)
        self.assertEqual(event.payload, {"type": "move", "seq": applied.seq, "id": "m1", "user": "bob", "ids": ["n1", "r1"],
                                         "dx": 0.1, "dy": -0.05})
        with self.assertRaises(ActionError) as taken:
            self.move(self.alice, "m1", ["n1"], 0.2, 0.2)
        self.assertEqual(taken.exception.code, "id_taken")

    def test_undo_moves_back_and_redo_moves_again_even_after_others_moved_them(self):
        self.move(self.bob, "m1", ["n1"], 0.3, 0)
        self.move(self.alice, "m2", ["n1"], 0, 0.2)
        services.history_undo(board=self.board, actor=self.bob)  # bob's move, not alice's
        self.assertEqual(self.offsets()["n1"], (0.0, 0.2))
        services.history_redo(board=self.board, actor=self.bob)
        self.assertEqual(self.offsets()["n1"], (0.3, 0.2))

    def test_moves_of_elements_gone_or_off_the_canvas_are_refused_and_change_nothing(self):
        services.strokes_erase(board=self.board, actor=self.alice, stroke_ids=["r1"])
        for stroke_ids, dx, code in ((["r1"], 0.1, "nothing_to_move"), (["n1"], 100.5, "out_of_range")):
            with self.subTest(code), self.assertRaises(ActionError) as refused:
                self.move(self.alice, f"m-{code}", stroke_ids, dx, 0)
            self.assertEqual(refused.exception.code, code)
        self.assertEqual(self.offsets(), {"n1": (0.0, 0.0)})
        self.assertFalse(Move.objects.exists())

    def test_restore_and_revert_put_elements_back_where_they_were(self):
        before = self.board_seq()
        self.move(self.bob, "m1", ["n1", "r1"], 0.1, 0.1)
        self.move(self.alice, "m2", ["r1"], 0.05, 0)
        services.board_revert_user(board=self.board, actor=self.alice, username="bob", after_seq=before)
        self.assertEqual(self.offsets(), {"n1": (0.0, 0.0), "r1": (0.05, 0.0)})
        services.history_undo(board=self.board, actor=self.alice)  # the revert
        self.assertEqual(self.offsets(), {"n1": (0.1, 0.1), "r1": (0.15, 0.1)})
        services.board_restore(board=self.board, actor=self.alice, to_seq=before)
        self.assertEqual(self.offsets(), {"n1": (0.0, 0.0), "r1": (0.0, 0.0)})
        self.board.refresh_from_db()
        frames = list(BoardEvent.objects.filter(board=self.board).order_by("seq").values_list("payload", flat=True))
        for seq in range(self.board.last_seq + 1):
            fast = [stroke.frame() for stroke in replay.strokes_at(board=self.board, seq=seq)]
            self.assertEqual(fast, replay.replay_frames(frames[:seq]), f"at seq {seq}")

    def test_an_export_draws_moved_elements_where_they_are_at_its_seq(self):
        before = self.board_seq()
        self.move(self.bob, "m1", ["r1"], -1, 0)  # a whole sheet to the left
        self.client.force_login(self.alice)
        url = f"/whiteboard/{self.board.slug}/export.svg"
        _, now = export_svg(self.client, url)
        _, then = export_svg(self.client, f"{url}?seq={before}")
        self.assertIn('<rect x="-3456" y="240" width="384" height="240"/>', now)
        self.assertIn('viewBox="-1754 0 3674 1200"', now)
        self.assertIn('<rect x="384" y="240" width="384" height="240"/>', then)
        self.assertIn('viewBox="0 0 1920 1200"', then)

    def board_seq(self):
        self.board.refresh_from_db()
        return self.board.last_seq


class EditTests(TestCase):
    def setUp(self):
        self.alice, self.bob, self.board = alice_and_bob_on_a_board()
        add_note(self.board, self.alice, "n1", points=([0.5, 0.5], [0.6, 0.7]))

    def edit(self, user, edit_id, version, text, *, points=((0.5, 0.5), (0.65, 0.7)), fill=None):
        return services.text_edit(
            board=self.board, actor=user, edit_id=edit_id, stroke_id="n1", version=version, color="#1b1e2b",
            points=[list(point) for point in points], props={"text": text, "size": 20, "align": "left", "fill": fill},
        )

    def note(self):
        return Stroke.objects.get(board=self.board, client_id="n1")

    def test_an_edit_rewrites_the_words_and_box_once_and_undo_and_redo_take_it_back_and_again(self):
        applied = self.edit(self.bob, "e1", 0, "Ship it today")
        note = self.note()
        self.assertEqual((note.version, note.props["text"], note.props["fill"]), (1, "Ship it today", "#d3f9d8"))
        self.assertEqual(json.loads(note.points_json), [[0.5, 0.5], [0.65, 0.7]])
        again = self.edit(self.bob, "e1", 0, "Ship it today")
        self.assertEqual((again.seq, again.details["duplicate"]), (applied.seq, True))
        self.assertEqual(self.note().version, 1)
        services.history_undo(board=self.board, actor=self.bob)
        self.assertEqual((self.note().props, self.note().version), (NOTE, 2))
        services.history_redo(board=self.board, actor=self.bob)
        self.assertEqual((self.note().props["text"], self.note().version), ("Ship it today", 3))

    def test_an_edit_of_a_version_someone_else_changed_is_refused_with_what_it_says_now(self):
        self.edit(self.bob, "e1", 0, "Bob's words")
        with self.assertRaises(ActionError) as conflict:
            self.edit(self.alice, "e2", 0, "Alice's words")
        self.assertEqual(conflict.exception.code, "edit_conflict")
        self.assertEqual((conflict.exception.details["version"], conflict.exception.details["text"]), (1, "Bob's words"))
        self.assertIn("bob changed this text meanwhile", conflict.exception.message)
        self.assertEqual(self.note().props["text"], "Bob's words")

    def test_a_moved_note_is_edited_where_it_is_drawn_and_restore_and_revert_bring_back_its_words(self):
        first = self.board_seq()
        services.elements_move(board=self.board, actor=self.alice, move_id="m1", stroke_ids=["n1"], dx=0.25, dy=0)
        self.edit(self.bob, "e1", 0, "Bob's words", points=((0.75, 0.5), (0.9, 0.7)))
        self.assertEqual(json.loads(self.note().points_json), [[0.5, 0.5], [0.65, 0.7]])  # as drawn, less its offset
        services.board_revert_user(board=self.board, actor=self.alice, username="bob", after_seq=first)
        self.assertEqual(self.note().props, NOTE)
        self.assertAlmostEqual(self.note().offset_x, 0.25)  # alice's move stays
        services.history_undo(board=self.board, actor=self.alice)
        self.assertEqual(self.note().props["text"], "Bob's words")
        services.board_restore(board=self.board, actor=self.alice, to_seq=first)
        self.assertEqual((self.note().props, self.note().offset_x), (NOTE, 0.0))
        self.board.refresh_from_db()
        frames = list(BoardEvent.objects.filter(board=self.board).order_by("seq").values_list("payload", flat=True))
        for seq in range(self.board.last_seq + 1):
            fast = [stroke.frame() for stroke in replay.strokes_at(board=self.board, seq=seq)]
            self.assertEqual(fast, replay.replay_frames(frames[:seq]), f"at seq {seq}")
        self.client.force_login(self.alice)
        _, then = export_svg(self.client, f"/whiteboard/{self.board.slug}/export.svg?seq={first + 2}")
        self.assertIn(">Bob&#x27;s words</tspan>", then)

    def test_only_texts_and_notes_still_on_the_board_are_edited(self):
        services.shape_add(
            board=self.board, actor=self.alice, stroke_id="r1", tool="rect", color="#000000", width=4,
            points=[[0.1, 0.1], [0.2, 0.2]],
        )
        services.strokes_erase(board=self.board, actor=self.alice, stroke_ids=["n1"])
        for stroke_id, code in (("n1", "element_gone"), ("r1", "invalid_tool"), ("nope", "element_gone")):
            with self.subTest(code), self.assertRaises(ActionError) as refused:
                services.text_edit(
                    board=self.board, actor=self.alice, edit_id=f"e-{stroke_id}", stroke_id=stroke_id, version=0,
                    color="#000000", points=[[0, 0], [0.1, 0.1]], props={"text": "x", "size": 20, "align": "left", "fill": None},
                )
            self.assertEqual(refused.exception.code, code)
        self.assertFalse(ElementEdit.objects.exists())

    def board_seq(self):
        self.board.refresh_from_db()
        return self.board.last_seq
