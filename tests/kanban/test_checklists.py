"""Checklists and their items: kanban.checklists, their undo in kanban.history, the feed, the JSON view and the admin."""

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from boardsite.collab.errors import ActionError
from kanban import activity, checklists, history, selectors, services
from kanban.models import BoardEvent, Card, ChecklistItem
from tests.kanban.helpers import RefusalsMixin, add_cards, columns_of, make_board, titles_by_column
from tests.support import make_user


class ChecklistTestCase(RefusalsMixin, TestCase):
    def setUp(self):
        self.alice, self.bob = make_user("alice"), make_user("bob")
        self.board = make_board(self.alice, members=[self.bob])
        self.todo = columns_of(self.board)["To do"]
        (self.card,) = add_cards(self.board, self.todo, ["Release"], actor=self.alice)

    def new_checklist(self, title="Steps", *, actor=None):
        return checklists.checklist_create(board=self.board, card_id=self.card["id"], title=title,
                                           actor=actor or self.alice).details

    def add(self, checklist, *texts, actor=None):
        return [checklists.item_create(board=self.board, checklist_id=checklist["id"], text=text,
                                       actor=actor or self.alice).details for text in texts]

    def shown(self):
        """The card's checklists as its editor shows them: [(title, [(text, done), ...]), ...]."""
        listed = selectors.card_checklists(card=Card.objects.get(pk=self.card["id"]))["checklists"]
        return [(c["title"], [(i["text"], i["done"]) for i in c["items"]]) for c in listed]

    def face(self):
        card = selectors.board_snapshot(board=self.board)["columns"][0]["cards"][0]
        return card["checklist"]


