import datetime
import importlib
import json
import random
from unittest import mock

from django.apps import apps
from django.db import connection, transaction
from django.test import TestCase, TransactionTestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from boardsite.collab.errors import ActionError
from kanban import descriptions, history, lanes, selectors, services
from kanban.models import BoardEvent, Card, Column, Label, Lane
from tests.kanban.helpers import BoardListener, add_cards, columns_of, make_board, titles_by_column
from tests.support import make_user


class BoardCreateTests(TestCase):
    def test_a_new_board_has_to_do_doing_and_done(self):
        owner = make_user("alice")
        board = make_board(owner)
        self.assertEqual(titles_by_column(board), {"To do": [], "Doing": [], "Done": []})


class CardOrderingTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.board = make_board(self.alice)
        self.columns = columns_of(self.board)

    def move(self, card_id, column, index):
        version = Card.objects.get(pk=card_id).version
        return services.card_move(
            board=self.board, card_id=card_id, version=version, column_id=column.pk, index=index, actor=self.alice
        )

    def test_moves_within_and_across_columns_keep_the_order_asked_for(self):
        todo, doing = self.columns["To do"], self.columns["Doing"]
        a, b, c = add_cards(self.board, todo, ["a", "b", "c"], actor=self.alice)
        self.move(c["id"], todo, 0)
        self.assertEqual(titles_by_column(self.board)["To do"], ["c", "a", "b"])
        self.move(a["id"], doing, 0)
        self.move(b["id"], doing, 0)
        self.move(c["id"], doing, 1)
        self.assertEqual(titles_by_column(self.board), {"To do": [], "Doing": ["b", "c", "a"], "Done": []})

    def test_many_moves_into_the_same_spot_renumber_the_column_and_keep_the_order(self):
        todo, doing = self.columns["To do"], self.columns["Doing"]
        add_cards(self.board, doing, ["first", "last"], actor=self.alice)
        moved = add_cards(self.board, todo, [f"card {number}" for number in range(40)], actor=self.alice)
        for card in moved:
            self.move(card["id"], doing, 1)  # always just after "first": the gap halves every time
        expected = ["first", *[f"card {number}" for number in reversed(range(40))], "last"]
        self.assertEqual(titles_by_column(self.board)["Doing"], expected)
        positions = list(Card.objects.filter(column=doing).order_by("position").values_list("position", flat=True))
        self.assertEqual(len(set(positions)), len(positions), "two cards share a position")

    def test_random_moves_match_a_list_model(self):
        """Hundreds of random moves give exactly the order a plain list of lists gives."""
        rng = random.Random(20261122)
        columns = list(self.columns.values())
        model = {column.pk: [] for column in columns}
        for number in range(30):
            column = rng.choice(columns)
            card = services.card_create(board=self.board, column_id=column.pk, title=f"c{number}", actor=self.alice)
            model[column.pk].append(card.details["card"]["id"])
        for _ in range(400):
            source = rng.choice([pk for pk, cards in model.items() if cards])
            card_id = rng.choice(model[source])
            model[source].remove(card_id)
            target = rng.choice(columns).pk
            # Favour the ends and the second place, where gaps run out fastest.
            index = rng.choice([0, 1, len(model[target]), rng.randint(0, len(model[target]))])
            index = min(index, len(model[target]))
            model[target].insert(index, card_id)
            self.move(card_id, self.board.columns.get(pk=target), index)
        for column in columns:
            stored = list(Card.objects.filter(column=column).order_by("position", "id").values_list("pk", flat=True))
            self.assertEqual(stored, model[column.pk], f"order differs in {column.title}")

    def test_creating_again_with_the_same_key_returns_the_first_card(self):
        todo = self.columns["To do"]
        first = services.card_create(board=self.board, column_id=todo.pk, title="once", client_key="k1", actor=self.alice)
        again = services.card_create(board=self.board, column_id=todo.pk, title="once", client_key="k1", actor=self.alice)
        self.assertEqual(again.details["card"]["id"], first.details["card"]["id"])
        self.assertIsNone(again.seq)
        self.assertEqual(titles_by_column(self.board)["To do"], ["once"])

    def test_an_index_past_the_end_is_refused_and_changes_nothing(self):
        todo, doing = self.columns["To do"], self.columns["Doing"]
        (card,) = add_cards(self.board, todo, ["a"], actor=self.alice)
        add_cards(self.board, doing, ["x", "y"], actor=self.alice)
        with self.assertRaises(ActionError) as refused:
            self.move(card["id"], doing, 3)
        self.assertEqual(refused.exception.code, "out_of_range")
        self.assertEqual(titles_by_column(self.board)["To do"], ["a"])
        self.move(card["id"], doing, 2)  # the end itself is fine
        self.assertEqual(titles_by_column(self.board)["Doing"], ["x", "y", "a"])

    def move_queries(self, column_size):
        board = make_board(self.alice, name=f"size {column_size}")
        todo, doing = columns_of(board)["To do"], columns_of(board)["Doing"]
        Card.objects.bulk_create(
            Card(board=board, column=doing, title=f"c{n}", position=n * services.POSITION_GAP)
            for n in range(column_size)
        )
        (card,) = add_cards(board, todo, ["moving"], actor=self.alice)
        with CaptureQueriesContext(connection) as queries:
            services.card_move(
                board=board, card_id=card["id"], version=1, column_id=doing.pk, index=column_size // 2, actor=self.alice
            )
        return len(queries.captured_queries)

    def test_a_moves_query_count_does_not_grow_with_the_column(self):
        small, large = self.move_queries(20), self.move_queries(200)
        self.assertEqual(small, large)
        self.assertLessEqual(large, 12)  # 10 statements, plus BEGIN and COMMIT


