"""Copying and moving cards to another board: kanban.transfer, its undo, and who may."""

import re

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from boardsite.collab.errors import ActionError
from kanban import activity, checklists, comments, history, selectors, services, transfer
from kanban.models import Card, Comment
from tests.kanban.helpers import add_cards, columns_of, make_board, titles_by_column
from tests.support import make_user


class TransferTests(TestCase):
    def setUp(self):
        self.alice, self.bob, self.carol = make_user("alice"), make_user("bob"), make_user("carol")
        self.source = make_board(self.alice, name="Source", members=[self.bob, self.carol])
        self.target = make_board(self.alice, name="Target", members=[self.bob])
        for board, names in ((self.source, ["bug", "ui"]), (self.target, ["bug", "backend"])):
            for name in names:
                services.label_create(board=board, name=name, colour="red", actor=self.alice)
        self.todo = columns_of(self.source)["To do"]
        self.doing = columns_of(self.target)["Doing"]
        (self.card,) = add_cards(self.source, self.todo, ["Fix login"], actor=self.alice)
        labels = list(self.source.labels.order_by("name").values_list("pk", flat=True))
        services.card_update(board=self.source, card_id=self.card["id"], version=1, actor=self.alice,
                             changes={"labels": labels, "assignees": [self.carol.pk], "description": "Steps"})
        steps = checklists.checklist_create(board=self.source, card_id=self.card["id"], actor=self.alice).details
        item = checklists.item_create(board=self.source, checklist_id=steps["checklist"]["id"], text="Reproduce",
                                      actor=self.alice).details
        checklists.item_check(board=self.source, item_id=item["item"]["id"], done=True, actor=self.alice)
        comments.comment_create(board=self.source, card_id=self.card["id"], body="Seen on staging", actor=self.bob)

    def version(self):
        return Card.objects.get(pk=self.card["id"]).version

    def moved(self):
        return Card.objects.get(board=self.target, title="Fix login")

    def test_a_moved_card_takes_what_the_other_board_can_hold_and_leaves_this_one(self):
        ack = transfer.card_move_to_board(board=self.source, card_id=self.card["id"], version=self.version(),
                                          target=self.target.slug, column_id=self.doing.pk, actor=self.bob).details
        self.assertEqual((ack["event"], ack["moved_to"]["name"], ack["labels_left_behind"]),
                         ("card.deleted", "Target", ["ui"]))
        self.assertEqual(titles_by_column(self.source)["To do"], [])
        self.assertEqual(titles_by_column(self.target)["Doing"], ["Fix login"])
        moved = self.moved()
        self.assertEqual(list(moved.labels.values_list("name", flat=True)), ["bug"])
        self.assertEqual(list(moved.assignees.all()), [], "carol is not on the target board")
        self.assertEqual((moved.description, moved.comment_count, moved.checklist_items, moved.checklist_done),
                         ("Steps", 1, 1, 1))
        self.assertEqual(list(Comment.objects.filter(card=moved).values_list("body", flat=True)), ["Seen on staging"])
        entries, _ = activity.activity_page(board=self.source)
        self.assertEqual(entries[0].summary, "bob moved ‘Fix login’ to the board ‘Target’")

    def test_undo_of_a_move_brings_the_card_back_and_redo_moves_it_again(self):
        transfer.card_move_to_board(board=self.source, card_id=self.card["id"], version=self.version(),
                                    target=self.target.slug, column_id=self.doing.pk, actor=self.bob)
        undone = history.history_undo(board=self.source, actor=self.bob).details
        self.assertEqual((undone["event"], undone["card"]["id"]), ("card.created", self.card["id"]))
        self.assertEqual(titles_by_column(self.target)["Doing"], [])
        back = Card.objects.get(pk=self.card["id"])
        self.assertEqual((back.comment_count, back.checklist_done, list(back.assignees.all())), (1, 1, [self.carol]))
        history.history_redo(board=self.source, actor=self.bob)
        self.assertEqual(titles_by_column(self.source)["To do"], [])
        self.assertEqual(self.moved().comment_count, 1)

    def test_undo_of_a_move_is_refused_once_the_moved_card_changed(self):
        transfer.card_move_to_board(board=self.source, card_id=self.card["id"], version=self.version(),
                                    target=self.target.slug, column_id=self.doing.pk, actor=self.bob)
        moved = self.moved()
        services.card_update(board=self.target, card_id=moved.pk, version=moved.version, changes={"title": "Fixed"},
                             actor=self.alice)
        with self.assertRaises(ActionError) as caught:
            history.history_undo(board=self.source, actor=self.bob)
        self.assertEqual(caught.exception.code, "conflict")
        self.assertEqual(titles_by_column(self.target)["Doing"], ["Fixed"])

    def test_a_copy_stays_and_lands_as_a_new_card_undone_on_its_board(self):
        ack = transfer.card_copy(board=self.source, card_id=self.card["id"], target=self.target.slug,
                                 column_id=self.doing.pk, actor=self.bob)
        self.assertIsNone(ack.seq)
        self.assertEqual(ack.details["board"]["name"], "Target")
        self.assertEqual(titles_by_column(self.source)["To do"], ["Fix login"])
        copy = self.moved()
        self.assertEqual((copy.comment_count, copy.checklist_items), (0, 1))
        history.history_undo(board=self.target, actor=self.bob)
        self.assertEqual(titles_by_column(self.target)["Doing"], [])
        # Within one board too.
        transfer.card_copy(board=self.source, card_id=self.card["id"], target=self.source.slug,
                           column_id=self.todo.pk, actor=self.alice)
        self.assertEqual(titles_by_column(self.source)["To do"], ["Fix login", "Fix login"])

    def test_only_to_boards_the_person_can_open_and_columns_of_that_board(self):
        elsewhere = make_board(self.carol, name="Carol's own")
        for target, column, code in [
            (elsewhere.slug, columns_of(elsewhere)["To do"].pk, "not_found"),
            ("no-such-board", self.doing.pk, "not_found"),
            (self.target.slug, self.todo.pk, "not_found"),  # a column of the source, not the target
        ]:
            with self.subTest(target=target):
                with self.assertRaises(ActionError) as caught:
                    transfer.card_move_to_board(board=self.source, card_id=self.card["id"], version=self.version(),
                                                target=target, column_id=column, actor=self.bob)
                self.assertEqual(caught.exception.code, code)
        self.assertEqual(titles_by_column(self.source)["To do"], ["Fix login"])
        names = [board["name"] for board in transfer.destinations(user=self.carol)]
        self.assertEqual(names, ["Carol's own", "Source"])
        self.assertEqual(selectors.cards_assigned_to(user=self.carol)[0].title, "Fix login")


