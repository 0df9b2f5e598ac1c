"""
Board size limits reached over the websocket: a full whiteboard refuses new
strokes and shapes with `board_full` and a clear message, while the strokes
already on it can still be finished; a full kanban board refuses more cards
and columns with `too_many`.
"""

from unittest import mock

from django.test import TransactionTestCase, override_settings

from kanban import services as kanban_services
from tests.reliability.fuzzing import FuzzClient, Step
from tests.support import make_user
from tests.whiteboard.helpers import command, join, stroke_message
from whiteboard import services
from whiteboard.models import Stroke


@override_settings(WHITEBOARD_MAX_STROKES=3)
class FullWhiteboardTests(TransactionTestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.board = services.board_create(name="Nearly full", owner=self.alice)

    async def test_a_full_board_refuses_new_strokes_but_lets_the_last_ones_finish(self):
        alice, _ = await join(self.board, self.alice)
        for number in range(3):
            self.assertEqual((await command(alice, stroke_message(f"s{number}", ref=f"r{number}")))["type"], "ack")
        refused = await command(alice, stroke_message("s3", ref="r3"))
        self.assertEqual((refused["type"], refused["code"], refused["limit"]), ("error", "board_full", 3))
        self.assertIn("at most 3 strokes", refused["message"])
        shape = {"type": "shape", "id": "box", "shape": "rect", "color": "#112233", "width": 2,
                 "points": [[0.1, 0.1], [0.2, 0.2]], "ref": "r4"}
        self.assertEqual((await command(alice, shape))["code"], "board_full")
        more = await command(alice, stroke_message("s2", chunk=1, points=[[0.5, 0.5]], ref="r5"))
        self.assertEqual(more["type"], "ack", "a stroke already on the board could not be finished")
        await alice.disconnect()
        stored = [stroke async for stroke in Stroke.objects.filter(board=self.board).values_list("client_id", flat=True)]
        self.assertEqual(sorted(stored), ["s0", "s1", "s2"])


class FullKanbanBoardTests(TransactionTestCase):
    """The kanban's limits are constants of kanban.services; lowered here so a board fills in a few commands."""

    def setUp(self):
        self.alice = make_user("alice")
        self.board = kanban_services.board_create(name="Nearly full", owner=self.alice)
        self.column = self.board.columns.order_by("position").first().pk

    async def test_a_full_board_refuses_more_cards_and_columns_with_a_clear_error(self):
        with mock.patch.object(kanban_services, "MAX_CARDS_PER_BOARD", 2), \
                mock.patch.object(kanban_services, "MAX_COLUMNS_PER_BOARD", 3):
            client = FuzzClient(f"/ws/kanban/{self.board.slug}/", self.alice)
            await client.open()
            answers = [
                (await client.send_step(number, Step(True, message), lambda message: message, lambda ack: None))[1]
                for number, message in enumerate([
                    {"type": "card.create", "column": self.column, "title": "one"},
                    {"type": "card.create", "column": self.column, "title": "two"},
                    {"type": "card.create", "column": self.column, "title": "three"},
                    {"type": "column.create", "title": "fourth column"},
                ])
            ]
            await client.close()
        self.assertEqual([answer["type"] for answer in answers], ["ack", "ack", "error", "error"])
        self.assertEqual((answers[2]["code"], answers[3]["code"]), ("too_many", "too_many"))
        self.assertIn("at most 2 cards", answers[2]["message"])
        self.assertIn("at most 3 columns", answers[3]["message"])
