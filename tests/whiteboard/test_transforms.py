"""
Resizing, turning and reordering elements (whiteboard.transforms): one
message, one event carrying every element's new state and one undoable
step, so undo, redo, restore, revert, the time-lapse and the exports follow.
"""

import math

from django.test import TestCase, TransactionTestCase

from boardsite.collab.errors import ActionError

from tests.support import in_a_loop_of_its_own, receive_until
from tests.whiteboard.helpers import command, export_svg, join, snapshot_strokes
from tests.whiteboard.test_elements import add_note, alice_and_bob_on_a_board
from whiteboard import replay, selectors, services, transforms
from whiteboard.models import BoardEvent, ElementEdit, Stroke


def add_rect(board, user, stroke_id, points=((0.1, 0.1), (0.2, 0.3)), **props):
    return services.shape_add(
        board=board, actor=user, stroke_id=stroke_id, tool="rect", color="#000000", width=4,
        points=[list(point) for point in points], props=props,
    )


def add_pen(board, user, stroke_id, points):
    return services.stroke_add_chunk(
        board=board, actor=user, stroke_id=stroke_id, chunk=0, tool="pen", color="#000000", width=3,
        points=[list(point) for point in points],
    )


class TransformTests(TestCase):
    def setUp(self):
        self.alice, self.bob, self.board = alice_and_bob_on_a_board()

    def transform(self, user, transform_id, stroke_ids, *, origin=(0, 0), sx=1, sy=1, angle=0):
        return transforms.elements_transform(
            board=self.board, actor=user, transform_id=transform_id, stroke_ids=stroke_ids, origin_point=origin,
            sx=sx, sy=sy, angle=angle,
        )

    def strokes(self):
        return {stroke["id"]: stroke for stroke in snapshot_strokes(selectors.board_snapshot_json(board=self.board))}

    def assert_replay_agrees(self):
        self.board.refresh_from_db()
        frames = list(BoardEvent.objects.filter(board=self.board).order_by("seq").values_list("payload", flat=True))
        for seq in range(self.board.last_seq + 1):
            fast = [stroke.frame() for stroke in replay.strokes_at(board=self.board, seq=seq)]
            self.assertEqual(fast, replay.replay_frames(frames[:seq]), f"at seq {seq}")

    def test_resizing_scales_a_stroke_about_the_origin_and_a_box_keeps_its_corners(self):
        add_pen(self.board, self.alice, "p1", [(0.1, 0.1), (0.2, 0.2), (0.3, 0.1, 0.5)])
        add_rect(self.board, self.alice, "r1", ((0.3, 0.2), (0.1, 0.1)))  # drawn from its bottom right
        applied = self.transform(self.bob, "t1", ["p1", "r1", "gone"], origin=(0.1, 0.1), sx=2, sy=0.5)
        self.assertEqual([edit["element"] for edit in applied.details["edits"]], ["p1", "r1"])
        strokes = self.strokes()
        self.assertEqual(strokes["p1"]["points"], [[0.1, 0.1], [0.3, 0.15], [0.5, 0.1, 0.5]])
        self.assertEqual(strokes["r1"]["points"], [[0.1, 0.1], [0.5, 0.15]])
        event = BoardEvent.objects.get(board=self.board, seq=applied.seq)
        self.assertEqual((event.type, event.payload["user"], event.payload["id"]), ("transform", "bob", "t1"))
        self.assertEqual([edit["element"] for edit in event.payload["edits"]], ["p1", "r1"])
        self.assertEqual(event.payload["edits"][1]["points"], [[0.1, 0.1], [0.5, 0.15]])
        self.assertEqual(Stroke.objects.get(client_id="r1").max_x, 0.5)
        again = self.transform(self.bob, "t1", ["p1", "r1"], origin=(0.1, 0.1), sx=2, sy=0.5)
        self.assertEqual((again.seq, again.details["duplicate"]), (applied.seq, True))
        self.assertEqual(self.strokes()["r1"]["points"], [[0.1, 0.1], [0.5, 0.15]])

    def test_turning_moves_a_box_about_the_origin_and_turns_it_about_its_centre(self):
        add_rect(self.board, self.alice, "r1", ((0.1, 0.1), (0.2, 0.2)))
        add_pen(self.board, self.alice, "p1", [(0.5, 0.5), (0.6, 0.5)])
        # A quarter turn about the rectangle's centre (in board pixels): it stays where it is, turned.
        self.transform(self.alice, "t1", ["r1"], origin=(0.15, 0.15), angle=math.pi / 2)
        rect = self.strokes()["r1"]
        self.assertEqual(rect["points"], [[0.1, 0.1], [0.2, 0.2]])
        self.assertAlmostEqual(rect["props"]["angle"], math.pi / 2, places=5)
        # Its extent is that of its turned corners: 192 x 120 px turned is 120 x 192 px.
        stored = Stroke.objects.get(client_id="r1")
        self.assertAlmostEqual((stored.max_x - stored.min_x) * 1920, 120, places=3)
        self.assertAlmostEqual((stored.max_y - stored.min_y) * 1200, 192, places=3)
        # A stroke turned a quarter about its first point, in pixels: 192 px right becomes 192 px down.
        self.transform(self.alice, "t2", ["p1"], origin=(0.5, 0.5), angle=math.pi / 2)
        self.assertEqual(self.strokes()["p1"]["points"], [[0.5, 0.5], [0.5, 0.66]])
        # Another turn adds up; a whole turn leaves no angle.
        self.transform(self.alice, "t3", ["r1"], origin=(0.15, 0.15), angle=math.pi / 2)
        self.transform(self.alice, "t4", ["r1"], origin=(0.15, 0.15), angle=math.pi)
        self.assertNotIn("angle", self.strokes()["r1"]["props"])

    def test_a_text_scales_its_size_with_its_box_and_keeps_its_words(self):
        add_note(self.board, self.alice, "n1", points=([0.5, 0.5], [0.6, 0.7]))  # size 20
        self.transform(self.alice, "t1", ["n1"], origin=(0.5, 0.5), sx=2, sy=2)
        note = self.strokes()["n1"]
        self.assertEqual(note["props"]["size"], 40)
        self.assertEqual(note["props"]["text"], "Ship it\n<script>alert(1)</script> & more")
        self.assertEqual(note["points"], [[0.5, 0.5], [0.7, 0.9]])
        # Past the largest size, the size stops there and the box with it, evenly, about its new centre.
        self.transform(self.alice, "t2", ["n1"], origin=(0.5, 0.5), sx=100, sy=100)
        note = self.strokes()["n1"]
        self.assertEqual(note["props"]["size"], 400)
        self.assertEqual(note["points"], [[9.5, 18.5], [11.5, 22.5]])

    def test_undo_redo_restore_and_revert_take_a_transform_back_and_again(self):
        add_rect(self.board, self.alice, "r1")
        before = self.board_seq()
        self.transform(self.bob, "t1", ["r1"], origin=(0.1, 0.1), sx=3, sy=3, angle=0.5)
        turned = self.strokes()["r1"]
        services.history_undo(board=self.board, actor=self.bob)
        self.assertEqual(self.strokes()["r1"]["points"], [[0.1, 0.1], [0.2, 0.3]])
        self.assertEqual(self.strokes()["r1"]["props"], {})
        services.history_redo(board=self.board, actor=self.bob)
        self.assertEqual(self.strokes()["r1"]["points"], turned["points"])
        services.board_revert_user(board=self.board, actor=self.alice, username="bob", after_seq=before)
        self.assertEqual(self.strokes()["r1"]["props"], {})
        services.history_undo(board=self.board, actor=self.alice)
        self.assertEqual(self.strokes()["r1"]["props"], turned["props"])
        services.board_restore(board=self.board, actor=self.alice, to_seq=before)
        self.assertEqual(self.strokes()["r1"]["points"], [[0.1, 0.1], [0.2, 0.3]])
        self.assert_replay_agrees()

    def test_a_moved_element_is_transformed_where_it_is_drawn(self):
        add_rect(self.board, self.alice, "r1", ((0.1, 0.1), (0.2, 0.2)))
        services.elements_move(board=self.board, actor=self.alice, move_id="m1", stroke_ids=["r1"], dx=1, dy=0)
        self.transform(self.alice, "t1", ["r1"], origin=(1.1, 0.1), sx=2, sy=2)
        rect = self.strokes()["r1"]
        self.assertEqual((rect["dx"], rect["points"]), (1, [[0.1, 0.1], [0.3, 0.3]]))  # stored without its offset

    def test_bad_transforms_are_refused_and_change_nothing(self):
        add_rect(self.board, self.alice, "r1")
        add_pen(self.board, self.alice, "p1", [(0.5, 0.5)] * 200)
        services.strokes_erase(board=self.board, actor=self.alice, stroke_ids=["p1"])
        for stroke_ids, kwargs, code in (
            (["p1"], {"sx": 2}, "nothing_to_change"),
            (["r1"], {"origin": (-100, -100), "sx": 100, "sy": 100}, "out_of_range"),
        ):
            with self.subTest(code), self.assertRaises(ActionError) as refused:
                self.transform(self.alice, f"t-{code}", stroke_ids, **kwargs)
            self.assertEqual(refused.exception.code, code)
        self.assertFalse(ElementEdit.objects.exists())
        self.assertEqual(self.strokes()["r1"]["points"], [[0.1, 0.1], [0.2, 0.3]])

    def test_a_transform_of_more_points_than_its_limit_is_refused_whole(self):
        add_rect(self.board, self.alice, "r1")
        for index in range(3):
            add_pen(self.board, self.alice, f"p{index}", [(0.5, 0.5)] * 200)
        limit = transforms.MAX_TRANSFORM_POINTS
        try:
            transforms.MAX_TRANSFORM_POINTS = 500
            with self.assertRaises(ActionError) as refused:
                self.transform(self.alice, "t1", ["r1", "p0", "p1", "p2"], sx=0.5)
        finally:
            transforms.MAX_TRANSFORM_POINTS = limit
        self.assertEqual((refused.exception.code, refused.exception.details["limit"]), ("too_many_points", 500))
        self.assertFalse(ElementEdit.objects.exists())

    def test_a_text_edit_keeps_the_angle_and_place_a_transform_and_order_gave_it(self):
        add_note(self.board, self.alice, "n1")
        self.transform(self.alice, "t1", ["n1"], origin=(0.55, 0.6), angle=0.25)
        transforms.elements_order(board=self.board, actor=self.alice, order_id="o1", stroke_ids=["n1"], place="back")
        version = Stroke.objects.get(client_id="n1").version
        services.text_edit(
            board=self.board, actor=self.bob, edit_id="e1", stroke_id="n1", version=version, color="#000000",
            points=[[0.5, 0.5], [0.6, 0.7]], props={"text": "New words", "size": 20, "align": "left", "fill": None},
        )
        props = self.strokes()["n1"]["props"]
        self.assertEqual((props["text"], props["angle"], props["z"]), ("New words", 0.25, 0))

    def test_the_rest_of_a_stroke_resized_while_it_is_drawn_is_refused(self):
        add_pen(self.board, self.alice, "p1", [(0.1, 0.1), (0.2, 0.2)])
        self.transform(self.bob, "t1", ["p1"], origin=(0.1, 0.1), sx=2, sy=2)
        with self.assertRaises(ActionError) as refused:
            services.stroke_add_chunk(
                board=self.board, actor=self.alice, stroke_id="p1", chunk=1, tool="pen", color="#000000", width=3,
                points=[[0.3, 0.3]],
            )
        self.assertEqual(refused.exception.code, "stroke_changed")
        self.assertEqual(self.strokes()["p1"]["points"], [[0.1, 0.1], [0.3, 0.3]])

    def test_an_export_draws_a_turned_box_turned_about_its_centre_and_frames_its_corners(self):
        add_rect(self.board, self.alice, "r1", ((0.9, 0.1), (1.1, 0.2)))
        before = self.board_seq()
        self.transform(self.alice, "t1", ["r1"], origin=(1.0, 0.15), angle=math.pi / 2)
        self.client.force_login(self.alice)
        url = f"/whiteboard/{self.board.slug}/export.svg"
        _, now = export_svg(self.client, url)
        _, then = export_svg(self.client, f"{url}?seq={before}")
        self.assertIn('<g transform="rotate(90.0000 3840 360)"><rect x="3456" y="240" width="768" height="240"/></g>', now)
        # 384 x 120 px about (1920, 180), turned: 120 x 384 px, from x 1860 to 1980 and y -12 to 372.
        self.assertIn('viewBox="0 -38 2006 1238"', now)
        self.assertNotIn("rotate", then)
        self.assertIn('viewBox="0 0 2138 1200"', then)

    def board_seq(self):
        self.board.refresh_from_db()
        return self.board.last_seq


