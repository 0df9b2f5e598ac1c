"""
The history over HTTP and the websocket: the time-lapse's event pages, the SVG
export at a seq, and the `restore` and `revert` commands, with who may use them.
"""

from django.test import TestCase, TransactionTestCase

from boardsite.collab import services as collab_services
from tests.support import in_a_loop_of_its_own, make_user, receive_until, websocket_for
from tests.whiteboard.helpers import command, export_svg, join, stroke_message
from whiteboard import services
from whiteboard.models import Stroke


def draw(board, user, stroke_id, points):
    services.stroke_add_chunk(
        board=board, actor=user, stroke_id=stroke_id, chunk=0, tool="pen", color="#1971c2", width=6, points=points
    )


class HistoryPagesTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.bob = make_user("bob")
        self.carol = make_user("carol")
        self.board = services.board_create(name="Plans", owner=self.alice)
        collab_services.board_add_member(board=self.board, username="bob", actor=self.alice)
        draw(self.board, self.alice, "a1", [[0.1, 0.1]])
        draw(self.board, self.bob, "b1", [[0.5, 0.5]])
        services.board_clear(board=self.board, actor=self.bob)
        self.client.force_login(self.bob)

    def url(self, name):
        return f"/whiteboard/{self.board.slug}/{name}"

    def test_history_pages_hold_every_event_as_broadcast_with_its_time(self):
        page = self.client.get(self.url("history.json")).json()
        self.assertEqual(page["last_seq"], 4)
        self.assertEqual(
            [event["type"] for event in page["events"]], ["board.member_added", "stroke", "stroke", "clear"]
        )
        self.assertEqual(page["events"][2]["user"], "bob")
        self.assertEqual(len(page["times"]), 4)
        self.assertIsNone(page["next_after"])
        later = self.client.get(self.url("history.json") + "?after=3").json()
        self.assertEqual([event["seq"] for event in later["events"]], [4])

    def test_the_svg_at_a_seq_shows_the_board_as_it_was_then(self):
        _, before_clear = export_svg(self.client, self.url("export.svg") + "?seq=3")
        self.assertIn('M384 240l0 0', before_clear)
        self.assertIn('M1920 1200l0 0', before_clear)
        _, only_alice = export_svg(self.client, self.url("export.svg") + "?seq=2")
        self.assertIn('M384 240l0 0', only_alice)
        self.assertNotIn('M1920 1200l0 0', only_alice)
        self.assertNotIn("<path", export_svg(self.client, self.url("export.svg") + "?seq=4")[1])
        download = self.client.get(self.url("export.svg") + "?seq=3&download")
        self.assertEqual(download["Content-Disposition"], f'attachment; filename="{self.board.slug}-at-3.svg"')

    def test_a_seq_the_board_has_not_reached_or_not_a_number_is_refused_clearly(self):
        for value in ("5", "-1", "two", "1.5", ""):
            with self.subTest(value=value):
                response = self.client.get(self.url("export.svg") + f"?seq={value}")
                self.assertEqual(response.status_code, 400)
                self.assertEqual(response.content.decode(), "`seq` must be a whole number from 0 to 4, the board's latest seq.")
                history = self.client.get(self.url("history.json") + f"?after={value}")
                self.assertEqual((history.status_code, history.json()["code"]), (400, "out_of_range"))

    def test_non_members_see_nothing(self):
        self.client.force_login(self.carol)
        for name in ("history.json", "export.svg?seq=1"):
            with self.subTest(name):
                self.assertEqual(self.client.get(self.url(name)).status_code, 404)