class BoardSnapshotTests(TestCase):
    def snapshot_queries(self, cards_per_column):
        alice = make_user(f"owner{cards_per_column}")
        board = make_board(alice, name=f"{cards_per_column} per column")
        label = services.label_create(board=board, name="bug", colour="red", actor=alice).details["label"]
        for column in columns_of(board).values():
            Card.objects.bulk_create(
                Card(board=board, column=column, title=f"c{n}", position=n)
                for n in range(cards_per_column)
            )
        for card in Card.objects.filter(board=board):
            card.labels.add(label["id"])
            card.assignees.add(alice)
        with CaptureQueriesContext(connection) as queries:
            snapshot = selectors.board_snapshot(board=board)
        self.assertEqual(sum(len(column["cards"]) for column in snapshot["columns"]), 3 * cards_per_column)
        self.assertEqual(snapshot["columns"][0]["cards"][0]["labels"], [label["id"]])
        return len(queries.captured_queries)

    def test_the_board_message_takes_the_same_queries_for_30_or_600_cards(self):
        self.assertEqual(self.snapshot_queries(10), self.snapshot_queries(200))


class ConflictTests(TestCase):
    def setUp(self):
        self.alice, self.bob = make_user("alice"), make_user("bob")
        self.board = make_board(self.alice, members=[self.bob])
        self.columns = columns_of(self.board)
        (self.card,) = add_cards(self.board, self.columns["To do"], ["Write docs"], actor=self.alice)

    def test_a_stale_version_is_refused_with_the_current_card(self):
        services.card_update(
            board=self.board, card_id=self.card["id"], version=1, changes={"title": "Alice's title"}, actor=self.alice
        )
        with self.assertRaises(ActionError) as refused:
            services.card_update(
                board=self.board, card_id=self.card["id"], version=1, changes={"title": "Bob's"}, actor=self.bob
            )
        self.assertEqual(refused.exception.code, "conflict")
        self.assertEqual(refused.exception.details["card"]["title"], "Alice's title")
        self.assertEqual(refused.exception.details["card"]["version"], 2)
        self.assertEqual(Card.objects.get(pk=self.card["id"]).title, "Alice's title")

    def test_a_stale_move_changes_nothing(self):
        services.card_update(
            board=self.board, card_id=self.card["id"], version=1, changes={"title": "renamed"}, actor=self.alice
        )
        with self.assertRaises(ActionError) as refused:
            services.card_move(
                board=self.board,
                card_id=self.card["id"],
                version=1,
                column_id=self.columns["Done"].pk,
                index=0,
                actor=self.bob,
            )
        self.assertEqual(refused.exception.code, "conflict")
        self.assertEqual(titles_by_column(self.board)["To do"], ["renamed"])

    def test_cards_columns_and_labels_of_another_board_are_not_found(self):
        other = make_board(self.bob, name="Bob's")
        (foreign,) = add_cards(other, columns_of(other)["To do"], ["theirs"], actor=self.bob)
        foreign_label = services.label_create(board=other, name="bug", colour="red", actor=self.bob).details["label"]
        attempts = [
            lambda: services.card_move(board=self.board, card_id=foreign["id"], version=1,
                                       column_id=self.columns["Done"].pk, index=0, actor=self.alice),
            lambda: services.card_move(board=self.board, card_id=self.card["id"], version=1,
                                       column_id=columns_of(other)["Done"].pk, index=0, actor=self.alice),
            lambda: services.card_update(board=self.board, card_id=self.card["id"], version=1,
                                         changes={"labels": [foreign_label["id"]]}, actor=self.alice),
            lambda: services.column_delete(board=self.board, column_id=columns_of(other)["Done"].pk, actor=self.alice),
        ]
        for attempt in attempts:
            with self.subTest(), self.assertRaises(ActionError) as refused:
                attempt()
            self.assertEqual(refused.exception.code, "not_found")
        self.assertEqual(titles_by_column(other)["To do"], ["theirs"])
        self.assertEqual(Card.objects.get(pk=self.card["id"]).version, 1)

    def test_only_members_can_be_assigned(self):
        carol = make_user("carol")
        with self.assertRaises(ActionError) as refused:
            services.card_update(
                board=self.board, card_id=self.card["id"], version=1, changes={"assignees": [carol.pk]}, actor=self.alice
            )
        self.assertEqual(refused.exception.code, "not_member")
        frame = services.card_update(
            board=self.board, card_id=self.card["id"], version=1, changes={"assignees": [self.bob.pk]}, actor=self.alice
        )
        self.assertEqual(frame.details["card"]["assignees"], [{"id": self.bob.pk, "username": "bob"}])


class WipLimitTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.board = make_board(self.alice)
        self.columns = columns_of(self.board)
        services.column_update(board=self.board, column_id=self.columns["Doing"].pk, wip_limit=2, actor=self.alice)
        add_cards(self.board, self.columns["Doing"], ["one", "two"], actor=self.alice)
        (self.waiting,) = add_cards(self.board, self.columns["To do"], ["waiting"], actor=self.alice)

    def test_a_move_into_a_full_column_is_refused_with_a_clear_message(self):
        with self.assertRaises(ActionError) as refused:
            services.card_move(board=self.board, card_id=self.waiting["id"], version=1,
                               column_id=self.columns["Doing"].pk, index=0, actor=self.alice)
        self.assertEqual(refused.exception.code, "wip_limit")
        self.assertIn("“Doing” is at its WIP limit of 2 cards", refused.exception.message)
        self.assertEqual(titles_by_column(self.board)["To do"], ["waiting"])

    def test_adding_to_a_full_column_is_refused_but_reordering_inside_it_is_not(self):
        with self.assertRaises(ActionError) as refused:
            services.card_create(board=self.board, column_id=self.columns["Doing"].pk, title="three", actor=self.alice)
        self.assertEqual(refused.exception.code, "wip_limit")
        two = Card.objects.get(title="two")
        services.card_move(board=self.board, card_id=two.pk, version=two.version,
                           column_id=self.columns["Doing"].pk, index=0, actor=self.alice)
        self.assertEqual(titles_by_column(self.board)["Doing"], ["two", "one"])

    def test_raising_the_limit_lets_the_card_in(self):
        services.column_update(board=self.board, column_id=self.columns["Doing"].pk, wip_limit=None, actor=self.alice)
        services.card_move(board=self.board, card_id=self.waiting["id"], version=1,
                           column_id=self.columns["Doing"].pk, index=2, actor=self.alice)
        self.assertEqual(titles_by_column(self.board)["Doing"], ["one", "two", "waiting"])