class ChecklistTests(ChecklistTestCase):
    def test_items_are_added_ticked_and_counted_on_the_cards_face(self):
        steps = self.new_checklist()["checklist"]
        first, second, third = self.add(steps, "Tag", "Build", "Announce")
        self.assertEqual(third["progress"], {"done": 0, "total": 3})
        ticked = checklists.item_check(board=self.board, item_id=second["item"]["id"], done=True, actor=self.bob).details
        self.assertEqual((ticked["event"], ticked["progress"]), ("item.updated", {"done": 1, "total": 3}))
        self.assertEqual(self.face(), {"done": 1, "total": 3})
        self.assertEqual(self.shown(), [("Steps", [("Tag", False), ("Build", True), ("Announce", False)])])
        # Ticking what is ticked already changes nothing and stores no event.
        again = checklists.item_check(board=self.board, item_id=second["item"]["id"], done=True, actor=self.bob)
        self.assertIsNone(again.seq)
        entries, _ = activity.activity_page(board=self.board, card_id=self.card["id"])
        self.assertEqual(entries[0].summary, "bob ticked ‘Build’ on ‘Release’")
        self.assertEqual(entries[-2].summary, "alice added the checklist ‘Steps’ to ‘Release’")

    def test_a_checklist_renamed_by_someone_else_meanwhile_is_not_renamed_over(self):
        steps = self.new_checklist()["checklist"]
        checklists.checklist_update(board=self.board, checklist_id=steps["id"], title="Release steps", was={"title": "Steps"},
                                    actor=self.bob)
        refused = self.refused("conflict", checklists.checklist_update, checklist_id=steps["id"], title="Launch steps",
                               was={"title": "Steps"}, actor=self.alice)
        self.assertEqual(refused.message, "Someone else renamed it “Release steps” while you had this checklist open. "
                                          "Save again to replace that with yours.")
        self.assertEqual(refused.details["checklist"], {"id": steps["id"], "card": self.card["id"], "title": "Release steps"})
        self.assertEqual(self.shown(), [("Release steps", [])])
        checklists.checklist_update(board=self.board, checklist_id=steps["id"], title="Launch steps",
                                    was={"title": "Release steps"}, actor=self.alice)
        self.assertEqual(self.shown(), [("Launch steps", [])])

    def test_ticking_never_makes_an_edit_of_the_text_a_conflict(self):
        (item,) = self.add(self.new_checklist()["checklist"], "Tag the release")
        checklists.item_check(board=self.board, item_id=item["item"]["id"], done=True, actor=self.bob)
        edited = checklists.item_update(board=self.board, item_id=item["item"]["id"], version=1, text="Tag v1.0",
                                        actor=self.alice).details
        self.assertEqual((edited["item"]["text"], edited["item"]["done"], edited["item"]["version"]),
                         ("Tag v1.0", True, 2))
        error = self.refused("conflict", checklists.item_update, item_id=item["item"]["id"], version=1, text="stale",
                             actor=self.bob)
        self.assertEqual(error.details["item"]["text"], "Tag v1.0")

    def test_items_move_within_and_between_the_cards_checklists_only(self):
        steps, after = self.new_checklist()["checklist"], self.new_checklist("After")["checklist"]
        a, b, c = self.add(steps, "a", "b", "c")
        checklists.item_move(board=self.board, item_id=c["item"]["id"], checklist_id=steps["id"], index=0,
                             actor=self.alice)
        checklists.item_move(board=self.board, item_id=a["item"]["id"], checklist_id=after["id"], index=0,
                             actor=self.alice)
        self.assertEqual(self.shown(), [("Steps", [("c", False), ("b", False)]), ("After", [("a", False)])])
        (elsewhere,) = add_cards(self.board, self.todo, ["Other"], actor=self.alice)
        foreign = checklists.checklist_create(board=self.board, card_id=elsewhere["id"], actor=self.alice).details
        self.refused("invalid_field", checklists.item_move, item_id=b["item"]["id"],
                     checklist_id=foreign["checklist"]["id"], index=0, actor=self.alice)
        self.refused("out_of_range", checklists.item_move, item_id=b["item"]["id"], checklist_id=steps["id"],
                     index=5, actor=self.alice)

    def test_bad_input_changes_nothing(self):
        steps = self.new_checklist()["checklist"]
        for text, code in [("", "invalid_field"), ("x" * 501, "too_long"), ("a\x00", "invalid_field")]:
            with self.subTest(text=text[:10]):
                self.refused(code, checklists.item_create, checklist_id=steps["id"], text=text, actor=self.alice)
        self.refused("invalid_field", checklists.checklist_create, card_id=self.card["id"], title=" ", actor=self.alice)
        self.refused("not_found", checklists.item_create, checklist_id=10**9, text="x", actor=self.alice)
        self.refused("invalid_field", checklists.item_check, item_id=1, done="yes", actor=self.alice)
        self.assertEqual(self.face(), {"done": 0, "total": 0})

    def test_limits(self):
        steps = self.new_checklist()["checklist"]
        ChecklistItem.objects.bulk_create(
            ChecklistItem(board=self.board, checklist_id=steps["id"], text=f"i{n}", position=n)
            for n in range(checklists.MAX_ITEMS_PER_CHECKLIST)
        )
        self.refused("too_many", checklists.item_create, checklist_id=steps["id"], text="one more", actor=self.alice)
        for _ in range(checklists.MAX_CHECKLISTS_PER_CARD - 1):
            self.new_checklist()
        self.refused("too_many", checklists.checklist_create, card_id=self.card["id"], actor=self.alice)

    def test_a_tick_takes_the_same_few_queries_on_a_big_board(self):
        (item,) = self.add(self.new_checklist()["checklist"], "tick me")

        def queries_for_a_tick(done):
            with CaptureQueriesContext(connection) as queries:
                checklists.item_check(board=self.board, item_id=item["item"]["id"], done=done, actor=self.alice)
            return len(queries.captured_queries)

        small = queries_for_a_tick(True)
        Card.objects.bulk_create(Card(board=self.board, column=self.todo, title=f"c{n}", position=n) for n in range(300))
        self.assertEqual(queries_for_a_tick(False), small)
        self.assertLessEqual(small, 12)  # 10 statements, plus BEGIN and COMMIT

    def test_an_item_made_a_card_lands_in_the_cards_column_and_one_undo_takes_it_back(self):
        (item, keep) = self.add(self.new_checklist()["checklist"], "Write the release notes", "Keep me")
        ack = checklists.item_to_card(board=self.board, item_id=item["item"]["id"], version=1, actor=self.bob).details
        self.assertEqual((ack["event"], ack["progress"]), ("item.deleted", {"done": 0, "total": 1}))
        self.assertEqual(titles_by_column(self.board)["To do"], ["Release", "Write the release notes"])
        types = list(BoardEvent.objects.filter(board=self.board).order_by("-seq").values_list("type", flat=True)[:2])
        self.assertEqual(types, ["item.deleted", "card.created"])
        undone = history.history_undo(board=self.board, actor=self.bob).details
        self.assertEqual(undone["event"], "item.created")
        self.assertEqual(titles_by_column(self.board)["To do"], ["Release"])
        self.assertEqual(self.shown(), [("Steps", [("Write the release notes", False), ("Keep me", False)])])
        history.history_redo(board=self.board, actor=self.bob)
        self.assertEqual(titles_by_column(self.board)["To do"], ["Release", "Write the release notes"])
        self.assertEqual(self.shown(), [("Steps", [("Keep me", False)])])


