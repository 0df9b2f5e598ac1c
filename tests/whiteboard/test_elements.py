"""
Elements besides freehand strokes: arrows, diamonds, filled, translucent and
dashed shapes, texts and sticky notes, anywhere on the unbounded canvas.
Each is one message, one event and one undoable step, kept in a Stroke row
with what its kind adds in `props`, so every guarantee of strokes holds.
"""

import json

from django.test import TestCase, TransactionTestCase

from tests.support import in_a_loop_of_its_own, make_user, receive_until
from tests.whiteboard.helpers import command, export_svg, join, shape_message, snapshot_strokes, svg_drawing, text_message
from whiteboard import replay, selectors, services
from whiteboard.exports import drawing_frame
from whiteboard.models import BoardEvent, Stroke

NOTE = {"text": "Ship it\n<script>alert(1)</script> & more", "size": 20, "align": "center", "fill": "#d3f9d8"}


def add_note(board, user, stroke_id="n1", *, points=([0.5, 0.5], [0.6, 0.7]), props=NOTE):
    return services.text_add(
        board=board, actor=user, stroke_id=stroke_id, tool="note", color="#1b1e2b", points=[list(p) for p in points],
        props=dict(props),
    )


class ElementSocketTests(TransactionTestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.bob = make_user("bob")
        self.board = services.board_create(name="Plans", owner=self.alice)
        self.board.members.add(self.bob)

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


class ElementHistoryTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.bob = make_user("bob")
        self.board = services.board_create(name="Plans", owner=self.alice)
        self.board.members.add(self.bob)

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
