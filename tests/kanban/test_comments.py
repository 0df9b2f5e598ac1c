"""Comments on cards: kanban.comments, their undo in kanban.history, the feed, the JSON view and the admin."""

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from boardsite.collab.errors import ActionError
from kanban import activity, comments, history, selectors, services
from kanban.models import BoardEvent, Card, Comment
from tests.kanban.helpers import RefusalsMixin, add_cards, columns_of, make_board
from tests.support import make_user


class CommentTestCase(RefusalsMixin, TestCase):
    def setUp(self):
        self.alice, self.bob, self.carol = make_user("alice"), make_user("bob"), make_user("carol")
        self.board = make_board(self.alice, members=[self.bob])
        self.todo = columns_of(self.board)["To do"]
        (self.card,) = add_cards(self.board, self.todo, ["Write report"], actor=self.alice)

    def comment(self, body, *, actor=None, card=None, **extra):
        return comments.comment_create(
            board=self.board, card_id=(card or self.card)["id"], body=body, actor=actor or self.bob, **extra
        ).details

    def count_on_card(self):
        return Card.objects.get(pk=self.card["id"]).comment_count

    def shown(self):
        """The comments as the card editor gets them: (author, body) newest first."""
        listed = selectors.card_comments(card=Card.objects.get(pk=self.card["id"]))["comments"]
        return [(comment["author"]["username"] if comment["author"] else None, comment["body"]) for comment in listed]


class CommentTests(CommentTestCase):
    def test_a_comment_is_rendered_sanitised_counted_on_its_card_and_told_in_the_feed(self):
        ack = self.comment("Looks **good** <script>alert(1)</script>")
        self.assertEqual(ack["event"], "comment.created")
        self.assertEqual(ack["comments"], 1)
        self.assertIn("<strong>good</strong>", ack["comment"]["body_html"])
        self.assertNotIn("<script", ack["comment"]["body_html"])
        self.assertEqual(ack["comment"]["author"]["username"], "bob")
        self.assertEqual(self.count_on_card(), 1)
        card_frame = selectors.board_snapshot(board=self.board)["columns"][0]["cards"][0]
        self.assertEqual(card_frame["comments"], 1)
        entries, _ = activity.activity_page(board=self.board, card_id=self.card["id"])
        self.assertEqual(entries[0].summary, "bob commented on ‘Write report’: Looks **good** <script>alert(1)</script>")

    def test_the_list_is_newest_first_and_as_new_as_its_seq(self):
        self.comment("first")
        self.comment("second", actor=self.alice)
        listed = selectors.card_comments(card=Card.objects.get(pk=self.card["id"]))
        self.assertEqual(self.shown(), [("alice", "second"), ("bob", "first")])
        self.assertEqual(listed["seq"], self.board.events.order_by("-seq").first().seq)

    def test_text_outside_the_limits_is_refused_and_nothing_is_stored(self):
        for body, code in [("", "invalid_field"), ("   \n ", "invalid_field"), ("x" * 5001, "too_long"),
                           ("a\x00b", "invalid_field"), (None, "invalid_field")]:
            with self.subTest(body=repr(body)[:20]):
                self.refused(code, comments.comment_create, card_id=self.card["id"], body=body, actor=self.bob)
        self.assertEqual(Comment.objects.count(), 0)
        self.assertEqual(self.count_on_card(), 0)
        self.comment("x" * 5000)  # the limit itself is fine

    def test_a_comment_on_a_card_of_another_board_is_not_found(self):
        other = make_board(self.carol, name="Other")
        (foreign,) = add_cards(other, columns_of(other)["To do"], ["theirs"], actor=self.carol)
        self.refused("not_found", comments.comment_create, card_id=foreign["id"], body="hi", actor=self.bob)

    def test_sending_again_with_the_same_key_adds_nothing(self):
        first = self.comment("once", client_key="k1")
        again = comments.comment_create(board=self.board, card_id=self.card["id"], body="once", client_key="k1",
                                        actor=self.bob)
        self.assertIsNone(again.seq)
        self.assertTrue(again.details["duplicate"])
        self.assertEqual(again.details["comment"]["id"], first["comment"]["id"])
        self.assertEqual(self.count_on_card(), 1)

    def test_a_comment_takes_the_same_queries_on_a_big_board(self):
        def queries_for(body):
            with CaptureQueriesContext(connection) as queries:
                self.comment(body)
            return len(queries.captured_queries)

        self.comment("bob watches the card from his first comment on")
        small = queries_for("plain")
        Card.objects.bulk_create(Card(board=self.board, column=self.todo, title=f"c{n}", position=n) for n in range(300))
        for _ in range(20):
            self.comment("more")
        self.assertEqual(queries_for("plain"), small)
        self.assertLessEqual(small, 12)  # 10 statements, plus BEGIN and COMMIT
        # A mention reads the board's members and stores the mention: two more.
        self.assertLessEqual(queries_for("ping @alice"), small + 2)