class LockTests(TestCase):
    def setUp(self):
        self.alice, self.bob = make_user("alice"), make_user("bob")
        self.board = make_board(self.alice, members=[self.bob])
        self.columns = columns_of(self.board)
        (self.card,) = add_cards(self.board, self.columns["To do"], ["Locked card"], actor=self.alice)
        services.card_lock(board=self.board, card_id=self.card["id"], actor=self.alice, connection="alice-tab")

    def bob_moves(self):
        version = Card.objects.get(pk=self.card["id"]).version
        return services.card_move(board=self.board, card_id=self.card["id"], version=version,
                                  column_id=self.columns["Done"].pk, index=0, actor=self.bob, connection="bob-tab")

    def test_another_connection_cannot_move_or_edit_a_locked_card_and_is_told_who_holds_it(self):
        for attempt in (
            self.bob_moves,
            lambda: services.card_update(board=self.board, card_id=self.card["id"], version=1,
                                         changes={"title": "mine"}, actor=self.bob, connection="bob-tab"),
            lambda: services.card_delete(board=self.board, card_id=self.card["id"], version=1,
                                         actor=self.bob, connection="bob-tab"),
            lambda: services.card_lock(board=self.board, card_id=self.card["id"], actor=self.bob,
                                       connection="bob-tab"),
        ):
            with self.subTest(), self.assertRaises(ActionError) as refused:
                attempt()
            self.assertEqual(refused.exception.code, "locked")
            self.assertIn("alice is editing “Locked card”", refused.exception.message)
        self.assertEqual(titles_by_column(self.board)["To do"], ["Locked card"])

    def test_the_holders_own_move_releases_the_lock(self):
        frame = services.card_move(board=self.board, card_id=self.card["id"], version=1,
                                   column_id=self.columns["Doing"].pk, index=0, actor=self.alice,
                                   connection="alice-tab")
        self.assertIsNone(frame.details["card"]["lock"])
        self.bob_moves()
        self.assertEqual(titles_by_column(self.board)["Done"], ["Locked card"])

    def test_saving_releases_the_lock(self):
        services.card_update(board=self.board, card_id=self.card["id"], version=1, changes={"title": "Saved"},
                             actor=self.alice, connection="alice-tab")
        self.bob_moves()

    def test_a_lock_expires_after_its_timeout(self):
        Card.objects.filter(pk=self.card["id"]).update(
            lock_expires_at=timezone.now() - datetime.timedelta(seconds=1)
        )
        self.bob_moves()
        self.assertEqual(titles_by_column(self.board)["Done"], ["Locked card"])

    def test_a_newcomers_board_shows_who_holds_a_card_until_the_lock_expires(self):
        """The board message carries the current locks, so a page that opens (or reconnects) sees them."""
        (frame,) = selectors.board_snapshot(board=self.board)["columns"][0]["cards"]
        self.assertEqual(
            {key: frame["lock"][key] for key in ("user", "conn", "reason")},
            {"user": {"id": self.alice.pk, "username": "alice"}, "conn": "alice-tab", "reason": "edit"},
        )
        self.assertAlmostEqual(frame["lock"]["expires_in"], services.LOCK_SECONDS, delta=2)
        Card.objects.filter(pk=self.card["id"]).update(lock_expires_at=timezone.now() - datetime.timedelta(seconds=1))
        (frame,) = selectors.board_snapshot(board=self.board)["columns"][0]["cards"]
        self.assertIsNone(frame["lock"])

    def test_a_lock_lasts_the_timeout(self):
        card = Card.objects.get(pk=self.card["id"])
        remaining = (card.lock_expires_at - timezone.now()).total_seconds()
        self.assertAlmostEqual(remaining, services.LOCK_SECONDS, delta=2)

    def test_disconnecting_releases_the_connections_locks(self):
        released = services.locks_release(board=self.board, connection="alice-tab")
        self.assertEqual(released, [self.card["id"]])
        self.bob_moves()

    def test_unlock_by_another_connection_does_nothing(self):
        services.card_unlock(board=self.board, card_id=self.card["id"], actor=self.bob, connection="bob-tab")
        with self.assertRaises(ActionError):
            self.bob_moves()


class EventTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.board = make_board(self.alice)
        self.columns = columns_of(self.board)

    def test_each_change_records_an_event_with_the_next_seq(self):
        (card,) = add_cards(self.board, self.columns["To do"], ["a"], actor=self.alice)
        services.card_move(board=self.board, card_id=card["id"], version=1, column_id=self.columns["Done"].pk,
                           index=0, actor=self.alice)
        services.card_delete(board=self.board, card_id=card["id"], version=2, actor=self.alice)
        events = list(BoardEvent.objects.filter(board=self.board).values_list("seq", "type"))
        self.assertEqual(events, [(1, "card.created"), (2, "card.moved"), (3, "card.deleted")])
        self.assertEqual(BoardEvent.objects.get(seq=2).payload["column"], self.columns["Done"].pk)

    def test_events_are_broadcast_after_commit_only(self):
        listener = BoardListener(self.board)
        self.addCleanup(listener.close)
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            frame = services.card_create(
                board=self.board, column_id=self.columns["To do"].pk, title="news", actor=self.alice
            )
            self.assertTrue(listener.nothing_received(), "broadcast before commit")
        self.assertTrue(callbacks)
        message = listener.receive()
        self.assertEqual(message["type"], "board.event")
        broadcast = json.loads(message["text"])
        self.assertEqual((broadcast["type"], broadcast["seq"]), ("card.created", frame.seq))
        self.assertEqual(broadcast["card"], frame.details["card"])

    def test_a_change_that_rolls_back_is_neither_stored_nor_broadcast(self):
        listener = BoardListener(self.board)
        self.addCleanup(listener.close)
        with self.captureOnCommitCallbacks(execute=True):
            try:
                with transaction.atomic():
                    services.card_create(
                        board=self.board, column_id=self.columns["To do"].pk, title="doomed", actor=self.alice
                    )
                    raise RuntimeError("the caller fails after the service")
            except RuntimeError:
                pass
        self.assertTrue(listener.nothing_received())
        self.assertFalse(Card.objects.exists())
        self.assertFalse(BoardEvent.objects.exists())


class ColumnAndLabelTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.board = make_board(self.alice)
        self.columns = columns_of(self.board)

    def test_columns_are_added_reordered_and_deleted_with_their_cards(self):
        services.column_create(board=self.board, title="Review", index=2, actor=self.alice)
        self.assertEqual(list(titles_by_column(self.board)), ["To do", "Doing", "Review", "Done"])
        services.column_move(board=self.board, column_id=self.columns["Done"].pk, index=0, actor=self.alice)
        self.assertEqual(list(titles_by_column(self.board)), ["Done", "To do", "Doing", "Review"])
        add_cards(self.board, self.columns["Doing"], ["goes with it"], actor=self.alice)
        services.column_delete(board=self.board, column_id=self.columns["Doing"].pk, actor=self.alice)
        self.assertEqual(list(titles_by_column(self.board)), ["Done", "To do", "Review"])
        self.assertFalse(Card.objects.filter(title="goes with it").exists())

    def test_a_column_holding_a_card_someone_is_editing_cannot_be_deleted(self):
        (card,) = add_cards(self.board, self.columns["Doing"], ["busy"], actor=self.alice)
        services.card_lock(board=self.board, card_id=card["id"], actor=self.alice, connection="tab-1")
        with self.assertRaises(ActionError) as refused:
            services.column_delete(board=self.board, column_id=self.columns["Doing"].pk, actor=self.alice,
                                   connection="tab-2")
        self.assertEqual(refused.exception.code, "locked")
        self.assertIn("Doing", titles_by_column(self.board))

    def test_a_column_index_past_the_end_is_refused(self):
        with self.assertRaises(ActionError) as refused:
            services.column_move(board=self.board, column_id=self.columns["Done"].pk, index=3, actor=self.alice)
        self.assertEqual(refused.exception.code, "out_of_range")

    def test_a_change_over_what_someone_else_changed_since_is_refused_and_theirs_stands(self):
        """Issue 20: a rename made over another's rename (or a WIP limit saved with a stale title) overwrote it."""
        doing = self.columns["Doing"].pk
        services.column_update(board=self.board, column_id=doing, title="In progress", was={"title": "Doing"},
                               actor=self.alice)
        with self.assertRaises(ActionError) as refused:
            services.column_update(board=self.board, column_id=doing, title="Working", was={"title": "Doing"},
                                   actor=self.alice)
        self.assertEqual(refused.exception.code, "conflict")
        self.assertIn("renamed it “In progress”", refused.exception.message)
        self.assertEqual(refused.exception.details["column"]["title"], "In progress")
        self.assertIn("In progress", titles_by_column(self.board))
        # Fields that were not changed by someone else go through, theirs kept.
        services.column_update(board=self.board, column_id=doing, wip_limit=3, was={"wip_limit": None},
                               actor=self.alice)
        with self.assertRaises(ActionError) as refused:
            services.column_update(board=self.board, column_id=doing, wip_limit=5, was={"wip_limit": None},
                                   actor=self.alice)
        self.assertIn("set its WIP limit to 3", refused.exception.message)
        column = Column.objects.get(pk=doing)
        self.assertEqual((column.title, column.wip_limit), ("In progress", 3))
        # Saying what was seen now, the change goes through.
        services.column_update(board=self.board, column_id=doing, title="Working", was={"title": "In progress"},
                               actor=self.alice)
        self.assertEqual(Column.objects.get(pk=doing).title, "Working")

    def test_a_lane_renamed_over_another_rename_is_refused(self):
        lane = lanes.lane_create(board=self.board, title="Team A", actor=self.alice).details["lane"]
        lanes.lane_update(board=self.board, lane_id=lane["id"], title="Platform", was={"title": "Team A"},
                          actor=self.alice)
        with self.assertRaises(ActionError) as refused:
            lanes.lane_update(board=self.board, lane_id=lane["id"], title="Web", was={"title": "Team A"},
                              actor=self.alice)
        self.assertEqual((refused.exception.code, refused.exception.details["lane"]["title"]), ("conflict", "Platform"))
        self.assertEqual(Lane.objects.get(pk=lane["id"]).title, "Platform")

    def test_a_label_changed_over_someone_else_s_change_is_refused(self):
        bug = services.label_create(board=self.board, name="bug", colour="red", actor=self.alice).details["label"]
        services.label_update(board=self.board, label_id=bug["id"], colour="blue", was={"colour": "red"},
                              actor=self.alice)
        with self.assertRaises(ActionError) as refused:
            services.label_update(board=self.board, label_id=bug["id"], name="defect", colour="green",
                                  was={"name": "bug", "colour": "red"}, actor=self.alice)
        self.assertEqual(refused.exception.code, "conflict")
        self.assertIn("made it blue", refused.exception.message)
        self.assertEqual(refused.exception.details["label"]["colour"], "blue")
        label = Label.objects.get(pk=bug["id"])
        self.assertEqual((label.name, label.colour), ("bug", "blue"))
        # The name alone, as seen: it goes through, the other's colour kept.
        services.label_update(board=self.board, label_id=bug["id"], name="defect", was={"name": "bug"},
                              actor=self.alice)
        label.refresh_from_db()
        self.assertEqual((label.name, label.colour), ("defect", "blue"))

    def test_deleting_a_label_takes_it_off_cards_and_names_stay_unique(self):
        bug = services.label_create(board=self.board, name="bug", colour="red", actor=self.alice).details["label"]
        with self.assertRaises(ActionError) as refused:
            services.label_create(board=self.board, name="bug", colour="blue", actor=self.alice)
        self.assertEqual(refused.exception.code, "duplicate")
        (card,) = add_cards(self.board, self.columns["To do"], ["labelled"], actor=self.alice)
        services.card_update(board=self.board, card_id=card["id"], version=1, changes={"labels": [bug["id"]]},
                             actor=self.alice)
        services.label_delete(board=self.board, label_id=bug["id"], actor=self.alice)
        self.assertEqual(selectors.board_snapshot(board=self.board)["columns"][0]["cards"][0]["labels"], [])


