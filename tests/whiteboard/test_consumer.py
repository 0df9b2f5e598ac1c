"""
The whiteboard websocket against the full ASGI application (origin check,
session auth, routing). TransactionTestCase, because events are broadcast
when their transaction commits.
"""

import json

from channels.db import database_sync_to_async
from django.test import TransactionTestCase, override_settings

from boardsite.collab import services as collab_services
from tests.support import in_a_loop_of_its_own, frames_besides_presence, make_user, receive_frame, receive_until, websocket_for
from tests.whiteboard.helpers import closed_with, command, join, send_raw, shape_message, stroke_message, text_message
from whiteboard import services
from whiteboard.models import BoardEvent, Stroke
from whiteboard.protocol import MAX_POINTS_PER_MESSAGE, MAX_TEXT_LENGTH


class WhiteboardSocketTestCase(TransactionTestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.bob = make_user("bob")
        self.carol = make_user("carol")
        self.board = services.board_create(name="Sketches", owner=self.alice)
        collab_services.board_add_member(board=self.board, username="bob", actor=self.alice)
        self.board.refresh_from_db()

    def stored_state(self):
        """Everything a refused command must leave untouched."""
        self.board.refresh_from_db()
        strokes = list(Stroke.objects.filter(board=self.board).values_list("client_id", "points_json", "hidden"))
        return self.board.last_seq, strokes


class DrawingTests(WhiteboardSocketTestCase):
    def test_a_stroke_reaches_the_other_member_and_its_sender_gets_only_the_ack(self):
        async def scenario():
            alice, hello = await join(self.board, self.alice)
            bob, _ = await join(self.board, self.bob)
            await receive_until(alice, "presence")
            ack = await command(alice, stroke_message("s1", ref="a1"))
            self.assertEqual(ack, {"type": "ack", "ref": "a1", "seq": hello["seq"] + 1})
            event, _ = await receive_until(bob, "stroke")
            self.assertEqual(
                event,
                {
                    "type": "stroke", "seq": hello["seq"] + 1, "id": "s1", "chunk": 0, "user": "alice",
                    "tool": "pen", "color": "#1f6feb", "width": 4.0, "points": [[0.1, 0.1], [0.2, 0.25]],
                },
            )
            # A second chunk while the pen moves: the next seq, appended to the same stroke.
            ack = await command(alice, stroke_message("s1", chunk=1, points=[[0.3, 0.3, 0.5]], ref="a2"))
            self.assertEqual(ack["seq"], hello["seq"] + 2)
            event, _ = await receive_until(bob, "stroke")
            self.assertEqual((event["chunk"], event["points"]), (1, [[0.3, 0.3, 0.5]]))
            self.assertEqual(await frames_besides_presence(alice), [], "the sender got its own stroke back")
            await alice.disconnect()
            await bob.disconnect()

        in_a_loop_of_its_own(scenario)
        stroke = Stroke.objects.get(board=self.board, client_id="s1")
        self.assertEqual(json.loads(stroke.points_json), [[0.1, 0.1], [0.2, 0.25], [0.3, 0.3, 0.5]])

    def test_hello_tells_the_latest_seq_and_the_users_undo_state(self):
        services.stroke_add_chunk(
            board=self.board, actor=self.alice, stroke_id="old", chunk=0, tool="pen", color="#000000", width=3, points=[[0.5, 0.5]]
        )

        async def scenario():
            communicator = await websocket_for(f"/ws/whiteboard/{self.board.slug}/", user=self.alice)
            await communicator.connect()
            hello = await receive_frame(communicator)
            history = await receive_frame(communicator)
            await communicator.disconnect()
            return hello, history

        hello, history = in_a_loop_of_its_own(scenario)
        self.board.refresh_from_db()
        self.assertEqual(hello["seq"], self.board.last_seq)
        self.assertEqual(hello["user"]["username"], "alice")
        self.assertEqual(history, {"type": "history", "can_undo": True, "can_redo": False})

    def test_sync_after_a_gap_delivers_exactly_the_missed_events_in_order(self):
        async def scenario():
            bob, hello = await join(self.board, self.bob)
            last_seen = hello["seq"]
            await bob.disconnect()
            alice, _ = await join(self.board, self.alice)
            seqs = [
                (await command(alice, stroke_message("s1", chunk=chunk, points=[[0.1 * (chunk + 1), 0.5]])))["seq"]
                for chunk in range(3)
            ]
            # Reconnected with the last seq it had: everything after it, once each, in order, then `synced`.
            bob = await websocket_for(f"/ws/whiteboard/{self.board.slug}/", user=self.bob)
            await bob.connect()
            await bob.send_json_to({"type": "sync", "since": last_seen, "ref": 7})
            synced, replayed = await receive_until(bob, "synced")
            await alice.disconnect()
            await bob.disconnect()
            return seqs, synced, [frame for frame in replayed if frame["type"] == "stroke"]

        seqs, synced, replayed = in_a_loop_of_its_own(scenario)
        self.assertEqual([frame["seq"] for frame in replayed], seqs)
        self.assertEqual([frame["chunk"] for frame in replayed], [0, 1, 2])
        self.assertEqual(synced, {"type": "synced", "ref": 7, "seq": seqs[-1]})

    def test_re_sending_an_applied_chunk_is_acked_again_with_its_seq_and_changes_nothing(self):
        async def scenario():
            alice, _ = await join(self.board, self.alice)
            bob, _ = await join(self.board, self.bob)
            first = await command(alice, stroke_message("s1", ref="x"))
            second = await command(alice, stroke_message("s1", chunk=1, points=[[0.4, 0.4]], ref="y"))
            await receive_until(bob, "stroke")
            await receive_until(bob, "stroke")
            before = await database_sync_to_async(self.stored_state)()
            # The connection dropped before the acks arrived: the client re-sends both.
            again_first = await command(alice, stroke_message("s1", ref="x"))
            again_second = await command(alice, stroke_message("s1", chunk=1, points=[[0.4, 0.4]], ref="y"))
            after = await database_sync_to_async(self.stored_state)()
            nothing_for_bob = await frames_besides_presence(bob) == []
            await alice.disconnect()
            await bob.disconnect()
            return first, second, again_first, again_second, before, after, nothing_for_bob

        first, second, again_first, again_second, before, after, nothing_for_bob = in_a_loop_of_its_own(scenario)
        self.assertEqual(again_first["seq"], first["seq"])
        self.assertEqual(again_second["seq"], second["seq"])
        self.assertTrue(again_first["duplicate"])
        self.assertEqual(before, after)
        self.assertTrue(nothing_for_bob, "a re-sent chunk was broadcast again")

    def test_a_chunk_without_its_predecessor_is_refused(self):
        async def scenario():
            alice, _ = await join(self.board, self.alice)
            never_started = await command(alice, stroke_message("s9", chunk=2))
            await command(alice, stroke_message("s1"))
            skipped = await command(alice, stroke_message("s1", chunk=2))
            await alice.disconnect()
            return never_started, skipped

        never_started, skipped = in_a_loop_of_its_own(scenario)
        self.assertEqual((never_started["code"], never_started["expected"]), ("chunk_out_of_order", 0))
        self.assertEqual((skipped["code"], skipped["expected"]), ("chunk_out_of_order", 1))
        self.assertEqual(Stroke.objects.get(client_id="s1").chunk_count, 1)

    def test_a_stroke_id_belongs_to_its_author_and_keeps_its_style(self):
        async def scenario():
            alice, _ = await join(self.board, self.alice)
            bob, _ = await join(self.board, self.bob)
            await command(alice, stroke_message("s1"))
            taken = await command(bob, stroke_message("s1", chunk=1))
            restyled = await command(alice, stroke_message("s1", chunk=1, color="#ff0000"))
            await alice.disconnect()
            await bob.disconnect()
            return taken, restyled

        taken, restyled = in_a_loop_of_its_own(scenario)
        self.assertEqual(taken["code"], "id_taken")
        self.assertEqual(restyled["code"], "stroke_mismatch")

    def test_shapes_are_stored_broadcast_and_idempotent(self):
        shape = {"type": "shape", "id": "r1", "shape": "rect", "color": "#0f7b4f", "width": 6, "points": [[0.1, 0.2], [0.4, 0.6]]}

        async def scenario():
            alice, _ = await join(self.board, self.alice)
            bob, _ = await join(self.board, self.bob)
            ack = await command(alice, shape)
            event, _ = await receive_until(bob, "shape")
            again = await command(alice, shape)
            bad = await command(alice, {**shape, "id": "r2", "shape": "star"})
            await alice.disconnect()
            await bob.disconnect()
            return ack, event, again, bad

        ack, event, again, bad = in_a_loop_of_its_own(scenario)
        self.assertEqual(event["seq"], ack["seq"])
        self.assertEqual((event["shape"], event["user"], event["points"]), ("rect", "alice", [[0.1, 0.2], [0.4, 0.6]]))
        self.assertEqual(again["seq"], ack["seq"])
        self.assertEqual(bad["code"], "invalid_tool")
        self.assertEqual(Stroke.objects.filter(board=self.board).count(), 1)

    def test_cursors_are_relayed_with_the_name_and_never_stored(self):
        async def scenario():
            alice, _ = await join(self.board, self.alice)
            bob, _ = await join(self.board, self.bob)
            await alice.send_json_to({"type": "cursor", "x": 0.25, "y": 0.75})
            moved, _ = await receive_until(bob, "cursor")
            await alice.send_json_to({"type": "cursor", "x": None, "y": None})
            left, _ = await receive_until(bob, "cursor")
            await alice.send_json_to({"type": "cursor", "x": 500, "y": 0.5})
            refused, _ = await receive_until(alice, "error")
            await alice.disconnect()
            await bob.disconnect()
            return moved, left, refused

        events_before = BoardEvent.objects.count()
        moved, left, refused = in_a_loop_of_its_own(scenario)
        self.assertEqual((moved["member"]["username"], moved["x"], moved["y"]), ("alice", 0.25, 0.75))
        self.assertNotIn("seq", moved)
        self.assertEqual((left["x"], left["y"]), (None, None))
        self.assertEqual(refused["code"], "out_of_range")
        self.assertEqual(BoardEvent.objects.count(), events_before)


class AccessTests(WhiteboardSocketTestCase):
    def connect_as(self, user, *, origin="http://localhost"):
        async def scenario():
            communicator = await websocket_for(f"/ws/whiteboard/{self.board.slug}/", user=user, origin=origin)
            connected, code = await communicator.connect()
            if connected:
                await communicator.disconnect()
            return connected, code

        return in_a_loop_of_its_own(scenario)

    def test_anonymous_clients_are_refused_before_any_board_data(self):
        connected, code = self.connect_as(None)
        self.assertFalse(connected)
        self.assertEqual(code, 4401)

    def test_non_members_are_refused_as_if_the_board_did_not_exist(self):
        connected, code = self.connect_as(self.carol)
        self.assertFalse(connected)
        self.assertEqual(code, 4404)

    def test_pages_of_another_origin_cannot_open_the_socket(self):
        connected, _ = self.connect_as(self.alice, origin="http://evil.example")
        self.assertFalse(connected)

    def test_sharing_with_everyone_lets_other_users_draw(self):
        collab_services.board_set_shared(board=self.board, shared=True, actor=self.alice)

        async def scenario():
            carol, _ = await join(self.board, self.carol)
            ack = await command(carol, stroke_message("c1"))
            await carol.disconnect()
            return ack

        self.assertEqual(in_a_loop_of_its_own(scenario)["type"], "ack")

    def test_a_removed_member_is_disconnected(self):
        async def scenario():
            bob, _ = await join(self.board, self.bob)
            await database_sync_to_async(collab_services.board_remove_member)(
                board=self.board, username="bob", actor=self.alice
            )
            code = await closed_with(bob)
            await bob.disconnect()
            return code

        self.assertEqual(in_a_loop_of_its_own(scenario), 4403)


BAD_FRAMES = [
    ("not JSON", "hello there", "invalid_json"),
    ("a JSON array", "[1, 2]", "invalid_message"),
    ("no type", '{"id": "s1"}', "invalid_message"),
    ("an unknown type", '{"type": "teleport"}', "unknown_type"),
    ("NaN as a raw token", '{"type":"stroke","id":"s1","color":"#000000","width":2,"points":[[NaN,0.5]]}', "invalid_json"),
    ("Infinity as a raw token", '{"type":"stroke","id":"s1","color":"#000000","width":Infinity,"points":[[0.1,0.5]]}', "invalid_json"),
    ("-Infinity as a raw token", '{"type":"cursor","x":-Infinity,"y":0.5}', "invalid_json"),
    ("a number too large for a float", '{"type":"stroke","id":"s1","color":"#000000","width":2,"points":[[1e999,0.5]]}', "invalid_points"),
    ("an unknown field", json.dumps({**stroke_message(), "opacity": 1}), "unknown_field"),
    ("a numeric stroke id", json.dumps({**stroke_message(), "id": 5}), "invalid_id"),
    ("a stroke id with markup", json.dumps({**stroke_message(), "id": "<b>"}), "invalid_id"),
    ("a width given as text", json.dumps({**stroke_message(), "width": "4"}), "invalid_field"),
    ("a boolean width", json.dumps({**stroke_message(), "width": True}), "invalid_field"),
    ("points that are not a list", json.dumps({**stroke_message(), "points": "0.1,0.2"}), "invalid_points"),
    ("a point with one number", json.dumps({**stroke_message(), "points": [[0.1]]}), "invalid_points"),
    ("a point given as text", json.dumps({**stroke_message(), "points": [["0.1", "0.2"]]}), "invalid_points"),
    ("no points", json.dumps({**stroke_message(), "points": []}), "invalid_points"),
    ("x beyond the canvas", json.dumps({**stroke_message(), "points": [[101.5, 0.2]]}), "out_of_range"),
    ("y beyond the canvas's top", json.dumps({**stroke_message(), "points": [[0.5, -100.01]]}), "out_of_range"),
    ("a pressure above 1", json.dumps({**stroke_message(), "points": [[0.5, 0.5, 3]]}), "out_of_range"),
    ("a colour name", json.dumps({**stroke_message(), "color": "red"}), "invalid_color"),
    ("a short hex colour", json.dumps({**stroke_message(), "color": "#fff"}), "invalid_color"),
    ("a colour with markup", json.dumps({**stroke_message(), "color": '#000000"/><script>'}), "invalid_color"),
    ("a zero width", json.dumps({**stroke_message(), "width": 0}), "out_of_range"),
    ("a negative width", json.dumps({**stroke_message(), "width": -3}), "out_of_range"),
    ("an absurd width", json.dumps({**stroke_message(), "width": 100000}), "out_of_range"),
    ("an unknown tool", json.dumps({**stroke_message(), "tool": "spraycan"}), "invalid_tool"),
    ("a negative chunk", json.dumps({**stroke_message(), "chunk": -1}), "out_of_range"),
    (
        "too many points",
        json.dumps({**stroke_message(), "points": [[0.5, 0.5]] * (MAX_POINTS_PER_MESSAGE + 1)}),
        "too_many_points",
    ),
    ("an oversize frame", json.dumps({"type": "cursor", "x": 0.5, "y": 0.5, "pad": "x" * 70000}), "frame_too_large"),
    ("a shape with three points", json.dumps({"type": "shape", "id": "r1", "shape": "rect", "color": "#000000", "width": 2, "points": [[0, 0], [1, 1], [0.5, 0.5]]}), "invalid_points"),
    ("a shape outside the canvas", json.dumps({"type": "shape", "id": "r1", "shape": "line", "color": "#000000", "width": 2, "points": [[0, 0], [101.01, 1]]}), "out_of_range"),
    ("an unknown shape", json.dumps({**shape_message(), "shape": "star"}), "invalid_tool"),
    ("a fill on a line", json.dumps({**shape_message(), "shape": "line", "fill": "#ff0000"}), "invalid_field"),
    ("a fill with markup", json.dumps({**shape_message(), "fill": '#000000"/><script>'}), "invalid_color"),
    ("an opacity of nothing", json.dumps({**shape_message(), "opacity": 0}), "out_of_range"),
    ("an opacity above 1", json.dumps({**shape_message(), "opacity": 1.5}), "out_of_range"),
    ("an unknown dash", json.dumps({**shape_message(), "dash": "wavy"}), "invalid_field"),
    ("arrowheads on a rectangle", json.dumps({**shape_message(), "heads": "both"}), "invalid_field"),
    ("an unknown element kind", json.dumps({**text_message(), "kind": "sticker"}), "invalid_tool"),
    ("a text over its limit", json.dumps({**text_message(), "text": "[" * (MAX_TEXT_LENGTH + 1)}), "too_long"),
    ("a text of spaces", json.dumps({**text_message(), "text": "   "}), "invalid_field"),
    ("a text with a control character", json.dumps({**text_message(), "text": "a\u0000b"}), "invalid_field"),
    ("a text as a list", json.dumps({**text_message(), "text": ["a"]}), "invalid_field"),
    ("a tiny font", json.dumps({**text_message(), "size": 2}), "out_of_range"),
    ("an unknown alignment", json.dumps({**text_message(), "align": "justify"}), "invalid_field"),
    ("a fill on a text", json.dumps({**text_message(), "fill": "#ffffff"}), "invalid_field"),
    ("a text with one corner", json.dumps({**text_message(), "points": [[0.1, 0.1]]}), "invalid_points"),
    ("a move without ids", '{"type": "move", "id": "m1", "ids": [], "dx": 0.1, "dy": 0}', "invalid_field"),
    ("a move that goes nowhere", '{"type": "move", "id": "m1", "ids": ["s1"], "dx": 0, "dy": 0}', "invalid_field"),
    ("a move given as text", '{"type": "move", "id": "m1", "ids": ["s1"], "dx": "1", "dy": 0}', "invalid_field"),
    ("a move without its id", '{"type": "move", "ids": ["s1"], "dx": 0.1, "dy": 0}', "invalid_id"),
    ("a move past the canvas", '{"type": "move", "id": "m1", "ids": ["s1"], "dx": 202, "dy": 0}', "out_of_range"),
    ("a move of too many", json.dumps({"type": "move", "id": "m1", "ids": [f"s{n}" for n in range(1001)], "dx": 0.1, "dy": 0}), "too_many_ids"),
    ("an edit without its version", '{"type": "edit", "id": "e1", "element": "t1", "color": "#000000", "points": [[0, 0], [0.1, 0.1]], "text": "x", "size": 20}', "invalid_field"),
    ("an edit of a text over its limit", json.dumps({"type": "edit", "id": "e1", "element": "t1", "version": 0, "color": "#000000", "points": [[0, 0], [0.1, 0.1]], "text": "]" * 5001, "size": 20}), "too_long"),
    ("an edit naming no element", '{"type": "edit", "id": "e1", "element": 7, "version": 0, "color": "#000000", "points": [[0, 0], [0.1, 0.1]], "text": "x", "size": 20}', "invalid_id"),
    ("a picture not uploaded", '{"type": "image", "id": "i1", "image": 424242, "points": [[0, 0], [0.1, 0.1]]}', "unknown_image"),
    ("a picture named by text", '{"type": "image", "id": "i1", "image": "cat.png", "points": [[0, 0], [0.1, 0.1]]}', "invalid_field"),
    ("a view inside out", '{"type": "view", "x1": 0.5, "y1": 0, "x2": 0.1, "y2": 1}', "invalid_field"),
    ("a view past the canvas", '{"type": "view", "x1": 0, "y1": 0, "x2": 500, "y2": 1}', "out_of_range"),
    ("a hold for no reason we know", '{"type": "hold", "ids": ["s1"], "reason": "fun"}', "invalid_field"),
    ("a drag given as text", '{"type": "drag", "dx": "far", "dy": 0}', "invalid_field"),
    ("a cursor given as text", '{"type": "cursor", "x": "0.5", "y": 0.5}', "invalid_field"),
    ("erase without ids", '{"type": "erase", "ids": []}', "invalid_field"),
    ("erase with a bad id", '{"type": "erase", "ids": ["ok", 3]}', "invalid_id"),
    ("clear with fields", '{"type": "clear", "all": true}', "unknown_field"),
    ("an object as ref", json.dumps({**stroke_message(), "ref": {"a": 1}}), "invalid_ref"),
    ("sync beyond the latest seq", '{"type": "sync", "since": 999999}', "out_of_range"),
]


class BadInputTests(WhiteboardSocketTestCase):
    def test_every_kind_of_bad_input_gets_an_error_and_changes_nothing(self):
        before = self.stored_state()

        async def scenario():
            alice, _ = await join(self.board, self.alice)
            bob, _ = await join(self.board, self.bob)
            while not await bob.receive_nothing(0.2):  # presence frames, whenever they come
                await bob.receive_output()
            answers = []
            for _, text, _ in BAD_FRAMES:
                answers.append(await send_raw(alice, text))
            await alice.send_to(bytes_data=b"\x00\x01")
            answers.append((await receive_until(alice, "error"))[0])
            nothing_for_bob = await frames_besides_presence(bob) == []
            await alice.disconnect()
            await bob.disconnect()
            return answers, nothing_for_bob

        with override_settings(REALTIME_MAX_INVALID_PER_MINUTE=1000):
            answers, nothing_for_bob = in_a_loop_of_its_own(scenario)
        for (label, _, code), answer in zip(BAD_FRAMES, answers):
            with self.subTest(label):
                self.assertEqual(answer["type"], "error")
                self.assertEqual(answer["code"], code, answer["message"])
                self.assertTrue(answer["message"])
        self.assertEqual(answers[-1]["code"], "binary_frame")
        self.assertTrue(nothing_for_bob, "a refused message reached another client")
        self.assertEqual(self.stored_state(), before)

    def test_the_error_echoes_the_ref_of_the_refused_command(self):
        async def scenario():
            alice, _ = await join(self.board, self.alice)
            answer = await command(alice, {**stroke_message(), "color": "blue", "ref": 41})
            await alice.disconnect()
            return answer

        answer = in_a_loop_of_its_own(scenario)
        self.assertEqual((answer["ref"], answer["code"]), (41, "invalid_color"))

    def test_a_client_that_keeps_sending_garbage_is_disconnected(self):
        async def scenario():
            alice, _ = await join(self.board, self.alice)
            for _ in range(200):
                await alice.send_to(text_data="{garbage")
            code = await closed_with(alice)
            await alice.disconnect()
            return code

        self.assertEqual(in_a_loop_of_its_own(scenario), 4400)

    def test_losing_a_race_is_answered_but_not_held_against_the_client(self):
        async def scenario():
            bob, _ = await join(self.board, self.bob)
            answers = [await command(bob, {"type": "undo", "ref": n}) for n in range(40)]
            still_open = await command(bob, stroke_message("b1"))
            await bob.disconnect()
            return answers, still_open

        answers, still_open = in_a_loop_of_its_own(scenario)
        self.assertEqual({answer["code"] for answer in answers}, {"nothing_to_undo"})
        self.assertEqual(still_open["type"], "ack")


class UndoEraseClearTests(WhiteboardSocketTestCase):
    def test_undo_and_redo_reach_everyone_and_the_ack_carries_the_effect(self):
        async def scenario():
            alice, _ = await join(self.board, self.alice)
            bob, _ = await join(self.board, self.bob)
            await command(alice, stroke_message("s1"))
            await receive_until(bob, "stroke")
            undo = await command(alice, {"type": "undo"})
            undone, _ = await receive_until(bob, "undo")
            redo = await command(alice, {"type": "redo"})
            redone, _ = await receive_until(bob, "redo")
            await alice.disconnect()
            await bob.disconnect()
            return undo, undone, redo, redone

        undo, undone, redo, redone = in_a_loop_of_its_own(scenario)
        self.assertEqual((undo["hide"], "show_ids" in undo, undo["can_undo"], undo["can_redo"]), (["s1"], False, False, True))
        self.assertEqual((undone["seq"], undone["hide"], undone["user"]), (undo["seq"], ["s1"], "alice"))
        self.assertEqual(redone["seq"], redo["seq"])
        # The redo shows what the undo hid by naming the undo's mark: every client already holds the stroke.
        self.assertEqual(redone["show_marks"], [undo["seq"]])
        self.assertFalse(Stroke.objects.get(client_id="s1").hidden)

    def test_erasing_someone_elses_stroke_and_undoing_the_erase(self):
        async def scenario():
            alice, _ = await join(self.board, self.alice)
            bob, _ = await join(self.board, self.bob)
            await command(alice, stroke_message("s1"))
            await command(alice, stroke_message("s2"))
            erase = await command(bob, {"type": "erase", "ids": ["s1", "nope"]})
            erased, _ = await receive_until(alice, "erase")
            again = await command(bob, {"type": "erase", "ids": ["s1"]})
            extend = await command(alice, stroke_message("s1", chunk=1))
            undo = await command(bob, {"type": "undo"})
            restored, _ = await receive_until(alice, "undo")
            await alice.disconnect()
            await bob.disconnect()
            return erase, erased, again, extend, undo, restored

        erase, erased, again, extend, undo, restored = in_a_loop_of_its_own(scenario)
        self.assertEqual(erase["ids"], ["s1"])
        self.assertEqual((erased["ids"], erased["user"]), (["s1"], "bob"))
        self.assertEqual(again["code"], "nothing_to_erase")
        self.assertEqual(extend["code"], "stroke_gone")
        self.assertEqual(restored["show_marks"], [erase["seq"]])
        self.assertEqual(list(Stroke.objects.filter(hidden=False).values_list("client_id", flat=True)), ["s1", "s2"])

    def test_clearing_hides_everything_for_everyone_and_can_be_undone(self):
        async def scenario():
            alice, _ = await join(self.board, self.alice)
            bob, _ = await join(self.board, self.bob)
            await command(alice, stroke_message("s1"))
            await command(bob, stroke_message("s2"))
            clear = await command(bob, {"type": "clear"})
            cleared, _ = await receive_until(alice, "clear")
            empty = await command(alice, {"type": "clear"})
            hidden_count = await database_sync_to_async(Stroke.objects.filter(hidden=True).count)()
            undo = await command(bob, {"type": "undo"})
            await alice.disconnect()
            await bob.disconnect()
            return clear, cleared, empty, hidden_count, undo

        clear, cleared, empty, hidden_count, undo = in_a_loop_of_its_own(scenario)
        self.assertEqual((cleared["seq"], cleared["user"]), (clear["seq"], "bob"))
        self.assertEqual(empty["code"], "board_empty")
        self.assertEqual(hidden_count, 2)
        self.assertEqual((undo["show_marks"], "show_ids" in undo), ([clear["seq"]], False))
        self.assertEqual(Stroke.objects.filter(hidden=False).count(), 2)