class MentionTests(CommentTestCase):
    def test_members_are_mentioned_and_marked_in_the_html(self):
        ack = self.comment("@alice and @BOB, see this.")
        self.assertEqual(ack["comment"]["mentions"], sorted([self.alice.pk, self.bob.pk]))
        html = ack["comment"]["body_html"]
        self.assertIn('<span class="mention">@alice</span>', html)
        self.assertIn('<span class="mention">@bob</span>,', html)

    def test_a_mention_of_someone_not_on_the_board_is_refused(self):
        error = self.refused("not_member", comments.comment_create, card_id=self.card["id"],
                             body="@alice, ask @carol", actor=self.bob)
        self.assertIn("@carol", error.message)
        error = self.refused("not_member", comments.comment_create, card_id=self.card["id"], body="hi @nobody_at_all",
                             actor=self.bob)
        self.assertIn("@nobody_at_all", error.message)
        self.assertEqual(Comment.objects.count(), 0)

    def test_code_links_and_addresses_are_not_mentions(self):
        ack = self.comment("Use `@carol` and\n\n```\n@decorator\n```\n\nmail bob@example.com or [@carol](https://x.example)")
        self.assertEqual(ack["comment"]["mentions"], [])
        self.assertNotIn("mention", ack["comment"]["body_html"])

    def test_an_edit_is_refused_for_a_new_mention_of_an_outsider(self):
        created = self.comment("hello")["comment"]
        self.refused("not_member", comments.comment_update, comment_id=created["id"], version=1,
                     body="hello @carol", actor=self.bob)
        self.assertEqual(Comment.objects.get().body, "hello")


class EditAndDeleteTests(CommentTestCase):
    def test_authors_edit_their_own_comments_and_nobody_elses(self):
        created = self.comment("frist")["comment"]
        self.refused("forbidden", comments.comment_update, comment_id=created["id"], version=1, body="mine now",
                     actor=self.alice)
        ack = comments.comment_update(board=self.board, comment_id=created["id"], version=1, body="first",
                                      actor=self.bob).details
        self.assertEqual(ack["event"], "comment.updated")
        self.assertEqual((ack["comment"]["body"], ack["comment"]["version"]), ("first", 2))
        self.assertIsNotNone(ack["comment"]["edited_at"])
        entries, _ = activity.activity_page(board=self.board)
        self.assertEqual(entries[0].summary, "bob edited a comment on ‘Write report’")
        self.assertEqual([(d.field, d.old, d.new) for d in entries[0].details], [("Comment", "frist", "first")])

    def test_an_edit_made_to_an_old_version_is_refused_with_the_current_text(self):
        created = self.comment("one")["comment"]
        comments.comment_update(board=self.board, comment_id=created["id"], version=1, body="two", actor=self.bob)
        error = self.refused("conflict", comments.comment_update, comment_id=created["id"], version=1, body="three",
                             actor=self.bob)
        self.assertEqual(error.details["comment"]["body"], "two")

    def test_the_owner_deletes_any_comment_a_member_only_their_own(self):
        by_alice = self.comment("from the owner", actor=self.alice)["comment"]
        by_bob = self.comment("from bob")["comment"]
        self.refused("forbidden", comments.comment_delete, comment_id=by_alice["id"], version=1, actor=self.bob)
        ack = comments.comment_delete(board=self.board, comment_id=by_bob["id"], version=1, actor=self.alice).details
        self.assertEqual((ack["event"], ack["comment"], ack["card"], ack["comments"]),
                         ("comment.deleted", by_bob["id"], self.card["id"], 1))
        self.assertEqual(self.shown(), [("alice", "from the owner")])
        entries, _ = activity.activity_page(board=self.board, card_id=self.card["id"])
        self.assertEqual(entries[0].summary, "alice deleted a comment on ‘Write report’")

    def test_deleting_the_card_deletes_its_comments(self):
        self.comment("gone soon")
        services.card_delete(board=self.board, card_id=self.card["id"], version=1, actor=self.alice)
        self.assertEqual(Comment.objects.count(), 0)