class DescriptionTests(TestCase):
    def test_markdown_is_rendered_and_html_injection_is_removed(self):
        alice = make_user("alice")
        board = make_board(alice)
        (card,) = add_cards(board, columns_of(board)["To do"], ["md"], actor=alice)
        frame = services.card_update(
            board=board,
            card_id=card["id"],
            version=1,
            changes={
                "description": "**bold** <script>alert(1)</script> [ok](https://example.com) "
                "[bad](javascript:alert(1)) <img src=x onerror=alert(1)>"
            },
            actor=alice,
        )
        html = frame.details["card"]["description_html"]
        self.assertIn("<strong>bold</strong>", html)
        self.assertIn('href="https://example.com"', html)
        for dangerous in ("<script", "javascript:", "onerror", "<img"):
            self.assertNotIn(dangerous, html)
        self.assertIn("<script>", frame.details["card"]["description"], "the raw text is kept as written")


class DescriptionRenderingTests(TransactionTestCase):
    """
    Descriptions are rendered before the board's transaction, whichever path
    sets them: the board's row lock is never held while Markdown is parsed.
    """

    def setUp(self):
        self.alice = make_user("alice")
        self.board = make_board(self.alice)
        self.columns = columns_of(self.board)
        self.renderings = []  # for each description rendered: was a transaction open?
        render = descriptions.markdown_html

        def noting_the_transaction(text):
            self.renderings.append(connection.in_atomic_block)
            return render(text)

        patcher = mock.patch.object(descriptions, "markdown_html", noting_the_transaction)
        patcher.start()
        self.addCleanup(patcher.stop)

    def assert_rendered_outside_transactions(self, count):
        self.assertEqual(self.renderings, [False] * count)
        self.renderings.clear()

    def html(self, card_id):
        return Card.objects.get(pk=card_id).description_html

    def test_create_update_undo_and_redo(self):
        card = services.card_create(board=self.board, column_id=self.columns["To do"].pk, title="a",
                                    description="**first**", actor=self.alice).details["card"]
        self.assert_rendered_outside_transactions(1)
        self.assertEqual(card["description_html"], "<p><strong>first</strong></p>\n")
        services.card_update(board=self.board, card_id=card["id"], version=1,
                             changes={"description": "~~second~~"}, actor=self.alice)
        self.assert_rendered_outside_transactions(1)
        self.assertEqual(self.html(card["id"]), "<p><del>second</del></p>\n")
        history.history_undo(board=self.board, actor=self.alice)
        self.assert_rendered_outside_transactions(1)
        self.assertEqual(self.html(card["id"]), "<p><strong>first</strong></p>\n")
        history.history_redo(board=self.board, actor=self.alice)
        self.assert_rendered_outside_transactions(1)
        self.assertEqual(self.html(card["id"]), "<p><del>second</del></p>\n")

    def test_undoing_deletions_of_a_card_and_of_a_column(self):
        todo = self.columns["To do"]
        cards = [
            services.card_create(board=self.board, column_id=todo.pk, title=title, description=f"_{title}_",
                                 actor=self.alice).details["card"]
            for title in ("a", "b", "c")
        ]
        self.renderings.clear()
        services.card_delete(board=self.board, card_id=cards[0]["id"], version=1, actor=self.alice)
        history.history_undo(board=self.board, actor=self.alice)
        self.assert_rendered_outside_transactions(1)
        self.assertEqual(self.html(cards[0]["id"]), "<p><em>a</em></p>\n")
        services.column_delete(board=self.board, column_id=todo.pk, actor=self.alice)
        frame = history.history_undo(board=self.board, actor=self.alice)
        self.assert_rendered_outside_transactions(3)
        self.assertEqual([card["description_html"] for card in frame.details["cards"]],
                         ["<p><em>a</em></p>\n", "<p><em>b</em></p>\n", "<p><em>c</em></p>\n"])

    def test_an_invalid_description_is_refused_before_anything_is_locked_or_rendered(self):
        card = add_cards(self.board, self.columns["To do"], ["a"], actor=self.alice)[0]
        for description, code in (("x" * 10_001, "too_long"), ("bell\a", "invalid_field"), (5, "invalid_field")):
            with self.subTest(description=description), self.assertRaises(ActionError) as refused:
                services.card_update(board=self.board, card_id=card["id"], version=1,
                                     changes={"description": description}, actor=self.alice)
            self.assertEqual(refused.exception.code, code)
        self.assertEqual(self.renderings, [])

    def test_the_migration_renders_existing_descriptions_again(self):
        cards = add_cards(self.board, self.columns["To do"], ["a", "b"], actor=self.alice)
        # As Python-Markdown left them: no strikethrough, no autolink.
        Card.objects.filter(pk=cards[0]["id"]).update(description="~~done~~ see www.example.com",
                                                      description_html="<p>~~done~~ see www.example.com</p>")
        migration = importlib.import_module("kanban.migrations.0007_render_descriptions_with_cmark_gfm")
        migration.render_again(apps, None)
        self.assertEqual(
            self.html(cards[0]["id"]),
            '<p><del>done</del> see <a href="http://www.example.com" target="_blank" '
            'rel="nofollow noopener noreferrer ugc">www.example.com</a></p>\n',
        )
        self.assertEqual(self.html(cards[1]["id"]), "", "a card without a description is left alone")


