"""Swimlanes: kanban.lanes, cards placed by column and lane, their undo, and the socket commands."""

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from kanban import activity, history, lanes, selectors, services
from kanban.models import Card
from tests.kanban.helpers import RefusalsMixin, add_cards, columns_of, make_board
from tests.support import make_user


class LaneTestCase(RefusalsMixin, TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.board = make_board(self.alice)
        self.columns = columns_of(self.board)
        self.a, self.b, self.c = add_cards(self.board, self.columns["To do"], ["a", "b", "c"], actor=self.alice)

    def lane(self, title, **extra):
        return lanes.lane_create(board=self.board, title=title, actor=self.alice, **extra).details

    def move(self, card, column, index, lane=None):
        version = Card.objects.get(pk=card["id"]).version
        extra = {} if lane is None else {"lane_id": lane}
        return services.card_move(board=self.board, card_id=card["id"], version=version,
                                  column_id=self.columns[column].pk, index=index, actor=self.alice, **extra).details

    def cells(self):
        """What a person sees: {(lane title or None, column title): [card titles in order]}, empty cells left out."""
        snapshot = selectors.board_snapshot(board=self.board)
        titles = {lane["id"]: lane["title"] for lane in snapshot["lanes"]}
        cells = {}
        for column in snapshot["columns"]:
            for card in column["cards"]:
                cells.setdefault((titles.get(card["lane"]), column["title"]), []).append(card["title"])
        return cells


class LaneTests(LaneTestCase):
    def test_the_first_lane_takes_every_card_and_later_ones_start_empty(self):
        first = self.lane("Team A")
        self.assertEqual((first["event"], sorted(first["cards"])), ("lane.created", sorted([self.a["id"], self.b["id"], self.c["id"]])))
        second = self.lane("Team B")
        self.assertEqual(second["cards"], [])
        self.assertEqual([lane["title"] for lane in selectors.board_snapshot(board=self.board)["lanes"]], ["Team A", "Team B"])
        self.assertEqual(self.cells(), {("Team A", "To do"): ["a", "b", "c"]})
        # A new card goes in the first lane unless told otherwise.
        services.card_create(board=self.board, column_id=self.columns["To do"].pk, title="d", actor=self.alice)
        made = services.card_create(board=self.board, column_id=self.columns["Doing"].pk, title="e",
                                    lane_id=second["lane"]["id"], index=0, actor=self.alice).details
        self.assertEqual(made["index"], 0)
        self.assertEqual(self.cells(), {("Team A", "To do"): ["a", "b", "c", "d"], ("Team B", "Doing"): ["e"]})
        entries, _ = activity.activity_page(board=self.board)
        self.assertIn("alice added the lane ‘Team A’ with the board’s 3 cards", [entry.summary for entry in entries])

    def test_cards_move_across_lanes_and_columns_with_the_index_counted_in_their_cell(self):
        team_a = self.lane("Team A")["lane"]["id"]
        team_b = self.lane("Team B")["lane"]["id"]
        moved = self.move(self.b, "Doing", 0, lane=team_b)
        self.assertEqual((moved["index"], moved["card"]["lane"]), (0, team_b))
        self.move(self.c, "Doing", 0, lane=team_b)
        self.move(self.a, "Doing", 1, lane=team_b)  # between c and b
        self.assertEqual(self.cells(), {("Team B", "Doing"): ["c", "a", "b"]})
        # Without a lane, a move keeps the card's lane.
        self.move(self.a, "To do", 0)
        self.assertEqual(self.cells(), {("Team B", "Doing"): ["c", "b"], ("Team B", "To do"): ["a"]})
        self.move(self.a, "To do", 0, lane=team_a)
        history.history_undo(board=self.board, actor=self.alice)
        self.assertEqual(self.cells(), {("Team B", "Doing"): ["c", "b"], ("Team B", "To do"): ["a"]})
        self.refused("out_of_range", services.card_move, card_id=self.a["id"], version=Card.objects.get(pk=self.a["id"]).version,
                     column_id=self.columns["Doing"].pk, index=3, lane_id=team_b, actor=self.alice)
        other = lanes.lane_create(board=make_board(self.alice, name="Other"), title="Elsewhere", actor=self.alice).details
        self.refused("not_found", services.card_move, card_id=self.a["id"], version=Card.objects.get(pk=self.a["id"]).version,
                     column_id=self.columns["Doing"].pk, index=0, lane_id=other["lane"]["id"], actor=self.alice)

    def test_wip_limits_count_the_whole_column(self):
        self.lane("Team A")
        team_b = self.lane("Team B")["lane"]["id"]
        doing = self.columns["Doing"]
        services.column_update(board=self.board, column_id=doing.pk, wip_limit=1, actor=self.alice)
        self.move(self.a, "Doing", 0)
        self.refused("wip_limit", services.card_move, card_id=self.b["id"], version=Card.objects.get(pk=self.b["id"]).version,
                     column_id=doing.pk, index=0, lane_id=team_b, actor=self.alice)

    def test_a_move_between_lanes_takes_the_same_queries_on_a_big_board(self):
        team_b = self.lane("Team A") and self.lane("Team B")["lane"]["id"]
        add_cards(self.board, self.columns["Doing"], [f"card {n}" for n in range(60)], actor=self.alice)
        version = Card.objects.get(pk=self.a["id"]).version
        with CaptureQueriesContext(connection) as queries:
            services.card_move(board=self.board, card_id=self.a["id"], version=version, column_id=self.columns["Doing"].pk,
                               index=0, lane_id=team_b, actor=self.alice)
        statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
        self.assertLessEqual(len(statements), 10, "\n".join(statements))

    def test_only_an_empty_lane_is_deleted_and_deleting_the_last_turns_lanes_off(self):
        team_a = self.lane("Team A")["lane"]["id"]
        team_b = self.lane("Team B")["lane"]["id"]
        self.refused("not_empty", lanes.lane_delete, lane_id=team_a, actor=self.alice)
        deleted = lanes.lane_delete(board=self.board, lane_id=team_b, actor=self.alice).details
        self.assertEqual(deleted["event"], "lane.deleted")
        last = lanes.lane_delete(board=self.board, lane_id=team_a, actor=self.alice).details
        self.assertEqual(sorted(last["cards"]), sorted([self.a["id"], self.b["id"], self.c["id"]]))
        self.assertEqual(selectors.board_snapshot(board=self.board)["lanes"], [])
        self.assertEqual(self.cells(), {(None, "To do"): ["a", "b", "c"]})
        # Undo brings the last lane back with every card, then the other, empty.
        history.history_undo(board=self.board, actor=self.alice)
        self.assertEqual(self.cells(), {("Team A", "To do"): ["a", "b", "c"]})
        history.history_undo(board=self.board, actor=self.alice)
        self.assertEqual([lane["id"] for lane in selectors.board_snapshot(board=self.board)["lanes"]], [team_a, team_b])

    def test_rename_and_reorder_are_undone_and_redone(self):
        team_a = self.lane("Team A")["lane"]["id"]
        team_b = self.lane("Team B")["lane"]["id"]
        lanes.lane_update(board=self.board, lane_id=team_a, title="Platform", actor=self.alice)
        moved = lanes.lane_move(board=self.board, lane_id=team_b, index=0, actor=self.alice).details
        self.assertEqual((moved["event"], moved["index"]), ("lane.moved", 0))
        titles = lambda: [lane["title"] for lane in selectors.board_snapshot(board=self.board)["lanes"]]  # noqa: E731
        self.assertEqual(titles(), ["Team B", "Platform"])
        history.history_undo(board=self.board, actor=self.alice)
        history.history_undo(board=self.board, actor=self.alice)
        self.assertEqual(titles(), ["Team A", "Team B"])
        history.history_redo(board=self.board, actor=self.alice)
        self.assertEqual(titles(), ["Platform", "Team B"])
        self.refused("invalid_field", lanes.lane_update, lane_id=team_a, title="  ", actor=self.alice)
        self.refused("too_long", lanes.lane_update, lane_id=team_a, title="x" * 61, actor=self.alice)

    def test_the_undo_of_the_first_lane_turns_lanes_off_again(self):
        self.lane("Team A")
        history.history_undo(board=self.board, actor=self.alice)
        self.assertEqual(self.cells(), {(None, "To do"): ["a", "b", "c"]})
        history.history_redo(board=self.board, actor=self.alice)
        self.assertEqual(self.cells(), {("Team A", "To do"): ["a", "b", "c"]})

    def test_a_card_brought_back_goes_to_its_lane_or_the_first_one_left(self):
        self.lane("Team A")
        team_b = self.lane("Team B")["lane"]["id"]
        self.move(self.a, "To do", 0, lane=team_b)
        card = Card.objects.get(pk=self.a["id"])
        services.card_delete(board=self.board, card_id=card.pk, version=card.version, actor=self.alice)
        history.history_undo(board=self.board, actor=self.alice)
        self.assertEqual(self.cells()[("Team B", "To do")], ["a"])
        card = Card.objects.get(pk=self.a["id"])
        services.card_delete(board=self.board, card_id=card.pk, version=card.version, actor=self.alice)
        lanes.lane_delete(board=self.board, lane_id=team_b, actor=self.alice)
        bob = make_user("bob")
        self.board.members.add(bob)
        history.history_undo(board=self.board, actor=self.alice)  # the lane's deletion
        history.history_undo(board=self.board, actor=self.alice)  # the card's
        self.assertEqual(self.cells()[("Team B", "To do")], ["a"])

    def test_a_lane_undone_and_redone_comes_back_as_it_was_when_undone(self):
        self.lane("Team A")
        team_b = self.lane("Team B")["lane"]["id"]
        bob = make_user("bob")
        self.board.members.add(bob)
        lanes.lane_update(board=self.board, lane_id=team_b, title="Team B (renamed by bob)", actor=bob)
        history.history_undo(board=self.board, actor=self.alice)
        self.assertEqual([lane["title"] for lane in selectors.board_snapshot(board=self.board)["lanes"]], ["Team A"])
        history.history_redo(board=self.board, actor=self.alice)
        self.assertEqual([lane["title"] for lane in selectors.board_snapshot(board=self.board)["lanes"]],
                         ["Team A", "Team B (renamed by bob)"])

    def test_the_feed_says_which_lane_a_card_went_to(self):
        self.lane("Team A")
        team_b = self.lane("Team B")["lane"]["id"]
        self.move(self.a, "To do", 0, lane=team_b)
        self.move(self.b, "Doing", 0, lane=team_b)
        self.move(self.c, "To do", 0)
        entries, _ = activity.activity_page(board=self.board)
        self.assertEqual([entry.summary for entry in entries[:3]], [
            "alice reordered ‘c’ in To do",
            "alice moved ‘b’ from To do to Doing in the lane ‘Team B’",
            "alice moved ‘a’ to the lane ‘Team B’ in To do",
        ])
