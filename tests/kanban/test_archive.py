"""The board's archive: cards and columns archived, restored, deleted for good; undo; what the board and views show."""

from django.test import TestCase

from kanban import activity, archive, comments, history, selectors, services
from kanban.models import Card, Column
from tests.kanban.helpers import RefusalsMixin, add_cards, columns_of, make_board, titles_by_column
from tests.support import make_user


class ArchiveTestCase(RefusalsMixin, TestCase):
    def setUp(self):
        self.alice, self.bob = make_user("alice"), make_user("bob")
        self.board = make_board(self.alice, members=[self.bob])
        self.columns = columns_of(self.board)
        self.todo, self.done = self.columns["To do"], self.columns["Done"]
        self.a, self.b, self.c = add_cards(self.board, self.todo, ["a", "b", "c"], actor=self.alice)

    def version(self, card):
        return Card.objects.get(pk=card["id"]).version

    def archive_card(self, card, actor=None):
        return archive.card_archive(board=self.board, card_id=card["id"], version=self.version(card),
                                    actor=actor or self.alice).details


class CardArchiveTests(ArchiveTestCase):
    def test_an_archived_card_leaves_the_board_and_comes_back_where_it_was(self):
        ack = self.archive_card(self.b)
        self.assertEqual((ack["event"], ack["card"], ack["column"]), ("card.archived", self.b["id"], self.todo.pk))
        self.assertEqual(titles_by_column(self.board)["To do"], ["a", "c"])
        self.assertEqual([card["title"] for card in archive.board_archive(board=self.board)["cards"]], ["b"])
        # Indexes count the cards on the board only: a card put at index 1 lands between a and c.
        services.card_create(board=self.board, column_id=self.todo.pk, title="new", index=1, actor=self.alice)
        self.assertEqual(titles_by_column(self.board)["To do"], ["a", "new", "c"])
        restored = archive.card_restore(board=self.board, card_id=self.b["id"], actor=self.bob).details
        self.assertEqual((restored["event"], restored["index"]), ("card.restored", 1))
        self.assertEqual(titles_by_column(self.board)["To do"], ["a", "b", "new", "c"])
        summaries = [entry.summary for entry in activity.activity_page(board=self.board, card_id=self.b["id"])[0]]
        self.assertEqual(summaries[:2], ["bob restored ‘b’ to To do", "alice archived ‘b’ from To do"])

    def test_an_archived_card_cannot_be_changed_until_restored(self):
        self.archive_card(self.b)
        version = self.version(self.b)
        self.refused("archived", services.card_move, card_id=self.b["id"], version=version, column_id=self.done.pk,
                     index=0, actor=self.alice)
        self.refused("archived", services.card_update, card_id=self.b["id"], version=version,
                     changes={"title": "x"}, actor=self.alice)
        self.refused("archived", comments.comment_create, card_id=self.b["id"], body="hi", actor=self.alice)
        self.refused("conflict", archive.card_restore, card_id=self.a["id"], actor=self.alice)

    def test_an_edit_made_to_the_card_before_it_was_archived_is_a_conflict(self):
        self.archive_card(self.b)
        archive.card_restore(board=self.board, card_id=self.b["id"], actor=self.alice)
        self.refused("conflict", services.card_update, card_id=self.b["id"], version=1, changes={"title": "stale"},
                     actor=self.bob)

    def test_a_restore_respects_the_wip_limit(self):
        self.archive_card(self.b)
        services.column_update(board=self.board, column_id=self.todo.pk, wip_limit=2, actor=self.alice)
        self.refused("wip_limit", archive.card_restore, card_id=self.b["id"], actor=self.alice)

    def test_delete_for_good_from_the_archive_and_undo_puts_it_back_in_the_archive(self):
        self.archive_card(self.b)
        services.card_delete(board=self.board, card_id=self.b["id"], version=self.version(self.b), actor=self.alice)
        self.assertEqual(archive.board_archive(board=self.board)["cards"], [])
        undone = history.history_undo(board=self.board, actor=self.alice).details
        self.assertEqual(undone["event"], "card.archived")
        self.assertEqual(titles_by_column(self.board)["To do"], ["a", "c"])
        self.assertEqual([card["title"] for card in archive.board_archive(board=self.board)["cards"]], ["b"])

    def test_undo_and_redo_an_archive(self):
        self.archive_card(self.b, actor=self.bob)
        self.assertEqual(history.history_undo(board=self.board, actor=self.bob).details["event"], "card.restored")
        self.assertEqual(titles_by_column(self.board)["To do"], ["a", "b", "c"])
        self.assertEqual(history.history_redo(board=self.board, actor=self.bob).details["event"], "card.archived")
        self.assertEqual(titles_by_column(self.board)["To do"], ["a", "c"])

    def test_my_cards_and_the_search_leave_archived_cards_out(self):
        services.card_update(board=self.board, card_id=self.b["id"], version=1, changes={"assignees": [self.bob.pk]},
                             actor=self.alice)
        self.archive_card(self.b)
        self.assertEqual(selectors.cards_assigned_to(user=self.bob), [])
        self.assertEqual(selectors.search_cards(board=self.board, text="b"), [])