class UndoRedoTests(TestCase):
    def setUp(self):
        self.alice, self.bob = make_user("alice"), make_user("bob")
        self.board = make_board(self.alice, members=[self.bob])
        self.columns = columns_of(self.board)
        self.a, self.b = add_cards(self.board, self.columns["To do"], ["a", "b"], actor=self.alice)

    def undo(self, user=None):
        return history.history_undo(board=self.board, actor=user or self.alice)

    def redo(self, user=None):
        return history.history_redo(board=self.board, actor=user or self.alice)

    def test_undo_and_redo_a_move(self):
        services.card_move(board=self.board, card_id=self.a["id"], version=1, column_id=self.columns["Done"].pk,
                           index=0, actor=self.alice)
        frame = self.undo()
        self.assertEqual(frame.details["event"], "card.moved")
        self.assertEqual(titles_by_column(self.board)["To do"], ["a", "b"])
        self.assertEqual(frame.details["history"], {"can_undo": True, "can_redo": True})
        self.redo()
        self.assertEqual(titles_by_column(self.board), {"To do": ["b"], "Doing": [], "Done": ["a"]})

    def test_undo_an_edit_then_a_delete(self):
        services.card_update(board=self.board, card_id=self.b["id"], version=1, changes={"title": "B!"},
                             actor=self.alice)
        services.card_delete(board=self.board, card_id=self.b["id"], version=2, actor=self.alice)
        restored = self.undo()
        self.assertEqual(restored.details["event"], "card.created")
        self.assertEqual(restored.details["card"]["id"], self.b["id"], "the card comes back with its id")
        self.assertEqual(titles_by_column(self.board)["To do"], ["a", "B!"])
        self.undo()
        self.assertEqual(titles_by_column(self.board)["To do"], ["a", "b"])

    def test_undo_walks_back_through_creation(self):
        self.undo()
        self.undo()
        self.assertEqual(titles_by_column(self.board)["To do"], [])
        with self.assertRaises(ActionError) as refused:
            self.undo()
        self.assertEqual(refused.exception.code, "nothing_to_undo")
        self.redo()
        self.assertEqual(titles_by_column(self.board)["To do"], ["a"])

    def test_undo_of_an_edit_then_of_the_creation_deletes_the_card(self):
        """Found with comments: after undoing your edit, undoing the card's creation said someone else changed it."""
        (card,) = add_cards(self.board, self.columns["To do"], ["fresh"], actor=self.alice)
        services.card_update(board=self.board, card_id=card["id"], version=1, changes={"title": "edited"},
                             actor=self.alice)
        self.undo()
        self.undo()
        self.assertNotIn("fresh", titles_by_column(self.board)["To do"])
        self.redo()
        self.redo()
        self.assertIn("edited", titles_by_column(self.board)["To do"])

    def test_undo_is_refused_when_someone_else_changed_the_card_and_then_moves_on(self):
        services.card_update(board=self.board, card_id=self.b["id"], version=1, changes={"title": "alice's"},
                             actor=self.alice)
        services.card_update(board=self.board, card_id=self.b["id"], version=2, changes={"title": "bob's"},
                             actor=self.bob)
        with self.assertRaises(ActionError) as refused:
            self.undo()
        self.assertEqual(refused.exception.code, "conflict")
        self.assertIn("Cannot undo that change", refused.exception.message)
        self.assertEqual(Card.objects.get(pk=self.b["id"]).title, "bob's", "bob's newer change is kept")
        # The refused entry was dropped, so undo moves on: creating b (also changed by bob since), then creating a.
        with self.assertRaises(ActionError):
            self.undo()
        self.assertEqual(self.undo().details["event"], "card.deleted")
        self.assertEqual(titles_by_column(self.board)["To do"], ["bob's"])

    def test_a_new_change_clears_what_could_be_redone(self):
        services.card_move(board=self.board, card_id=self.a["id"], version=1, column_id=self.columns["Done"].pk,
                           index=0, actor=self.alice)
        self.undo()
        services.card_update(board=self.board, card_id=self.b["id"], version=1, changes={"title": "new"},
                             actor=self.alice)
        with self.assertRaises(ActionError) as refused:
            self.redo()
        self.assertEqual(refused.exception.code, "nothing_to_redo")

    def test_each_user_undoes_only_their_own_changes(self):
        with self.assertRaises(ActionError) as refused:
            self.undo(self.bob)
        self.assertEqual(refused.exception.code, "nothing_to_undo")


