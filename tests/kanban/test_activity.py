"""
The kanban activity feed: every change path (services, undo, the admin)
gives an entry a person can read, newest first, filtered and paged, and only
members can read it.
"""

from django.test import TestCase
from django.urls import reverse

from kanban import activity, history, services
from kanban.models import Card
from tests.kanban.helpers import add_cards, columns_of, make_board
from tests.kanban.test_admin import admin_client, card_form_data
from tests.support import make_user


def summaries(board, **filters):
    entries, _ = activity.activity_page(board=board, **filters)
    return [entry.summary for entry in entries]


class ActivityFeedTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.bob = make_user("bob")
        self.board = make_board(self.alice, members=[self.bob])
        self.columns = columns_of(self.board)
        (card,) = add_cards(self.board, self.columns["To do"], ["Write report"], actor=self.alice)
        self.card_id = card["id"]

    def card(self):
        return Card.objects.get(pk=self.card_id)

    def test_moves_name_both_columns_and_edits_name_old_and_new_values(self):
        services.card_move(board=self.board, card_id=self.card_id, version=1, column_id=self.columns["Doing"].pk,
                           index=0, actor=self.bob)
        services.card_update(board=self.board, card_id=self.card_id, version=2, actor=self.alice,
                             changes={"title": "Write the report", "due": "2026-12-01", "assignees": [self.bob.pk]})
        entries, next_before = activity.activity_page(board=self.board)
        self.assertIsNone(next_before)
        self.assertEqual(
            [entry.summary for entry in entries],
            [
                "alice edited ‘Write the report’: title, assignees, due date",
                "bob moved ‘Write report’ from To do to Doing",
                "alice added ‘Write report’ to To do",
            ],
        )
        self.assertEqual(
            [(detail.field, detail.old, detail.new) for detail in entries[0].details],
            [("Title", "Write report", "Write the report"), ("Assignees", "nobody", "bob"), ("Due date", "none", "1 Dec 2026")],
        )
        self.assertEqual((entries[1].user, entries[1].via, entries[1].card), ("bob", None, self.card_id))

    def test_deletions_undo_and_column_changes_are_told(self):
        services.card_delete(board=self.board, card_id=self.card_id, version=1, actor=self.alice)
        history.history_undo(board=self.board, actor=self.alice)
        doing = self.columns["Doing"]
        services.column_update(board=self.board, column_id=doing.pk, title="In progress", actor=self.bob)
        services.column_update(board=self.board, column_id=doing.pk, wip_limit=3, actor=self.bob)
        services.column_delete(board=self.board, column_id=self.columns["Done"].pk, actor=self.alice)
        self.assertEqual(
            summaries(self.board)[:5],
            [
                "alice deleted the column ‘Done’ and its cards",
                "bob changed the column ‘In progress’",
                "bob renamed the column ‘Doing’ to ‘In progress’",
                "alice added ‘Write report’ to To do",
                "alice deleted ‘Write report’ from To do",
            ],
        )
        wip = activity.activity_page(board=self.board)[0][1]
        self.assertEqual([(d.field, d.old, d.new) for d in wip.details], [("WIP limit", "no limit", "3")])

    def test_a_column_or_label_brought_back_by_an_undo_says_so(self):
        label = services.label_create(board=self.board, name="bug", actor=self.alice).details["label"]
        services.card_update(board=self.board, card_id=self.card_id, version=1, changes={"labels": [label["id"]]},
                             actor=self.alice)
        services.label_delete(board=self.board, label_id=label["id"], actor=self.bob)
        history.history_undo(board=self.board, actor=self.bob)
        services.column_delete(board=self.board, column_id=self.columns["To do"].pk, actor=self.bob)
        history.history_undo(board=self.board, actor=self.bob)
        history.history_redo(board=self.board, actor=self.bob)
        self.assertEqual(
            summaries(self.board)[:5],
            [
                "bob deleted the column ‘To do’ and its cards",
                "bob brought back the column ‘To do’ and its card",
                "bob deleted the column ‘To do’ and its cards",
                "bob brought back the label ‘bug’ on 1 card",
                "bob deleted the label ‘bug’",
            ],
        )

    def test_a_card_keeps_its_name_after_its_column_is_deleted(self):
        services.card_move(board=self.board, card_id=self.card_id, version=1, column_id=self.columns["Done"].pk,
                           index=0, actor=self.bob)
        services.card_move(board=self.board, card_id=self.card_id, version=2, column_id=self.columns["Doing"].pk,
                           index=0, actor=self.bob)
        services.column_delete(board=self.board, column_id=self.columns["Done"].pk, actor=self.alice)
        self.assertIn("bob moved ‘Write report’ from Done to Doing", summaries(self.board))

    def test_filter_by_card_and_by_person_and_page_through(self):
        (other,) = add_cards(self.board, self.columns["Done"], ["Other"], actor=self.bob)
        for version in range(1, 5):
            services.card_update(board=self.board, card_id=self.card_id, version=version, actor=self.bob,
                                 changes={"title": f"Report v{version}"})
        services.card_delete(board=self.board, card_id=other["id"], version=1, actor=self.bob)
        self.assertEqual(summaries(self.board, card_id=other["id"]), ["bob deleted ‘Other’ from Done", "bob added ‘Other’ to Done"])
        self.assertEqual(len(summaries(self.board, card_id=self.card_id)), 5)
        self.assertEqual(summaries(self.board, username="alice"), ["alice added ‘Write report’ to To do"])
        first, next_before = activity.activity_page(board=self.board, limit=3)
        rest, last = activity.activity_page(board=self.board, limit=3, before=next_before)
        self.assertEqual([entry.seq for entry in first + rest], sorted((entry.seq for entry in first + rest), reverse=True))
        self.assertEqual(len({entry.seq for entry in first + rest}), 6)
        self.assertIsNotNone(last)


class ActivityFromTheAdminTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.board = make_board(self.alice)
        self.columns = columns_of(self.board)
        (card,) = add_cards(self.board, self.columns["To do"], ["Edit me in the admin"], actor=self.alice)
        self.card = Card.objects.get(pk=card["id"])
        self.client = admin_client()

    def test_admin_edits_moves_and_deletions_are_marked_as_made_in_the_admin(self):
        response = self.client.post(
            reverse("admin:kanban_card_change", args=[self.card.pk]),
            card_form_data(self.card, title="Renamed by an admin", column=self.columns["Done"].pk),
        )
        self.assertEqual(response.status_code, 302)
        self.client.post(reverse("admin:kanban_card_delete", args=[self.card.pk]), {"post": "yes"})
        entries, _ = activity.activity_page(board=self.board)
        self.assertEqual(
            [(entry.user, entry.via, entry.summary) for entry in entries[:3]],
            [
                ("root", "admin", "root deleted ‘Renamed by an admin’ from Done"),
                ("root", "admin", "root moved ‘Renamed by an admin’ from To do to Done"),
                ("root", "admin", "root edited ‘Renamed by an admin’: title"),
            ],
        )
        self.assertEqual(entries[3].via, None)

    def test_column_edits_and_bulk_deletions_in_the_admin_are_marked_too(self):
        doing = self.columns["Doing"]
        response = self.client.post(reverse("admin:kanban_column_change", args=[doing.pk]), {"title": "In progress", "wip_limit": ""})
        self.assertEqual(response.status_code, 302)
        response = self.client.post(
            reverse("admin:kanban_card_changelist"),
            {"action": "delete_selected", "_selected_action": [self.card.pk], "post": "yes"},
        )
        self.assertEqual(response.status_code, 302)
        entries, _ = activity.activity_page(board=self.board)
        self.assertEqual(
            [(entry.via, entry.summary) for entry in entries[:2]],
            [
                ("admin", "root deleted ‘Edit me in the admin’ from To do"),
                ("admin", "root renamed the column ‘Doing’ to ‘In progress’"),
            ],
        )

    def test_the_admin_lists_the_feed_read_only(self):
        services.card_move(board=self.board, card_id=self.card.pk, version=1, column_id=self.columns["Doing"].pk,
                           index=0, actor=self.alice)
        page = self.client.get(reverse("admin:kanban_boardactivity_changelist"))
        self.assertContains(page, "alice moved ‘Edit me in the admin’ from To do to Doing")
        self.assertNotContains(page, reverse("admin:kanban_boardactivity_add"))
        event = self.board.events.get(type="card.moved")
        self.assertEqual(self.client.post(reverse("admin:kanban_boardactivity_delete", args=[event.pk]), {"post": "yes"}).status_code, 403)
        self.assertTrue(self.board.events.filter(pk=event.pk).exists())


class ActivityPageAccessTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.mallory = make_user("mallory")
        self.board = make_board(self.alice)
        columns = columns_of(self.board)
        (self.card,) = add_cards(self.board, columns["To do"], ['<img src=x onerror="alert(1)">'], actor=self.alice)
        self.url = reverse("kanban:activity", args=[self.board.slug])

    def test_members_read_the_feed_as_json_with_filters(self):
        self.client.force_login(self.alice)
        feed = self.client.get(self.url).json()
        self.assertEqual(feed["entries"][0]["summary"], "alice added ‘<img src=x onerror=\"alert(1)\">’ to To do")
        self.assertEqual(feed["entries"][0]["user"], "alice")
        self.assertIsNone(feed["next_before"])
        self.assertEqual(len(self.client.get(self.url, {"card": self.card["id"], "user": "alice"}).json()["entries"]), 1)
        self.assertEqual(self.client.get(self.url, {"user": "nobody"}).json()["entries"], [])

    def test_bad_parameters_are_refused_clearly(self):
        self.client.force_login(self.alice)
        for name, value in (("before", "x"), ("card", "-3"), ("card", "0"), ("before", "1.5")):
            with self.subTest(name=name, value=value):
                response = self.client.get(self.url, {name: value})
                self.assertEqual(response.status_code, 400)
                self.assertEqual(response.json()["error"], f"`{name}` must be a whole number from 1 up.")

    def test_a_user_filter_holding_a_nul_or_a_line_break_is_refused_clearly(self):
        """Issue 18: `?user=a%00b` answered 500 on PostgreSQL."""
        self.client.force_login(self.alice)
        for value, problem in (("a\x00b", "a control character (U+0000)"), ("a\nb", "a tab or line break (U+000A)")):
            with self.subTest(value=value):
                response = self.client.get(self.url, {"user": value})
                self.assertEqual(response.status_code, 400)
                self.assertEqual(response.json()["code"], "invalid_field")
                self.assertIn(f"`user` contains {problem}", response.json()["error"])

    def test_non_members_and_visitors_see_nothing(self):
        self.client.force_login(self.mallory)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.client.logout()
        self.assertEqual(self.client.get(self.url).status_code, 302)