class ColumnArchiveTests(ArchiveTestCase):
    def test_an_archived_column_takes_its_cards_and_comes_back_at_the_end_with_them(self):
        self.archive_card(self.c)
        ack = archive.column_archive(board=self.board, column_id=self.todo.pk, actor=self.alice).details
        self.assertEqual(ack["event"], "column.archived")
        self.assertEqual(titles_by_column(self.board), {"Doing": [], "Done": []})
        listed = archive.board_archive(board=self.board)
        self.assertEqual([(column["title"], column["cards"]) for column in listed["columns"]], [("To do", 2)])
        # A card in an archived column is off the board too.
        self.refused("archived", services.card_move, card_id=self.a["id"], version=1, column_id=self.done.pk, index=0,
                     actor=self.alice)
        self.refused("archived", archive.card_restore, card_id=self.c["id"], actor=self.alice)
        restored = archive.column_restore(board=self.board, column_id=self.todo.pk, actor=self.bob).details
        self.assertEqual((restored["event"], restored["index"], [card["title"] for card in restored["cards"]]),
                         ("column.restored", 2, ["a", "b"]))
        self.assertEqual(list(titles_by_column(self.board)), ["Doing", "Done", "To do"])

    def test_undo_and_redo_a_column_archive(self):
        archive.column_archive(board=self.board, column_id=self.done.pk, actor=self.bob)
        history.history_undo(board=self.board, actor=self.bob)
        self.assertIn("Done", titles_by_column(self.board))
        history.history_redo(board=self.board, actor=self.bob)
        self.assertNotIn("Done", titles_by_column(self.board))

    def test_a_column_held_by_someone_cannot_be_archived(self):
        services.card_lock(board=self.board, card_id=self.a["id"], actor=self.bob, connection="bobs")
        self.refused("locked", archive.column_archive, column_id=self.todo.pk, actor=self.alice)

    def test_deleting_an_archived_column_for_good_and_undoing_it(self):
        archive.column_archive(board=self.board, column_id=self.todo.pk, actor=self.alice)
        services.column_delete(board=self.board, column_id=self.todo.pk, actor=self.alice)
        self.assertFalse(Column.objects.filter(pk=self.todo.pk).exists())
        self.assertEqual(history.history_undo(board=self.board, actor=self.alice).details["event"], "column.archived")
        self.assertEqual([c["title"] for c in archive.board_archive(board=self.board)["columns"]], ["To do"])
        self.assertEqual(Card.objects.filter(column=self.todo).count(), 3)

    def test_the_archive_view_answers_members_only(self):
        self.archive_card(self.a)
        self.client.force_login(self.bob)
        response = self.client.get(f"/kanban/{self.board.slug}/archive.json")
        self.assertEqual(response.json()["cards"][0]["title"], "a")
        self.client.force_login(make_user("carol"))
        self.assertEqual(self.client.get(f"/kanban/{self.board.slug}/archive.json").status_code, 404)