class CommentUndoTests(CommentTestCase):
    def undo(self, actor=None):
        return history.history_undo(board=self.board, actor=actor or self.bob).details

    def redo(self, actor=None):
        return history.history_redo(board=self.board, actor=actor or self.bob).details

    def test_undo_and_redo_a_comment_keep_its_id(self):
        created = self.comment("@alice please check")["comment"]
        self.assertEqual(self.undo()["event"], "comment.deleted")
        self.assertEqual((self.shown(), self.count_on_card()), ([], 0))
        redone = self.redo()
        self.assertEqual(redone["event"], "comment.created")
        self.assertEqual(redone["comment"]["id"], created["id"])
        self.assertEqual(redone["comment"]["mentions"], [self.alice.pk])
        self.assertEqual(redone["comment"]["body_html"], created["body_html"])
        self.assertEqual(redone["comments"], 1)
        self.assertEqual(self.shown(), [("bob", "@alice please check")])

    def test_undo_of_an_edit_brings_the_old_text_back(self):
        created = self.comment("before")["comment"]
        comments.comment_update(board=self.board, comment_id=created["id"], version=1, body="after", actor=self.bob)
        undone = self.undo()
        self.assertEqual((undone["event"], undone["comment"]["body"], undone["comment"]["version"]),
                         ("comment.updated", "before", 3))
        self.redo()
        self.assertEqual(self.shown(), [("bob", "after")])

    def test_undoing_an_edit_then_the_comment_removes_it(self):
        created = self.comment("first try")["comment"]
        comments.comment_update(board=self.board, comment_id=created["id"], version=1, body="second try",
                                actor=self.bob)
        self.undo()
        self.assertEqual(self.undo()["event"], "comment.deleted")
        self.assertEqual(self.shown(), [])

    def test_undo_of_a_delete_brings_the_comment_back_as_it_was(self):
        created = self.comment("keep me @alice", actor=self.bob)["comment"]
        comments.comment_delete(board=self.board, comment_id=created["id"], version=1, actor=self.alice)
        restored = self.undo(self.alice)
        self.assertEqual(restored["event"], "comment.created")
        comment = restored["comment"]
        self.assertEqual((comment["id"], comment["author"]["username"], comment["created_at"], comment["mentions"]),
                         (created["id"], "bob", created["created_at"], [self.alice.pk]))

    def test_an_undo_of_a_comment_edited_since_in_the_admin_is_dropped(self):
        created = self.comment("mine")["comment"]
        root = make_user("root", is_superuser=True, is_staff=True)
        comments.comment_update(board=self.board, comment_id=created["id"], version=1, body="moderated", actor=root)
        with self.assertRaises(ActionError) as caught:
            self.undo()
        self.assertEqual(caught.exception.code, "conflict")
        self.assertEqual(self.shown(), [("bob", "moderated")])
        self.assertEqual(selectors.history_status(board=self.board, user=self.bob), {"can_undo": False, "can_redo": False})

    def test_undo_of_a_card_delete_brings_its_comments_back(self):
        first = self.comment("first")["comment"]
        second = self.comment("second @alice", actor=self.alice)["comment"]
        services.card_delete(board=self.board, card_id=self.card["id"], version=1, actor=self.alice)
        restored = self.undo(self.alice)
        self.assertEqual((restored["event"], restored["card"]["comments"]), ("card.created", 2))
        self.assertEqual(self.shown(), [("alice", "second @alice"), ("bob", "first")])
        ids = sorted(Comment.objects.values_list("pk", flat=True))
        self.assertEqual(ids, sorted([first["id"], second["id"]]))
        self.assertEqual(list(Comment.objects.get(pk=second["id"]).mentions.all()), [self.alice])
        # Bob's own history of his comment applies again: his undo removes it.
        self.assertEqual(self.undo()["event"], "comment.deleted")

    def test_a_comment_made_between_an_undo_and_a_redo_of_a_delete_survives_the_next_undo(self):
        services.card_delete(board=self.board, card_id=self.card["id"], version=1, actor=self.alice)
        self.undo(self.alice)  # the card is back, without comments then
        self.comment("said while it was back")
        self.redo(self.alice)  # deleted again, with the comment
        self.undo(self.alice)
        self.assertEqual(self.shown(), [("bob", "said while it was back")])

    def test_undo_of_a_column_delete_brings_its_cards_comments_back(self):
        (other,) = add_cards(self.board, self.todo, ["Second card"], actor=self.alice)
        self.comment("on the first")
        self.comment("on the second", card=other)
        services.column_delete(board=self.board, column_id=self.todo.pk, actor=self.alice)
        self.assertEqual(Comment.objects.count(), 0)
        restored = self.undo(self.alice)
        self.assertEqual([card["comments"] for card in restored["cards"]], [1, 1])
        self.assertEqual(self.shown(), [("bob", "on the first")])
        entries, _ = activity.activity_page(board=self.board, card_id=other["id"])
        self.assertEqual(entries[0].summary, "bob commented on ‘Second card’: on the second")