class OrderTests(TestCase):
    def setUp(self):
        self.alice, self.bob, self.board = alice_and_bob_on_a_board()
        for stroke_id in ("a", "b", "c", "d"):
            add_rect(self.board, self.alice, stroke_id)

    def order(self, user, order_id, stroke_ids, place):
        return transforms.elements_order(
            board=self.board, actor=user, order_id=order_id, stroke_ids=stroke_ids, place=place
        )

    def drawn(self):
        return [stroke["id"] for stroke in snapshot_strokes(selectors.board_snapshot_json(board=self.board))]

    def drawing_order(self):
        """The order a client draws the snapshot in (static/whiteboard/strokes.js sorts by the same key)."""
        strokes = snapshot_strokes(selectors.board_snapshot_json(board=self.board), hidden_too=True)
        visible = [stroke for stroke in strokes if not stroke["hidden"]]
        return [stroke["id"] for stroke in sorted(visible, key=lambda s: replay.draw_key(s["created"], s["props"]))]

    def test_front_and_back_keep_the_elements_own_order_and_later_drawing_goes_on_top(self):
        self.order(self.bob, "o1", ["c", "a"], "front")
        self.assertEqual(self.drawing_order(), ["b", "d", "a", "c"])
        self.order(self.bob, "o2", ["c", "d"], "back")  # in the order they are drawn: d, then c
        self.assertEqual(self.drawing_order(), ["d", "c", "b", "a"])
        add_rect(self.board, self.alice, "e")
        self.assertEqual(self.drawing_order(), ["d", "c", "b", "a", "e"])
        services.history_undo(board=self.board, actor=self.bob)
        self.assertEqual(self.drawing_order(), ["b", "d", "a", "c", "e"])
        again = self.order(self.bob, "o1", ["c", "a"], "front")
        self.assertTrue(again.details["duplicate"])
        self.board.refresh_from_db()
        frames = list(BoardEvent.objects.filter(board=self.board).order_by("seq").values_list("payload", flat=True))
        for seq in range(self.board.last_seq + 1):
            fast = [stroke.frame() for stroke in replay.strokes_at(board=self.board, seq=seq)]
            self.assertEqual(fast, replay.replay_frames(frames[:seq]), f"at seq {seq}")
        self.assertEqual([stroke["id"] for stroke in replay.replay_frames(frames)], ["b", "d", "a", "c", "e"])

    def test_an_export_draws_in_the_new_order_now_and_in_the_old_one_before(self):
        add_rect(self.board, self.alice, "red", ((0.5, 0.5), (0.6, 0.6)), fill="#ff0000")
        before = self.board.__class__.objects.get(pk=self.board.pk).last_seq
        self.order(self.alice, "o1", ["red"], "back")
        self.client.force_login(self.alice)
        url = f"/whiteboard/{self.board.slug}/export.svg"
        _, now = export_svg(self.client, url)
        _, then = export_svg(self.client, f"{url}?seq={before}")
        self.assertLess(now.index('fill="#ff0000"'), now.index('<g stroke="#000000" stroke-width="8">'))
        self.assertGreater(then.index('fill="#ff0000"'), then.index('<g stroke="#000000" stroke-width="8">'))

    def test_elements_held_by_someone_else_are_not_reordered(self):
        from whiteboard import holds

        holds.elements_hold(board=self.board, actor=self.alice, stroke_ids=["a"], reason="move", connection="c1")
        with self.assertRaises(ActionError) as refused:
            transforms.elements_order(
                board=self.board, actor=self.bob, order_id="o1", stroke_ids=["a", "b"], place="front", connection="c2"
            )
        self.assertEqual(refused.exception.code, "held")
        self.assertEqual(self.drawing_order(), ["a", "b", "c", "d"])