class ColumnUndoRedoTests(TestCase):
    """Column changes undo and redo like card changes, refused when the column changed since."""

    def setUp(self):
        self.alice, self.bob = make_user("alice"), make_user("bob")
        self.board = make_board(self.alice, members=[self.bob])
        self.columns = columns_of(self.board)

    def undo(self, user=None):
        return history.history_undo(board=self.board, actor=user or self.alice)

    def redo(self, user=None):
        return history.history_redo(board=self.board, actor=user or self.alice)

    def titles(self):
        return list(titles_by_column(self.board))

    def test_undo_and_redo_a_creation(self):
        created = services.column_create(board=self.board, title="Review", index=1, actor=self.alice)
        frame = self.undo()
        self.assertEqual(frame.details["event"], "column.deleted")
        self.assertEqual(self.titles(), ["To do", "Doing", "Done"])
        frame = self.redo()
        self.assertEqual(frame.details["event"], "column.created")
        self.assertEqual(frame.details["column"]["id"], created.details["column"]["id"], "the column comes back with its id")
        self.assertEqual(frame.details["cards"], [])
        self.assertEqual(self.titles(), ["To do", "Review", "Doing", "Done"])

    def test_undo_and_redo_an_update(self):
        doing = self.columns["Doing"]
        services.column_update(board=self.board, column_id=doing.pk, title="In progress", wip_limit=3,
                               actor=self.alice)
        frame = self.undo()
        self.assertEqual(frame.details["event"], "column.updated")
        self.assertEqual(frame.details["column"], {"id": doing.pk, "title": "Doing", "wip_limit": None})
        self.assertEqual(frame.details["changes"], {"title": {"from": "In progress", "to": "Doing"},
                                            "wip_limit": {"from": 3, "to": None}})
        self.redo()
        doing.refresh_from_db()
        self.assertEqual((doing.title, doing.wip_limit), ("In progress", 3))

    def test_undo_and_redo_a_move(self):
        services.column_move(board=self.board, column_id=self.columns["Done"].pk, index=0, actor=self.alice)
        undone = self.undo()
        self.assertEqual(undone.details, {**undone.details, "event": "column.moved", "column": self.columns["Done"].pk,
                                          "index": 2})
        self.assertEqual(self.titles(), ["To do", "Doing", "Done"])
        self.redo()
        self.assertEqual(self.titles(), ["Done", "To do", "Doing"])

    def test_undoing_a_delete_brings_back_the_column_and_its_cards_in_order(self):
        label = services.label_create(board=self.board, name="bug", actor=self.bob).details["label"]
        doing = self.columns["Doing"]
        cards = add_cards(self.board, doing, ["one", "two", "three"], actor=self.bob)
        services.card_update(board=self.board, card_id=cards[1]["id"], version=1,
                             changes={"labels": [label["id"]], "assignees": [self.bob.pk], "due": "2026-12-01"},
                             actor=self.bob)
        services.card_move(board=self.board, card_id=cards[2]["id"], version=1, column_id=doing.pk, index=0,
                           actor=self.bob)
        services.column_delete(board=self.board, column_id=doing.pk, actor=self.alice)
        self.assertEqual(Card.objects.filter(board=self.board).count(), 0)

        frame = self.undo()
        self.assertEqual(frame.details["event"], "column.created")
        self.assertEqual(frame.details["column"], {"id": doing.pk, "title": "Doing", "wip_limit": None})
        self.assertEqual(frame.details["index"], 1)
        self.assertEqual([card["title"] for card in frame.details["cards"]], ["three", "one", "two"])
        two = frame.details["cards"][2]
        self.assertEqual((two["id"], two["labels"], two["assignees"][0]["id"], two["due"], two["version"]),
                         (cards[1]["id"], [label["id"]], self.bob.pk, "2026-12-01", 2))
        self.assertEqual(titles_by_column(self.board)["Doing"], ["three", "one", "two"])
        self.assertEqual(frame.details["history"], {"can_undo": False, "can_redo": True})
        # The column's cards came back with their versions, so bob can still undo his own card changes.
        self.assertEqual(history.history_undo(board=self.board, actor=self.bob).details["event"], "card.moved")
        self.assertEqual(titles_by_column(self.board)["Doing"], ["one", "two", "three"])

        with self.assertRaises(ActionError) as refused:
            self.redo()
        self.assertEqual(refused.exception.code, "conflict", "bob's move changed a card of the column since")
        self.assertIn("Cannot redo that change", refused.exception.message)
        self.assertEqual(titles_by_column(self.board)["Doing"], ["one", "two", "three"])

    def test_redoing_a_delete(self):
        doing = self.columns["Doing"]
        add_cards(self.board, doing, ["one"], actor=self.bob)
        services.column_delete(board=self.board, column_id=doing.pk, actor=self.alice)
        self.undo()
        frame = self.redo()
        self.assertEqual((frame.details["event"], frame.details["column"], frame.details["title"]), ("column.deleted", doing.pk, "Doing"))
        self.assertEqual(self.titles(), ["To do", "Done"])
        self.assertEqual(Card.objects.filter(board=self.board).count(), 0)

    def test_undoing_a_creation_is_refused_once_someone_added_cards(self):
        column = services.column_create(board=self.board, title="Review", actor=self.alice).details["column"]
        add_cards(self.board, self.board.columns.get(pk=column["id"]), ["bob's card"], actor=self.bob)
        with self.assertRaises(ActionError) as refused:
            self.undo()
        self.assertEqual(refused.exception.code, "conflict")
        self.assertIn("cards", refused.exception.message)
        self.assertEqual(titles_by_column(self.board)["Review"], ["bob's card"], "bob's card is not deleted")
        self.assertEqual(refused.exception.details["history"], {"can_undo": False, "can_redo": False})

    def test_undoing_an_update_is_refused_once_someone_renamed_the_column(self):
        doing = self.columns["Doing"]
        services.column_update(board=self.board, column_id=doing.pk, title="In progress", actor=self.alice)
        services.column_update(board=self.board, column_id=doing.pk, title="Bob's name", actor=self.bob)
        with self.assertRaises(ActionError) as refused:
            self.undo()
        self.assertEqual(refused.exception.code, "conflict")
        self.assertIn("changed by someone else", refused.exception.message)
        doing.refresh_from_db()
        self.assertEqual(doing.title, "Bob's name")

    def test_undoing_a_move_is_refused_once_someone_reordered_the_columns(self):
        services.column_move(board=self.board, column_id=self.columns["Done"].pk, index=0, actor=self.alice)
        services.column_move(board=self.board, column_id=self.columns["Done"].pk, index=1, actor=self.bob)
        with self.assertRaises(ActionError) as refused:
            self.undo()
        self.assertEqual(refused.exception.code, "conflict")
        self.assertEqual(self.titles(), ["To do", "Done", "Doing"])

    def test_undoing_a_creation_after_someone_deleted_the_column_is_refused(self):
        column = services.column_create(board=self.board, title="Review", actor=self.alice).details["column"]
        services.column_delete(board=self.board, column_id=column["id"], actor=self.bob)
        with self.assertRaises(ActionError) as refused:
            self.undo()
        self.assertEqual(refused.exception.code, "not_found")