class CardCommentsViewTests(CommentTestCase):
    def url(self, card_id, board=None):
        return f"/kanban/{(board or self.board).slug}/cards/{card_id}/comments.json"

    def test_members_read_a_cards_comments_others_get_404(self):
        self.comment("visible")
        self.client.force_login(self.bob)
        response = self.client.get(self.url(self.card["id"]))
        self.assertEqual(response.status_code, 200)
        self.assertIn("no-cache", response.headers["Cache-Control"])
        self.assertEqual([c["body"] for c in response.json()["comments"]], ["visible"])
        self.client.force_login(self.carol)
        self.assertEqual(self.client.get(self.url(self.card["id"])).status_code, 404)
        self.client.logout()
        self.assertNotEqual(self.client.get(self.url(self.card["id"])).status_code, 200)

    def test_a_card_of_another_board_or_no_card_is_404(self):
        other = make_board(self.bob, name="Bob's")
        (foreign,) = add_cards(other, columns_of(other)["To do"], ["elsewhere"], actor=self.bob)
        self.client.force_login(self.bob)
        for card_id in (foreign["id"], 10**30, 0):
            with self.subTest(card_id=card_id):
                response = self.client.get(self.url(card_id))
                self.assertEqual(response.status_code, 404)
                self.assertEqual(response.json()["code"], "not_found")


class CommentAdminTests(CommentTestCase):
    def setUp(self):
        super().setUp()
        self.root = make_user("root", is_superuser=True, is_staff=True)
        self.client.force_login(self.root)

    def test_an_edit_in_the_admin_goes_through_the_service_and_says_so(self):
        created = self.comment("tpyo")["comment"]
        url = f"/admin/kanban/comment/{created['id']}/change/"
        self.assertEqual(self.client.get(url).status_code, 200)
        response = self.client.post(url, {"body": "typo fixed", "expected_version": 1})
        self.assertEqual(response.status_code, 302)
        event = BoardEvent.objects.filter(board=self.board).order_by("-seq").first()
        self.assertEqual((event.type, event.payload["via"], event.payload["comment"]["body"]),
                         ("comment.updated", "admin", "typo fixed"))
        self.assertEqual(self.shown(), [("bob", "typo fixed")])

    def test_an_admin_edit_over_a_newer_text_is_refused(self):
        created = self.comment("one")["comment"]
        comments.comment_update(board=self.board, comment_id=created["id"], version=1, body="two", actor=self.bob)
        response = self.client.post(f"/admin/kanban/comment/{created['id']}/change/",
                                    {"body": "three", "expected_version": 1})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Someone edited this comment since you opened this page")
        self.assertEqual(self.shown(), [("bob", "two")])

    def test_a_delete_in_the_admin_is_an_event(self):
        created = self.comment("spam")["comment"]
        response = self.client.post(f"/admin/kanban/comment/{created['id']}/delete/", {"post": "yes"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(BoardEvent.objects.filter(board=self.board).order_by("-seq").first().type, "comment.deleted")
        self.assertEqual(self.count_on_card(), 0)


class SearchTests(CommentTestCase):
    def test_the_search_finds_every_word_in_titles_descriptions_or_comments(self):
        (other,) = add_cards(self.board, self.todo, ["Fix the LOGIN page"], actor=self.alice)
        services.card_update(board=self.board, card_id=other["id"], version=1,
                             changes={"description": "Users see a blank screen"}, actor=self.alice)
        self.comment("The staging server logs show a timeout")
        elsewhere = make_board(self.bob, name="Elsewhere")
        (foreign,) = add_cards(elsewhere, columns_of(elsewhere)["To do"], ["timeout login"], actor=self.bob)

        def found(text):
            return selectors.search_cards(board=self.board, text=text)

        self.assertEqual(found("TIMEOUT"), [self.card["id"]])
        self.assertEqual(found("login blank"), [other["id"]])
        self.assertEqual(found("report staging"), [self.card["id"]])  # a title word and a comment word
        self.assertEqual(found("login timeout"), [])
        self.assertNotIn(foreign["id"], found("timeout"))

    def test_the_search_view_answers_members_and_refuses_bad_text(self):
        self.comment("needle in a comment")
        self.client.force_login(self.alice)
        url = f"/kanban/{self.board.slug}/search.json"
        self.assertEqual(self.client.get(url, {"q": "needle"}).json(), {"q": "needle", "cards": [self.card["id"]]})
        self.assertEqual(self.client.get(url).json(), {"q": "", "cards": []})
        for bad, code in [("a\x00b", "invalid_field"), ("x" * 201, "too_long")]:
            with self.subTest(bad=bad[:5]):
                response = self.client.get(url, {"q": bad})
                self.assertEqual((response.status_code, response.json()["code"]), (400, code))
        self.client.force_login(self.carol)
        self.assertEqual(self.client.get(url, {"q": "needle"}).status_code, 404)