class RestoreSocketTests(TransactionTestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.bob = make_user("bob")
        self.carol = make_user("carol")
        self.board = services.board_create(name="Sketches", owner=self.alice)
        collab_services.board_add_member(board=self.board, username="bob", actor=self.alice)
        self.board.refresh_from_db()

    def test_the_owner_restores_and_everyone_sees_it_at_once(self):
        async def scenario():
            alice, _ = await join(self.board, self.alice)
            bob, _ = await join(self.board, self.bob)
            drawn = await command(bob, stroke_message("b1"))
            await command(bob, {"type": "clear"})
            restored = await command(alice, {"type": "restore", "to_seq": drawn["seq"]})
            seen, _ = await receive_until(bob, "restore")
            undone = await command(alice, {"type": "undo"})
            seen_undo, _ = await receive_until(bob, "undo")
            await alice.disconnect()
            await bob.disconnect()
            return drawn["seq"], restored, seen, undone, seen_undo

        restored_to, restored, seen, undone, seen_undo = in_a_loop_of_its_own(scenario)
        self.assertEqual(restored["type"], "ack")
        clear_seq = restored_to + 1
        self.assertEqual((restored["show_marks"], restored["can_undo"]), ([clear_seq], True))
        self.assertEqual(
            (seen["seq"], seen["user"], seen["to_seq"], seen["show_marks"], "hide" in seen),
            (restored["seq"], "alice", restored_to, [clear_seq], False),
        )
        self.assertEqual((undone["step"], undone["hide_marks"]), ("restore", [clear_seq]))
        self.assertEqual(seen_undo["hide_marks"], [clear_seq])
        self.assertTrue(Stroke.objects.get(client_id="b1").hidden)

    def test_the_owner_reverts_a_member(self):
        async def scenario():
            alice, _ = await join(self.board, self.alice)
            bob, _ = await join(self.board, self.bob)
            kept = await command(alice, stroke_message("a1"))
            await command(bob, stroke_message("b-scribble"))
            await command(bob, {"type": "erase", "ids": ["a1"]})
            reverted = await command(alice, {"type": "revert", "user": "bob", "after_seq": kept["seq"]})
            seen, _ = await receive_until(bob, "restore")
            await alice.disconnect()
            await bob.disconnect()
            return kept["seq"], reverted, seen

        reverted_after, reverted, seen = in_a_loop_of_its_own(scenario)
        erase_seq = reverted_after + 2
        self.assertEqual(
            (reverted["hide_after"], reverted["show_marks"]),
            ({"seq": reverted_after, "user": "bob", "user_id": self.bob.pk}, [erase_seq]),
        )
        self.assertEqual((seen["revert_user"], seen["after_seq"]), ("bob", reverted_after))
        self.assertEqual(list(Stroke.objects.filter(hidden=False).values_list("client_id", flat=True)), ["a1"])

    def test_members_may_not_restore_and_bad_commands_are_refused(self):
        async def scenario():
            bob, _ = await join(self.board, self.bob)
            await command(bob, stroke_message("b1"))
            answers = [
                await command(bob, {"type": "restore", "to_seq": 0}),
                await command(bob, {"type": "revert", "user": "bob", "after_seq": 0}),
                await command(bob, {"type": "restore", "to_seq": "0"}),
                await command(bob, {"type": "restore", "to_seq": -1}),
                await command(bob, {"type": "restore", "to_seq": 0, "everything": True}),
                await command(bob, {"type": "revert", "user": "", "after_seq": 0}),
            ]
            await bob.disconnect()
            return answers

        answers = in_a_loop_of_its_own(scenario)
        self.assertEqual(
            [answer["code"] for answer in answers],
            ["forbidden", "forbidden", "invalid_field", "out_of_range", "unknown_field", "invalid_field"],
        )
        self.assertEqual(answers[0]["message"], "Only the board’s owner can restore it.")
        self.assertFalse(Stroke.objects.get(client_id="b1").hidden)

    def test_a_revert_whose_user_holds_a_nul_or_a_lone_surrogate_is_refused_naming_the_field(self):
        """
        Issue 18: the NUL reached PostgreSQL, which refused it, and the owner
        was told `unavailable`, to send it again for ever; a lone surrogate
        could not be encoded for any database.
        """
        async def scenario():
            alice, _ = await join(self.board, self.alice)
            await command(alice, stroke_message("a1"))
            answers = [
                await command(alice, {"type": "revert", "user": user, "after_seq": 0})
                for user in ("bo\x00b", "bob\ud800", "bob\n")
            ]
            await alice.disconnect()
            return answers

        answers = in_a_loop_of_its_own(scenario)
        for answer, code_point in zip(answers, ("U+0000", "U+D800", "U+000A"), strict=True):
            with self.subTest(code_point):
                self.assertEqual((answer["type"], answer["code"]), ("error", "invalid_field"), answer)
                self.assertIn("`user` contains", answer["message"])
                self.assertIn(code_point, answer["message"])
        self.assertFalse(self.board.events.filter(type="restore").exists())

    def test_non_members_cannot_open_the_board_socket(self):
        async def scenario():
            communicator = await websocket_for(f"/ws/whiteboard/{self.board.slug}/", user=self.carol)
            connected, code = await communicator.connect()
            return connected, code

        self.assertEqual(in_a_loop_of_its_own(scenario), (False, 4404))