class TransformSocketTests(TransactionTestCase):
    def setUp(self):
        self.alice, self.bob, self.board = alice_and_bob_on_a_board()
        add_rect(self.board, self.alice, "r1")

    def test_a_transform_and_an_order_reach_everyone_once_and_bad_ones_get_clear_errors(self):
        arrow = {"type": "shape", "shape": "arrow", "color": "#000000", "width": 4, "points": [[0, 0], [0.1, 0.1]]}

        async def scenario():
            alice, _ = await join(self.board, self.alice)
            bob, _ = await join(self.board, self.bob)
            ack = await command(alice, {"type": "transform", "id": "t1", "ids": ["r1"], "x": 0.1, "y": 0.1, "sx": 2, "ref": 1})
            seen, _ = await receive_until(bob, "transform")
            ordered = await command(alice, {"type": "order", "id": "o1", "ids": ["r1"], "place": "back", "ref": 2})
            seen_order, _ = await receive_until(bob, "order")
            await bob.send_json_to({"type": "drag", "x": 0.1, "y": 0.1, "sx": 1.5, "angle": 0.1})
            dragged, _ = await receive_until(alice, "drag")
            refusals = [
                await command(alice, {"type": "transform", "id": "t2", "ids": ["r1"], "x": 0.1, "y": 0.1, "ref": 3}),
                await command(alice, {"type": "transform", "id": "t3", "ids": ["r1"], "x": 0.1, "y": 0.1, "sx": 0, "ref": 4}),
                await command(alice, {"type": "transform", "id": "t4", "ids": ["r1"], "x": 0.1, "y": 0.1, "angle": 7, "ref": 5}),
                await command(alice, {"type": "transform", "id": "t5", "ids": ["r1"], "x": "[" * 10_000, "y": 0, "ref": 6}),
                await command(alice, {"type": "order", "id": "o2", "ids": ["r1"], "place": "middle", "ref": 7}),
                await command(alice, {"type": "order", "id": "o3", "ids": ["x"] * 1001, "place": "front", "ref": 8}),
                await command(alice, {"type": "transform", "id": "t6", "ids": ["r1"], "x": 0, "y": 0, "sx": 2, "z": 1, "ref": 9}),
                await command(alice, {**arrow, "id": "a1", "shape": "rect", "start": {"id": "r1", "x": 0, "y": 0}, "ref": 10}),
                await command(alice, {**arrow, "id": "a2", "start": {"id": "r1", "x": 2, "y": 0}, "ref": 11}),
                await command(alice, {**arrow, "id": "a3", "end": "r1", "ref": 12}),
                await command(alice, {**arrow, "id": "a4", "end": {"id": "r1", "x": 0, "y": 0, "z": 1}, "ref": 13}),
                await command(alice, {**arrow, "id": "a5", "end": {"id": "gone", "x": 0, "y": 0}, "ref": 14}),
            ]
            await alice.disconnect()
            await bob.disconnect()
            return ack, seen, ordered, seen_order, dragged, refusals

        ack, seen, ordered, seen_order, dragged, refusals = in_a_loop_of_its_own(scenario)
        self.assertEqual((ack["type"], seen["seq"]), ("ack", ack["seq"]))
        self.assertEqual(seen["edits"][0]["points"], [[0.1, 0.1], [0.3, 0.3]])
        self.assertEqual(seen["edits"][0]["version"], 1)
        self.assertEqual((seen_order["seq"], seen_order["edits"][0]["z"]), (ordered["seq"], 0))
        self.assertEqual(
            {name: dragged[name] for name in ("x", "y", "sx", "sy", "angle")},
            {"x": 0.1, "y": 0.1, "sx": 1.5, "sy": 1.0, "angle": 0.1},
        )
        self.assertEqual(
            [refusal.get("code") for refusal in refusals],
            ["invalid_field", "out_of_range", "out_of_range", "invalid_field", "invalid_field", "too_many_ids",
             "unknown_field", "invalid_field", "out_of_range", "invalid_field", "unknown_field", "unknown_element"],
        )
        self.assertEqual(ElementEdit.objects.count(), 2)


