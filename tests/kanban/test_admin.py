import html
import re
from unittest import mock

from asgiref.sync import sync_to_async
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.test import Client, TestCase, TransactionTestCase
from django.urls import reverse

from boardsite.collab.consumers import CloseCode
from kanban import activity, checklists, lanes, services
from kanban.models import Board, Card, Checklist, Column, Label, Lane
from tests.kanban.helpers import ClosesSocketsMixin, add_cards, columns_of, make_board, titles_by_column
from tests.support import make_user, receive_frame, receive_until, websocket_for


def admin_client():
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "admin-password-123")
    client = Client()
    client.force_login(admin)
    return client


def card_form_data(card, **overrides):
    data = {
        "column": card.column_id,
        "title": card.title,
        "description": card.description,
        "assignees": [],  # the cards of these tests have none; a test that gives some passes them
        "due_date": card.due_date.isoformat() if card.due_date else "",
        "expected_version": card.version,
    }
    data.update(overrides)
    return data


class AdminEditsReachOpenBoardsTests(ClosesSocketsMixin, TransactionTestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.board = make_board(self.alice)
        self.columns = columns_of(self.board)
        (card,) = add_cards(self.board, self.columns["To do"], ["Edit me in the admin"], actor=self.alice)
        self.card = Card.objects.get(pk=card["id"])
        self.client = admin_client()

    async def open_board(self):
        socket = self.track(await websocket_for(f"/ws/kanban/{self.board.slug}/", user=self.alice))
        connected, _ = await socket.connect()
        self.assertTrue(connected)
        board = (await receive_until(socket, "board"))[0]
        await socket.send_json_to({"type": "sync", "since": board["seq"]})
        await receive_until(socket, "synced")
        return socket

    async def test_an_edit_in_the_admins_change_form_appears_on_an_open_board(self):
        socket = await self.open_board()
        url = reverse("admin:kanban_card_change", args=[self.card.pk])
        response = await sync_to_async(self.client.post)(
            url, card_form_data(self.card, title="Renamed by an admin", column=self.columns["Done"].pk)
        )
        self.assertEqual(response.status_code, 302)
        updated = await receive_frame(socket)
        self.assertEqual(updated["type"], "card.updated")
        self.assertEqual(updated["card"]["title"], "Renamed by an admin")
        moved = await receive_frame(socket)
        self.assertEqual(moved["type"], "card.moved")
        self.assertEqual(moved["column"], self.columns["Done"].pk)
        self.assertEqual(moved["index"], 0)

    async def test_cards_added_and_deleted_in_the_admin_appear_on_an_open_board(self):
        socket = await self.open_board()
        response = await sync_to_async(self.client.post)(
            reverse("admin:kanban_card_add"),
            {"board": self.board.pk, "column": self.columns["Doing"].pk, "title": "Added in the admin",
             "description": "", "due_date": ""},
        )
        self.assertEqual(response.status_code, 302)
        created = await receive_frame(socket)
        self.assertEqual((created["type"], created["card"]["title"]), ("card.created", "Added in the admin"))
        response = await sync_to_async(self.client.post)(
            reverse("admin:kanban_card_delete", args=[created["card"]["id"]]), {"post": "yes"}
        )
        self.assertEqual(response.status_code, 302)
        deleted = await receive_frame(socket)
        self.assertEqual((deleted["type"], deleted["card"]), ("card.deleted", created["card"]["id"]))


    async def test_files_attached_removed_and_deleted_in_the_admin_appear_on_an_open_board(self):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from tests.kanban.test_attachments import image_bytes

        socket = await self.open_board()
        response = await sync_to_async(self.client.post)(
            reverse("admin:kanban_attachment_add"),
            {"card": self.card.pk, "upload": SimpleUploadedFile("scan.png", image_bytes() + b"<script>x</script>")},
        )
        self.assertEqual(response.status_code, 302)
        created = await receive_frame(socket)
        self.assertEqual((created["type"], created["attachment"]["name"], created["cover"], created["via"]),
                         ("attachment.created", "scan.png", created["attachment"]["id"], "admin"))
        file_id = created["attachment"]["id"]
        delete = reverse("admin:kanban_attachment_delete", args=[file_id])
        self.assertEqual((await sync_to_async(self.client.post)(delete, {"post": "yes"})).status_code, 302)
        self.assertEqual((await receive_frame(socket))["type"], "attachment.removed")
        self.assertEqual((await sync_to_async(self.client.post)(delete, {"post": "yes"})).status_code, 302)
        deleted = await receive_frame(socket)
        self.assertEqual((deleted["type"], deleted["attachment"]), ("attachment.deleted", file_id))
        response = await sync_to_async(self.client.post)(
            reverse("admin:kanban_attachment_add"), {"card": self.card.pk, "upload": SimpleUploadedFile("x.svg", b"<svg/>")})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "SVG files are not accepted")

    async def test_a_lane_added_renamed_and_deleted_in_the_admin_appears_on_an_open_board(self):
        socket = await self.open_board()
        response = await sync_to_async(self.client.post)(reverse("admin:kanban_lane_add"),
                                                         {"board": self.board.pk, "title": "Platform"})
        self.assertEqual(response.status_code, 302)
        created = await receive_frame(socket)
        self.assertEqual((created["type"], created["lane"]["title"], created["cards"], created["via"]),
                         ("lane.created", "Platform", [self.card.pk], "admin"))
        lane_id = created["lane"]["id"]
        response = await sync_to_async(self.client.post)(reverse("admin:kanban_lane_change", args=[lane_id]),
                                                         {"title": "Infrastructure"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual((await receive_frame(socket))["lane"]["title"], "Infrastructure")
        response = await sync_to_async(self.client.post)(reverse("admin:kanban_lane_delete", args=[lane_id]), {"post": "yes"})
        self.assertEqual(response.status_code, 302)
        deleted = await receive_frame(socket)
        self.assertEqual((deleted["type"], deleted["cards"]), ("lane.deleted", [self.card.pk]))

    async def test_a_label_edited_in_the_admin_appears_on_an_open_board_and_in_the_activity_feed(self):
        label = await sync_to_async(services.label_create)(board=self.board, name="bug", actor=self.alice)
        socket = await self.open_board()
        response = await sync_to_async(self.client.post)(
            reverse("admin:kanban_label_change", args=[label.details["label"]["id"]]), {"name": "defect", "colour": "red"}
        )
        self.assertEqual(response.status_code, 302)
        updated = await receive_frame(socket)
        self.assertEqual(updated["type"], "label.updated")
        self.assertEqual(updated["label"], {"id": label.details["label"]["id"], "name": "defect", "colour": "red"})
        self.assertEqual(updated["via"], "admin")
        entries, _ = await sync_to_async(activity.activity_page)(board=self.board)
        self.assertEqual((entries[0].user, entries[0].via, entries[0].summary),
                         ("root", "admin", "root changed the label ‘defect’"))

    async def test_labels_added_and_deleted_in_the_admin_appear_on_an_open_board(self):
        socket = await self.open_board()
        response = await sync_to_async(self.client.post)(
            reverse("admin:kanban_label_add"), {"board": self.board.pk, "name": "  urgent  ", "colour": "orange"}
        )
        self.assertEqual(response.status_code, 302)
        created = await receive_frame(socket)
        self.assertEqual((created["type"], created["label"]["name"]), ("label.created", "urgent"))
        response = await sync_to_async(self.client.post)(
            reverse("admin:kanban_label_delete", args=[created["label"]["id"]]), {"post": "yes"}
        )
        self.assertEqual(response.status_code, 302)
        deleted = await receive_frame(socket)
        self.assertEqual((deleted["type"], deleted["label"]), ("label.deleted", created["label"]["id"]))

    def post_board_form(self, *, columns, **fields):
        """The board's change form, with its columns inline: `columns` is [(column or None, title)]."""
        data = {"name": self.board.name, "owner": self.alice.pk, **fields}
        data.update({"columns-TOTAL_FORMS": len(columns), "columns-INITIAL_FORMS": sum(1 for c, _ in columns if c),
                     "columns-MIN_NUM_FORMS": 0, "columns-MAX_NUM_FORMS": 1000})
        for index, (column, title) in enumerate(columns):
            data.update({f"columns-{index}-id": column.pk if column else "", f"columns-{index}-board": self.board.pk,
                         f"columns-{index}-title": title, f"columns-{index}-wip_limit": ""})
        return self.client.post(reverse("admin:kanban_board_change", args=[self.board.pk]), data)

    async def test_columns_edited_in_the_boards_admin_page_appear_on_an_open_board_and_in_its_history(self):
        socket = await self.open_board()
        columns = [(self.columns["To do"], "To do"), (self.columns["Doing"], "In progress"),
                   (self.columns["Done"], "Done"), (None, "Review")]
        response = await sync_to_async(self.post_board_form)(columns=columns)
        self.assertEqual(response.status_code, 302)
        updated = await receive_frame(socket)
        self.assertEqual((updated["type"], updated["column"]["title"]), ("column.updated", "In progress"))
        created = await receive_frame(socket)
        self.assertEqual((created["type"], created["column"]["title"]), ("column.created", "Review"))
        entry = await LogEntry.objects.filter(object_id=str(self.board.pk)).alatest("action_time")
        self.assertIn("Added column “Review”", entry.get_change_message())
        self.assertIn("Changed Title for column “In progress”", entry.get_change_message())

    async def test_a_board_deleted_in_the_admin_closes_its_open_connections(self):
        socket = await self.open_board()
        response = await sync_to_async(self.client.post)(
            reverse("admin:kanban_board_delete", args=[self.board.pk]), {"post": "yes"}
        )
        self.assertEqual(response.status_code, 302)
        output = await socket.receive_output(timeout=3)
        self.assertEqual(output, {"type": "websocket.close", "code": CloseCode.BOARD_NOT_FOUND})


class AdminBoardCreationTests(TestCase):
    def test_a_board_added_in_the_admin_gets_the_default_columns(self):
        alice = make_user("alice")
        response = admin_client().post(reverse("admin:kanban_board_add"), {
            "name": "  Made by staff  ", "owner": alice.pk,
            "columns-TOTAL_FORMS": 0, "columns-INITIAL_FORMS": 0, "columns-MIN_NUM_FORMS": 0,
            "columns-MAX_NUM_FORMS": 1000,
        })
        self.assertEqual(response.status_code, 302)
        board = Board.objects.get(owner=alice)
        self.assertEqual(board.name, "Made by staff")
        self.assertEqual(list(columns_of(board)), ["To do", "Doing", "Done"])


class AdminValidationTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.board = make_board(self.alice)
        self.columns = columns_of(self.board)
        (card,) = add_cards(self.board, self.columns["To do"], ["Admin card"], actor=self.alice)
        self.card = Card.objects.get(pk=card["id"])
        self.client = admin_client()
        self.url = reverse("admin:kanban_card_change", args=[self.card.pk])

    def test_a_change_made_since_the_form_was_opened_is_not_overwritten(self):
        services.card_update(board=self.board, card_id=self.card.pk, version=1, changes={"title": "Newer"},
                             actor=self.alice)
        response = self.client.post(self.url, card_form_data(self.card, title="Older", expected_version=1))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Someone changed this card since you opened this page")
        self.assertEqual(Card.objects.get(pk=self.card.pk).title, "Newer")

    def test_a_move_or_an_add_into_a_full_column_is_refused_on_the_form(self):
        """Issue 18 (found since): a card moved in the admin into a column at its WIP limit answered 500."""
        services.column_update(board=self.board, column_id=self.columns["Doing"].pk, wip_limit=1, actor=self.alice)
        add_cards(self.board, self.columns["Doing"], ["Already there"], actor=self.alice)
        response = self.client.post(self.url, card_form_data(self.card, column=self.columns["Doing"].pk))
        self.assertContains(response, "at its WIP limit of 1 card", status_code=200)
        self.assertEqual(Card.objects.get(pk=self.card.pk).column_id, self.columns["To do"].pk)
        response = self.client.post(reverse("admin:kanban_card_add"), {
            "board": self.board.pk, "column": self.columns["Doing"].pk, "title": "One more",
            "description": "", "due_date": "",
        })
        self.assertContains(response, "at its WIP limit of 1 card", status_code=200)
        self.assertFalse(Card.objects.filter(title="One more").exists())

    def test_a_change_a_service_refuses_after_the_form_passed_says_why_instead_of_answering_500(self):
        with mock.patch.object(services, "MAX_CARDS_PER_BOARD", 1):
            response = self.client.post(reverse("admin:kanban_card_add"), {
                "board": self.board.pk, "column": self.columns["Done"].pk, "title": "Too many",
                "description": "", "due_date": "",
            }, follow=True)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Nothing was saved:")
        self.assertFalse(Card.objects.filter(title="Too many").exists())

    def test_a_column_of_another_board_and_a_non_member_assignee_are_refused(self):
        other = make_board(self.alice, name="Other")
        stranger = make_user("stranger")
        response = self.client.post(
            reverse("admin:kanban_card_add"),
            {"board": self.board.pk, "column": columns_of(other)["Done"].pk, "title": "Misplaced",
             "description": "", "assignees": [stranger.pk], "due_date": ""},
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Pick a column of this card&#x27;s board.")
        self.assertContains(response, "Cards can only be assigned to members of this board.")
        # Editing a card offers only its own board's columns and members.
        change_form = self.client.get(self.url).content.decode()
        self.assertIn("Team board › Doing", change_form)
        self.assertNotIn("Other ›", change_form)
        self.assertNotIn(">stranger<", change_form)
        response = self.client.post(self.url, card_form_data(self.card, column=columns_of(other)["Done"].pk))
        self.assertContains(response, "Select a valid choice")
        self.assertEqual(titles_by_column(self.board)["To do"], ["Admin card"])
        self.assertFalse(Card.objects.filter(title="Misplaced").exists())

    def seen(self, response, name):
        """What the page says it showed of a field (its hidden `seen_` input), as posted back."""
        match = re.search(rf'name="{name}" value="([^"]*)"', response.content.decode())
        self.assertIsNotNone(match, f"no {name} on the page")
        return html.unescape(match.group(1))

    def test_a_column_renamed_on_the_board_since_the_form_opened_is_not_overwritten(self):
        doing = self.columns["Doing"]
        url = reverse("admin:kanban_column_change", args=[doing.pk])
        page = self.client.get(url)
        form = {"title": "In progress", "wip_limit": "", "seen_title": self.seen(page, "seen_title"),
                "seen_wip_limit": self.seen(page, "seen_wip_limit")}
        services.column_update(board=self.board, column_id=doing.pk, title="Working", actor=self.alice)
        response = self.client.post(url, form)
        self.assertContains(response, "Someone else renamed it “Working” while you had this column open.")
        self.assertContains(response, 'value="In progress"')  # what was typed stays
        self.assertEqual(Column.objects.get(pk=doing.pk).title, "Working")
        # The page now counts their title as seen: saving again replaces it.
        again = self.client.post(url, {**form, "seen_title": self.seen(response, "seen_title")})
        self.assertEqual(again.status_code, 302)
        self.assertEqual(Column.objects.get(pk=doing.pk).title, "In progress")

    def test_a_field_left_as_it_was_in_the_admin_does_not_undo_a_change_made_on_the_board(self):
        doing = self.columns["Doing"]
        url = reverse("admin:kanban_column_change", args=[doing.pk])
        page = self.client.get(url)
        services.column_update(board=self.board, column_id=doing.pk, title="Working", actor=self.alice)
        response = self.client.post(url, {"title": "Doing", "wip_limit": "2", "seen_title": self.seen(page, "seen_title"),
                                          "seen_wip_limit": self.seen(page, "seen_wip_limit")})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Column.objects.values_list("title", "wip_limit").get(pk=doing.pk), ("Working", 2))

    def test_labels_and_lanes_changed_on_the_board_since_the_form_opened_are_not_overwritten(self):
        label = services.label_create(board=self.board, name="bug", colour="grey", actor=self.alice).details["label"]
        url = reverse("admin:kanban_label_change", args=[label["id"]])
        page = self.client.get(url)
        seen = {"seen_name": self.seen(page, "seen_name"), "seen_colour": self.seen(page, "seen_colour")}
        services.label_update(board=self.board, label_id=label["id"], colour="red", actor=self.alice)
        response = self.client.post(url, {"name": "bug", "colour": "blue", **seen})
        self.assertContains(response, "Someone else made it red while you had this label open.")
        # A rename stands beside their colour.
        self.assertEqual(self.client.post(url, {"name": "defect", "colour": "grey", **seen}).status_code, 302)
        self.assertEqual(Label.objects.values_list("name", "colour").get(pk=label["id"]), ("defect", "red"))

        lane = lanes.lane_create(board=self.board, title="Platform", actor=self.alice).details["lane"]
        url = reverse("admin:kanban_lane_change", args=[lane["id"]])
        page = self.client.get(url)
        lanes.lane_update(board=self.board, lane_id=lane["id"], title="Infrastructure", actor=self.alice)
        response = self.client.post(url, {"title": "Backend", "seen_title": self.seen(page, "seen_title")})
        self.assertContains(response, "Someone else renamed it “Infrastructure” while you had this lane open.")
        self.assertEqual(Lane.objects.get(pk=lane["id"]).title, "Infrastructure")

    def test_a_checklist_renamed_on_the_board_since_the_form_opened_is_not_overwritten(self):
        steps = checklists.checklist_create(board=self.board, card_id=self.card.pk, title="Steps",
                                            actor=self.alice).details["checklist"]
        url = reverse("admin:kanban_checklist_change", args=[steps["id"]])
        page = self.client.get(url)
        checklists.checklist_update(board=self.board, checklist_id=steps["id"], title="Release steps", actor=self.alice)
        response = self.client.post(url, {"title": "Launch steps", "seen_title": self.seen(page, "seen_title")})
        self.assertContains(response, "Someone else renamed it “Release steps” while you had this checklist open.")
        self.assertEqual(Checklist.objects.get(pk=steps["id"]).title, "Release steps")

    def test_a_column_renamed_since_the_boards_page_opened_is_not_overwritten_there(self):
        url = reverse("admin:kanban_board_change", args=[self.board.pk])
        page = self.client.get(url)
        columns = list(self.columns.values())
        data = {"name": self.board.name, "owner": self.alice.pk, "columns-TOTAL_FORMS": len(columns),
                "columns-INITIAL_FORMS": len(columns), "columns-MIN_NUM_FORMS": 0, "columns-MAX_NUM_FORMS": 1000}
        for index, column in enumerate(columns):
            data.update({f"columns-{index}-id": column.pk, f"columns-{index}-board": self.board.pk,
                         f"columns-{index}-title": column.title, f"columns-{index}-wip_limit": ""})
            for field in ("title", "wip_limit"):
                name = f"columns-{index}-seen_{field}"
                data[name] = self.seen(page, name)
        index = columns.index(self.columns["Done"])
        data[f"columns-{index}-title"] = "Shipped"
        services.column_update(board=self.board, column_id=self.columns["Done"].pk, title="Released", actor=self.alice)
        response = self.client.post(url, data)
        self.assertContains(response, "Someone else renamed it “Released” while you had this column open.")
        self.assertEqual(list(columns_of(self.board)), ["To do", "Doing", "Released"])

    def test_a_duplicate_label_name_is_refused_in_the_admin(self):
        services.label_create(board=self.board, name="bug", actor=self.alice)
        other = services.label_create(board=self.board, name="idea", actor=self.alice).details["label"]
        response = self.client.post(reverse("admin:kanban_label_change", args=[other["id"]]),
                                    {"name": "bug", "colour": "grey"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "There is already a label called")

    def test_a_locked_card_cannot_be_edited_or_deleted_in_the_admin(self):
        services.card_lock(board=self.board, card_id=self.card.pk, actor=self.alice, connection="tab")
        response = self.client.post(self.url, card_form_data(self.card, title="Sneaky"))
        self.assertContains(response, "alice is editing “Admin card”")
        delete = self.client.get(reverse("admin:kanban_card_delete", args=[self.card.pk]))
        self.assertEqual(delete.status_code, 403)
        self.assertEqual(Card.objects.get(pk=self.card.pk).title, "Admin card")

    def test_html_in_titles_labels_and_usernames_is_escaped_in_the_admin(self):
        hacker = make_user("<b>hacker</b>")
        self.board.members.add(hacker)
        label = services.label_create(board=self.board, name="<i>label</i>", colour="red", actor=self.alice)
        add_cards(self.board, self.columns["Doing"], ["<script>alert('card')</script>"], actor=self.alice)
        card = Card.objects.get(column=self.columns["Doing"])
        services.card_update(board=self.board, card_id=card.pk, version=1, actor=self.alice,
                             changes={"assignees": [hacker.pk], "labels": [label.details["label"]["id"]]})
        changelist = self.client.get(reverse("admin:kanban_card_changelist"))
        change = self.client.get(reverse("admin:kanban_card_change", args=[card.pk]))
        for response in (changelist, change):
            content = response.content.decode()
            self.assertNotIn("<script>alert('card')</script>", content)
            self.assertNotIn("<b>hacker</b>", content)
            self.assertNotIn("<i>label</i>", content)
        self.assertIn("&lt;script&gt;alert(&#x27;card&#x27;)&lt;/script&gt;", changelist.content.decode())
        self.assertIn("&lt;b&gt;hacker&lt;/b&gt;", changelist.content.decode())

    def test_the_admin_lists_filter_and_search_cards(self):
        add_cards(self.board, self.columns["Done"], ["Finished thing"], actor=self.alice)
        changelist = reverse("admin:kanban_card_changelist")
        response = self.client.get(changelist, {"column__id__exact": self.columns["Done"].pk})
        self.assertContains(response, "Finished thing")
        self.assertNotContains(response, "Admin card")
        response = self.client.get(changelist, {"q": "admin"})
        self.assertContains(response, "Admin card")
        self.assertNotContains(response, "Finished thing")
        board_page = self.client.get(reverse("admin:kanban_board_change", args=[self.board.pk]))
        self.assertContains(board_page, 'value="Doing"')  # the columns inline