class LabelUndoRedoTests(TestCase):
    """Label changes undo and redo like card changes, refused when the label changed since."""

    def setUp(self):
        self.alice, self.bob = make_user("alice"), make_user("bob")
        self.board = make_board(self.alice, members=[self.bob])
        (self.card,) = add_cards(self.board, columns_of(self.board)["To do"], ["a"], actor=self.bob)

    def undo(self):
        return history.history_undo(board=self.board, actor=self.alice)

    def redo(self):
        return history.history_redo(board=self.board, actor=self.alice)

    def labels(self):
        return list(self.board.labels.order_by("name").values_list("name", "colour"))

    def test_undo_and_redo_a_creation(self):
        label = services.label_create(board=self.board, name="bug", colour="red", actor=self.alice).details["label"]
        frame = self.undo()
        self.assertEqual((frame.details["event"], frame.details["label"], frame.details["name"]), ("label.deleted", label["id"], "bug"))
        self.assertEqual(self.labels(), [])
        frame = self.redo()
        self.assertEqual((frame.details["event"], frame.details["label"]), ("label.created", label))
        self.assertEqual(self.labels(), [("bug", "red")])

    def test_undo_and_redo_an_update(self):
        label = services.label_create(board=self.board, name="bug", colour="red", actor=self.alice).details["label"]
        services.label_update(board=self.board, label_id=label["id"], name="defect", colour="blue", actor=self.alice)
        frame = self.undo()
        self.assertEqual((frame.details["event"], frame.details["label"]), ("label.updated", label))
        self.redo()
        self.assertEqual(self.labels(), [("defect", "blue")])

    def test_undoing_a_delete_puts_the_label_back_on_its_cards(self):
        label = services.label_create(board=self.board, name="bug", colour="red", actor=self.alice).details["label"]
        services.card_update(board=self.board, card_id=self.card["id"], version=1, changes={"labels": [label["id"]]},
                             actor=self.bob)
        services.label_delete(board=self.board, label_id=label["id"], actor=self.alice)
        frame = self.undo()
        self.assertEqual((frame.details["event"], frame.details["label"], frame.details["cards"]), ("label.created", label, [self.card["id"]]))
        self.assertEqual(list(Card.objects.get(pk=self.card["id"]).labels.values_list("pk", flat=True)), [label["id"]])
        frame = self.redo()
        self.assertEqual(frame.details["event"], "label.deleted")
        self.assertEqual(self.labels(), [])

    def test_undoing_a_delete_leaves_out_cards_given_their_full_labels_since(self):
        label = services.label_create(board=self.board, name="bug", actor=self.alice).details["label"]
        services.card_update(board=self.board, card_id=self.card["id"], version=1, changes={"labels": [label["id"]]},
                             actor=self.bob)
        services.label_delete(board=self.board, label_id=label["id"], actor=self.alice)
        others = [services.label_create(board=self.board, name=f"l{n}", actor=self.bob).details["label"]["id"]
                  for n in range(services.MAX_LABELS_PER_CARD)]
        services.card_update(board=self.board, card_id=self.card["id"], version=2, changes={"labels": others},
                             actor=self.bob)
        frame = self.undo()
        self.assertEqual((frame.details["event"], frame.details["cards"]), ("label.created", []))
        self.assertEqual(Card.objects.get(pk=self.card["id"]).labels.count(), services.MAX_LABELS_PER_CARD)

    def test_undoing_an_update_is_refused_once_someone_changed_the_label(self):
        label = services.label_create(board=self.board, name="bug", actor=self.alice).details["label"]
        services.label_update(board=self.board, label_id=label["id"], name="defect", actor=self.alice)
        services.label_update(board=self.board, label_id=label["id"], colour="green", actor=self.bob)
        with self.assertRaises(ActionError) as refused:
            self.undo()
        self.assertEqual(refused.exception.code, "conflict")
        self.assertEqual(self.labels(), [("defect", "green")])

    def test_undoing_a_creation_is_refused_once_the_label_is_on_cards(self):
        label = services.label_create(board=self.board, name="bug", actor=self.alice).details["label"]
        services.card_update(board=self.board, card_id=self.card["id"], version=1, changes={"labels": [label["id"]]},
                             actor=self.bob)
        with self.assertRaises(ActionError) as refused:
            self.undo()
        self.assertEqual(refused.exception.code, "conflict")
        self.assertEqual(self.labels(), [("bug", "grey")])

    def test_undoing_a_delete_is_refused_once_the_name_is_taken_again(self):
        label = services.label_create(board=self.board, name="bug", actor=self.alice).details["label"]
        services.label_delete(board=self.board, label_id=label["id"], actor=self.alice)
        services.label_create(board=self.board, name="bug", colour="red", actor=self.bob)
        with self.assertRaises(ActionError) as refused:
            self.undo()
        self.assertEqual(refused.exception.code, "conflict")
        self.assertEqual(self.labels(), [("bug", "red")])


class SeveralAssigneesTests(TestCase):
    def setUp(self):
        self.alice, self.bob, self.carol = make_user("alice"), make_user("bob"), make_user("carol")
        self.board = make_board(self.alice, members=[self.bob, self.carol])
        (self.card,) = add_cards(self.board, columns_of(self.board)["To do"], ["Pair on it"], actor=self.alice)

    def assign(self, *users, version):
        return services.card_update(board=self.board, card_id=self.card["id"], version=version,
                                    changes={"assignees": [user.pk for user in users]}, actor=self.alice).details

    def test_a_card_has_several_assignees_each_told_once(self):
        from kanban.models import Notification

        ack = self.assign(self.carol, self.bob, self.alice, version=1)
        self.assertEqual([user["username"] for user in ack["card"]["assignees"]], ["alice", "bob", "carol"])
        self.assertEqual(ack["changes"]["assignees"], {"from": [], "to": sorted([self.alice.pk, self.bob.pk, self.carol.pk])})
        self.assign(self.bob, version=2)  # carol and alice taken off; bob stays, not told again
        kinds = sorted(Notification.objects.values_list("recipient__username", "kind"))
        self.assertEqual(kinds, [("bob", "assigned"), ("carol", "assigned")])
        self.assertEqual([card.title for card in selectors.cards_assigned_to(user=self.bob)], ["Pair on it"])
        self.assertEqual(selectors.cards_assigned_to(user=self.carol), [])
        history.history_undo(board=self.board, actor=self.alice)
        snapshot = selectors.board_snapshot(board=self.board)["columns"][0]["cards"][0]
        self.assertEqual([user["username"] for user in snapshot["assignees"]], ["alice", "bob", "carol"])

    def test_outsiders_and_too_many_are_refused(self):
        stranger = make_user("stranger")
        for user_ids, code in [([stranger.pk], "not_member"), (list(range(1, 12)), "too_many"), ("bob", "invalid_field")]:
            with self.subTest(code=code):
                with self.assertRaises(ActionError) as caught:
                    services.card_update(board=self.board, card_id=self.card["id"], version=1,
                                         changes={"assignees": user_ids}, actor=self.alice)
                self.assertEqual(caught.exception.code, code)


class AssigneesMigrationTests(TransactionTestCase):
    """0013 makes each card's one assignee the first of its several."""

    def test_the_assignee_becomes_one_of_the_assignees(self):
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        executor.migrate([("kanban", "0012_card_transfer")])
        old = executor.loader.project_state([("kanban", "0012_card_transfer")]).apps
        user = old.get_model("auth", "User").objects.create(username="old-assignee")
        board = old.get_model("kanban", "Board").objects.create(name="Old", slug="old-1", owner=user)
        column = old.get_model("kanban", "Column").objects.create(board=board, title="To do")
        card = old.get_model("kanban", "Card").objects.create(board=board, column=column, title="Old card", assignee=user)
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
        self.assertEqual(list(Card.objects.get(pk=card.pk).assignees.values_list("username", flat=True)), ["old-assignee"])