BOARD_LOCK = re.compile(r'^SELECT 1 FROM "kanban_board" WHERE "id" = (\d+)')


class TransferLockOrderTests(TestCase):
    """
    Changes that touch two boards lock them smaller id first, undo and redo
    of a move included: two crossing undos (a card moved A→B undone on A
    while one moved B→A is undone on B) then wait for each other instead of
    deadlocking, which PostgreSQL answered by refusing one of them.
    """

    def board_locks(self, function, **kwargs):
        """The ids of the boards `function` locks, in order (lock_board_row's statement on either database)."""
        with CaptureQueriesContext(connection) as queries:
            function(**kwargs)
        return [int(lock.group(1)) for query in queries.captured_queries if (lock := BOARD_LOCK.match(query["sql"]))]

    def test_undo_and_redo_of_a_move_lock_both_boards_smaller_id_first(self):
        alice = make_user("alice")
        lower, higher = make_board(alice, name="Lower"), make_board(alice, name="Higher")
        self.assertLess(lower.pk, higher.pk)
        (card,) = add_cards(higher, columns_of(higher)["To do"], ["Crossing"], actor=alice)
        transfer.card_move_to_board(board=higher, card_id=card["id"], version=1, target=lower.slug,
                                    column_id=columns_of(lower)["To do"].pk, actor=alice)
        undo_locks = self.board_locks(history.history_undo, board=higher, actor=alice)
        self.assertEqual(undo_locks[:2], [lower.pk, higher.pk])
        redo_locks = self.board_locks(history.history_redo, board=higher, actor=alice)
        self.assertEqual(redo_locks[:2], [lower.pk, higher.pk])