class ChecklistUndoTests(ChecklistTestCase):
    def undo(self, actor=None):
        return history.history_undo(board=self.board, actor=actor or self.alice).details

    def redo(self, actor=None):
        return history.history_redo(board=self.board, actor=actor or self.alice).details

    def test_each_item_change_undoes_and_redoes(self):
        steps = self.new_checklist()["checklist"]
        a, b = self.add(steps, "a", "b")
        checklists.item_check(board=self.board, item_id=a["item"]["id"], done=True, actor=self.alice)
        checklists.item_update(board=self.board, item_id=b["item"]["id"], version=1, text="B", actor=self.alice)
        checklists.item_move(board=self.board, item_id=b["item"]["id"], checklist_id=steps["id"], index=0,
                             actor=self.alice)
        checklists.item_delete(board=self.board, item_id=a["item"]["id"], version=1, actor=self.alice)
        expected = [
            [("B", False)],
            [("B", False), ("a", True)],  # undo the delete
            [("a", True), ("B", False)],  # undo the move
            [("a", True), ("b", False)],  # undo the edit
            [("a", False), ("b", False)],  # undo the tick
        ]
        self.assertEqual(self.shown(), [("Steps", expected[0])])
        for state in expected[1:]:
            self.undo()
            self.assertEqual(self.shown(), [("Steps", state)])
        self.assertEqual(self.face(), {"done": 0, "total": 2})
        for state in reversed(expected[:-1]):
            self.redo()
            self.assertEqual(self.shown(), [("Steps", state)])
        self.assertEqual(self.face(), {"done": 0, "total": 1})

    def test_undoing_a_checklist_delete_brings_its_items_and_ticks_back(self):
        steps = self.new_checklist()["checklist"]
        a, _ = self.add(steps, "a", "b")
        checklists.item_check(board=self.board, item_id=a["item"]["id"], done=True, actor=self.alice)
        checklists.checklist_delete(board=self.board, checklist_id=steps["id"], actor=self.bob)
        self.assertEqual((self.shown(), self.face()), ([], {"done": 0, "total": 0}))
        restored = self.undo(self.bob)
        self.assertEqual((restored["event"], restored["progress"]), ("checklist.created", {"done": 1, "total": 2}))
        self.assertEqual(self.shown(), [("Steps", [("a", True), ("b", False)])])

    def test_undoing_a_checklist_someone_has_added_to_is_refused(self):
        steps = self.new_checklist()["checklist"]
        self.add(steps, "bob's item", actor=self.bob)
        with self.assertRaises(ActionError) as caught:
            self.undo()
        self.assertEqual(caught.exception.code, "conflict")
        self.assertEqual(self.shown(), [("Steps", [("bob's item", False)])])

    def test_undoing_a_tick_someone_else_undid_is_refused(self):
        (item,) = self.add(self.new_checklist()["checklist"], "x", actor=self.bob)
        checklists.item_check(board=self.board, item_id=item["item"]["id"], done=True, actor=self.alice)
        checklists.item_check(board=self.board, item_id=item["item"]["id"], done=False, actor=self.bob)
        with self.assertRaises(ActionError) as caught:
            self.undo()
        self.assertEqual(caught.exception.code, "conflict")

    def test_a_deleted_card_comes_back_with_its_checklists(self):
        steps = self.new_checklist()["checklist"]
        a, _ = self.add(steps, "a", "b")
        checklists.item_check(board=self.board, item_id=a["item"]["id"], done=True, actor=self.alice)
        services.card_delete(board=self.board, card_id=self.card["id"], version=1, actor=self.bob)
        restored = self.undo(self.bob)
        self.assertEqual(restored["card"]["checklist"], {"done": 1, "total": 2})
        self.assertEqual(self.shown(), [("Steps", [("a", True), ("b", False)])])

    def test_a_deleted_column_comes_back_with_its_cards_checklists(self):
        self.add(self.new_checklist()["checklist"], "a")
        services.column_delete(board=self.board, column_id=self.todo.pk, actor=self.bob)
        restored = self.undo(self.bob)
        self.assertEqual(restored["cards"][0]["checklist"], {"done": 0, "total": 1})
        self.assertEqual(self.shown(), [("Steps", [("a", False)])])


class ChecklistViewAndAdminTests(ChecklistTestCase):
    def test_members_read_a_cards_checklists_others_get_404(self):
        self.add(self.new_checklist()["checklist"], "visible")
        self.client.force_login(self.bob)
        url = f"/kanban/{self.board.slug}/cards/{self.card['id']}/checklists.json"
        response = self.client.get(url)
        self.assertEqual(response.json()["checklists"][0]["items"][0]["text"], "visible")
        self.client.force_login(make_user("carol"))
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_ticking_in_the_admin_is_an_event_that_says_so(self):
        (item,) = self.add(self.new_checklist()["checklist"], "check me")
        root = make_user("root", is_superuser=True, is_staff=True)
        self.client.force_login(root)
        response = self.client.post(f"/admin/kanban/checklistitem/{item['item']['id']}/change/",
                                    {"text": "check me", "done": "on", "expected_version": 1})
        self.assertEqual(response.status_code, 302)
        event = BoardEvent.objects.filter(board=self.board).order_by("-seq").first()
        self.assertEqual((event.type, event.payload["via"], event.payload["progress"]),
                         ("item.updated", "admin", {"done": 1, "total": 1}))