class SelectionExportTests(TestCase):
    """A selection copied out as SVG: `POST export.svg` with `ids`, the elements alone, framed by themselves."""

    def setUp(self):
        self.alice, self.bob, self.board = alice_and_bob_on_a_board()
        add_rect(self.board, self.alice, "r1", ((0.1, 0.1), (0.2, 0.2)))
        add_note(self.board, self.alice, "n1")
        self.url = f"/whiteboard/{self.board.slug}/export.svg"

    def test_the_elements_named_are_drawn_alone_and_framed_by_themselves(self):
        self.client.force_login(self.bob)
        response = self.client.post(self.url, {"ids": "r1,gone"})
        self.assertEqual((response.status_code, response["Content-Type"]), (200, "image/svg+xml; charset=utf-8"))
        self.assertEqual(response["Cache-Control"], "private, no-store")
        svg = response.content.decode()
        self.assertIn('viewBox="166 94 244 172"', svg)  # 192 x 120 px at (192, 120), 4 wide, 24 of margin
        self.assertIn("<rect", svg)
        self.assertNotIn("Ship it", svg)

    def test_outsiders_forged_requests_and_bad_ids_are_refused(self):
        from django.test import Client

        from tests.support import make_user

        outsider = Client()
        outsider.force_login(make_user("mallory"))
        self.assertEqual(outsider.post(self.url, {"ids": "r1"}).status_code, 404)
        forged = Client(enforce_csrf_checks=True)
        forged.force_login(self.bob)
        self.assertEqual(forged.post(self.url, {"ids": "r1"}).status_code, 403)
        self.client.force_login(self.bob)
        for ids, code in (("", "invalid_field"), ("r1,<script>", "invalid_id"), (",".join(["a"] * 1001), "too_many_ids"),
                          ("[" * 10_000, "invalid_id"), ("a" * 50_000, "too_many_ids")):
            with self.subTest(code):
                response = self.client.post(self.url, {"ids": ids})
                self.assertEqual((response.status_code, response.json()["code"]), (400, code))


class AttachedArrowTests(TestCase):
    """A line's or arrow's end attached to an element is drawn where that element is, whenever it moves."""

    def setUp(self):
        self.alice, self.bob, self.board = alice_and_bob_on_a_board()
        add_rect(self.board, self.alice, "r1", ((0.5, 0.5), (0.6, 0.6)))
        self.url = f"/whiteboard/{self.board.slug}/export.svg"

    def arrow(self, stroke_id="a1", **ends):
        return services.shape_add(
            board=self.board, actor=self.bob, stroke_id=stroke_id, tool="arrow", color="#1971c2", width=4,
            points=[[0.1, 0.1], [0.55, 0.55]], props=ends,
        )

    def shaft(self, svg):
        """The arrow's shaft in an export: its two ends, in board pixels."""
        import re

        x1, y1, x2, y2 = map(float, re.search(r'<path d="M(-?[\d.]+) (-?[\d.]+)L(-?[\d.]+) (-?[\d.]+)"/>', svg).groups())
        return (x1 / 2, y1 / 2), (x2 / 2, y2 / 2)

    def test_an_arrow_attached_to_a_rectangle_follows_it_when_it_moves_and_turns_in_the_exports(self):
        self.arrow(end={"id": "r1", "x": 0.5, "y": 0.5})  # its middle
        self.client.force_login(self.alice)
        self.board.refresh_from_db()
        before = self.board.last_seq
        services.elements_move(board=self.board, actor=self.alice, move_id="m1", stroke_ids=["r1"], dx=0.25, dy=0)
        _, now = export_svg(self.client, self.url)
        _, then = export_svg(self.client, f"{self.url}?seq={before}")
        # Aimed at the rectangle's middle, (1056, 660), it stops 4 px short of its outline: at its top-left corner then,
        self.assertEqual(self.shaft(then), ((192, 120), (957, 598)))
        # and at its left side once it is a quarter of the board further right (middle (1536, 660), left side x 1440).
        self.assertEqual(self.shaft(now), ((192, 120), (1436, 620)))
        # At a corner of a turned rectangle, the end turns with it.
        services.shape_add(
            board=self.board, actor=self.bob, stroke_id="a2", tool="line", color="#1971c2", width=4,
            points=[[0.9, 0.9], [0.95, 0.95]], props={"start": {"id": "r1", "x": 1, "y": 0}},
        )
        transforms.elements_transform(
            board=self.board, actor=self.alice, transform_id="t1", stroke_ids=["r1"], origin_point=(0.8, 0.55),
            sx=1, sy=1, angle=math.pi / 2,
        )
        _, turned = export_svg(self.client, self.url)
        # The top-right corner (1632, 600) turned a quarter about the centre (1536, 660): (1596, 756), and 4 px off it.
        self.assertIn('<line x1="3196" y1="1518"', turned)

    def test_an_arrow_moved_without_its_element_lets_go_of_it_where_it_was_drawn_and_undo_attaches_it_again(self):
        self.arrow(end={"id": "r1", "x": 0.5, "y": 0.5})
        self.client.force_login(self.alice)
        with_both = services.elements_move(
            board=self.board, actor=self.bob, move_id="m0", stroke_ids=["a1", "r1"], dx=0.05, dy=0
        )
        self.assertNotIn("edits", with_both.details, "moved with its element, it stays attached")
        services.elements_move(board=self.board, actor=self.bob, move_id="m0b", stroke_ids=["a1", "r1"], dx=-0.05, dy=0)
        attached = self.shaft(export_svg(self.client, self.url)[1])
        self.assertEqual(attached, ((192, 120), (957, 598)))

        moved = services.elements_move(board=self.board, actor=self.bob, move_id="m1", stroke_ids=["a1"], dx=0.1, dy=0)
        (edit,) = moved.details["edits"]
        self.assertEqual((edit["element"], "end" in edit), ("a1", False))
        # It moved as drawn, a tenth of the board (192 px) to the right, and no longer follows the rectangle.
        self.assertEqual(self.shaft(export_svg(self.client, self.url)[1]), ((384, 120), (1149, 598)))
        services.elements_move(board=self.board, actor=self.alice, move_id="m2", stroke_ids=["r1"], dx=0, dy=0.2)
        self.assertEqual(self.shaft(export_svg(self.client, self.url)[1]), ((384, 120), (1149, 598)))
        event = BoardEvent.objects.get(board=self.board, type="move", payload__id="m1").payload
        self.assertEqual(event["edits"], moved.details["edits"], "the others get what the mover's ack says")

        services.history_undo(board=self.board, actor=self.alice)  # the rectangle's move
        undone = services.history_undo(board=self.board, actor=self.bob)  # the arrow's: attached again, where it was
        self.assertEqual(undone.details["edits"][0]["end"], {"id": "r1", "x": 0.5, "y": 0.5})
        self.assertEqual(self.shaft(export_svg(self.client, self.url)[1]), attached)
        services.history_redo(board=self.board, actor=self.bob)
        self.assertEqual(self.shaft(export_svg(self.client, self.url)[1]), ((384, 120), (1149, 598)))
        self.board.refresh_from_db()
        frames = list(BoardEvent.objects.filter(board=self.board).order_by("seq").values_list("payload", flat=True))
        for seq in range(self.board.last_seq + 1):
            fast = [stroke.frame() for stroke in replay.strokes_at(board=self.board, seq=seq)]
            self.assertEqual(fast, replay.replay_frames(frames[:seq]), f"at seq {seq}")

    def test_attached_ends_must_name_elements_of_the_board_other_than_itself(self):
        for ends, code in (
            ({"end": {"id": "nowhere", "x": 0.5, "y": 0.5}}, "unknown_element"),
            ({"start": {"id": "a1", "x": 0.5, "y": 0.5}}, "invalid_field"),
        ):
            with self.subTest(code), self.assertRaises(ActionError) as refused:
                self.arrow(**ends)
            self.assertEqual(refused.exception.code, code)
        self.assertFalse(Stroke.objects.filter(client_id="a1").exists())
