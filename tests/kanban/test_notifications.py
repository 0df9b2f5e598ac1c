"""Notifications (mentions, assignments, comments on watched cards), watching cards, and their pages."""

from asgiref.sync import sync_to_async
from django.test import TestCase, TransactionTestCase

from boardsite.collab.errors import ActionError
from kanban import comments, notifications, services
from kanban.models import Card, Notification
from tests.kanban.helpers import ClosesSocketsMixin, add_cards, columns_of, make_board
from tests.support import make_user, receive_frame, receive_until, websocket_for
from whiteboard import services as whiteboard_services


def kinds_for(user):
    """(kind, actor, card title) of the user's notifications, oldest first."""
    return [
        (n.kind, n.actor.get_username() if n.actor else None, n.card_title)
        for n in Notification.objects.filter(recipient=user).select_related("actor").order_by("created_at", "id")
    ]


class NotificationTests(TestCase):
    def setUp(self):
        self.alice, self.bob, self.dave = make_user("alice"), make_user("bob"), make_user("dave")
        self.board = make_board(self.alice, members=[self.bob, self.dave])
        self.todo = columns_of(self.board)["To do"]
        (self.card,) = add_cards(self.board, self.todo, ["Write report"], actor=self.alice)

    def comment(self, body, *, actor):
        return comments.comment_create(board=self.board, card_id=self.card["id"], body=body, actor=actor).details

    def test_a_mention_notifies_the_person_mentioned_once_and_never_the_author(self):
        self.comment("@dave and @bob, see this", actor=self.bob)
        self.assertEqual(kinds_for(self.dave), [("mention", "bob", "Write report")])
        self.assertEqual(kinds_for(self.bob), [])
        # Alice created the card, so she watches it: a comment, not a mention, for her.
        self.assertEqual(kinds_for(self.alice), [("comment", "bob", "Write report")])
        self.assertEqual(Notification.objects.get(recipient=self.dave).excerpt, "@dave and @bob, see this")

    def test_commenting_and_being_assigned_make_a_watcher(self):
        self.comment("first", actor=self.bob)  # bob watches from now on
        services.card_update(board=self.board, card_id=self.card["id"], version=1, changes={"assignees": [self.dave.pk]},
                             actor=self.alice)
        self.assertEqual(kinds_for(self.dave), [("assigned", "alice", "Write report")])
        self.comment("second", actor=self.alice)
        self.assertEqual(kinds_for(self.bob), [("comment", "alice", "Write report")])
        self.assertEqual(kinds_for(self.dave)[-1], ("comment", "alice", "Write report"))
        self.assertEqual(set(Card.objects.get(pk=self.card["id"]).watchers.all()), {self.alice, self.bob, self.dave})

    def test_assigning_yourself_notifies_nobody(self):
        services.card_update(board=self.board, card_id=self.card["id"], version=1, changes={"assignees": [self.alice.pk]},
                             actor=self.alice)
        self.assertEqual(Notification.objects.count(), 0)

    def test_unwatching_stops_comment_notifications_and_watching_again_brings_them_back(self):
        services.card_watch(board=self.board, card_id=self.card["id"], watching=False, actor=self.alice)
        self.comment("quiet", actor=self.bob)
        self.assertEqual(kinds_for(self.alice), [])
        services.card_watch(board=self.board, card_id=self.card["id"], watching=True, actor=self.alice)
        self.comment("loud", actor=self.bob)
        self.assertEqual(kinds_for(self.alice), [("comment", "bob", "Write report")])
        with self.assertRaises(ActionError) as refused:
            services.card_watch(board=self.board, card_id=self.card["id"], watching="yes", actor=self.alice)
        self.assertEqual(refused.exception.code, "invalid_field")

    def test_nobody_hears_of_a_board_they_can_no_longer_open(self):
        self.comment("dave watches", actor=self.dave)
        self.board.members.remove(self.dave)
        self.comment("after dave left", actor=self.bob)
        self.assertEqual(kinds_for(self.dave), [])
        # What he was told before is hidden too: the board is not his to open.
        Notification.objects.create(recipient=self.dave, board=self.board, kind="comment", card_id=self.card["id"],
                                    card_title="Write report")
        self.assertEqual(notifications.unread_count(user=self.dave), 0)
        self.assertEqual(notifications.notifications_page(user=self.dave), [])

    def test_deleting_a_comment_takes_its_notifications_with_it(self):
        created = self.comment("@dave look", actor=self.bob)["comment"]
        comments.comment_delete(board=self.board, comment_id=created["id"], version=1, actor=self.bob)
        self.assertEqual(kinds_for(self.dave), [])

    def test_marking_read_one_or_all(self):
        self.comment("@alice one", actor=self.bob)
        self.comment("@alice two", actor=self.dave)
        first, second = Notification.objects.filter(recipient=self.alice).order_by("id")
        self.assertEqual(notifications.mark_read(user=self.alice, ids=[first.pk]), 1)
        notifications.mark_read(user=self.bob, ids=[second.pk])  # not bob's to mark
        self.assertEqual(notifications.unread_count(user=self.alice), 1)
        self.assertEqual(notifications.mark_read(user=self.alice), 0)


class NotificationPageTests(TestCase):
    def setUp(self):
        self.alice, self.bob = make_user("alice"), make_user("bob")
        self.board = make_board(self.alice, members=[self.bob])
        (self.card,) = add_cards(self.board, columns_of(self.board)["To do"], ['<img src=x onerror="alert(1)">Fix'],
                                 actor=self.bob)
        comments.comment_create(board=self.board, card_id=self.card["id"], body="@alice <b>now</b>", actor=self.bob)
        self.notification = Notification.objects.get(recipient=self.alice)
        self.client.force_login(self.alice)

    def test_the_bell_counts_unread_and_the_page_lists_them_escaped(self):
        home = self.client.get("/")
        self.assertContains(home, 'aria-label="Notifications: 1 unread"')
        page = self.client.get("/kanban/notifications/")
        self.assertContains(page, "bob</strong>\n        mentioned you on")
        self.assertContains(page, "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;Fix")
        self.assertContains(page, "@alice &lt;b&gt;now&lt;/b&gt;")
        self.assertNotContains(page, "<img src=x")

    def test_following_one_marks_it_read_and_opens_its_card(self):
        response = self.client.get(f"/kanban/notifications/{self.notification.pk}/")
        self.assertRedirects(response, f"{self.board.get_absolute_url()}?card={self.card['id']}",
                             fetch_redirect_response=False)
        self.notification.refresh_from_db()
        self.assertIsNotNone(self.notification.read_at)
        self.assertContains(self.client.get("/"), 'aria-label="Notifications"')

    def test_someone_elses_notification_is_404_and_a_bad_id_400(self):
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(f"/kanban/notifications/{self.notification.pk}/").status_code, 404)
        for bad in ("x", "1" * 5000, "-1", "0"):
            with self.subTest(bad=bad[:10]):
                self.assertEqual(self.client.post("/kanban/notifications/", {"id": bad}).status_code, 400)
        self.client.force_login(self.alice)
        self.client.post("/kanban/notifications/")
        self.assertEqual(notifications.unread_count(user=self.alice), 0)


class LiveNotificationTests(ClosesSocketsMixin, TransactionTestCase):
    async def connect(self, path, user):
        socket = self.track(await websocket_for(path, user=user))
        connected, _ = await socket.connect()
        self.assertTrue(connected)
        await receive_until(socket, "hello")
        return socket

    async def test_a_notification_reaches_the_person_on_every_board_they_have_open_and_nobody_else(self):
        alice, bob = await sync_to_async(make_user)("alice"), await sync_to_async(make_user)("bob")
        board = await sync_to_async(make_board)(alice, members=[bob])
        other = await sync_to_async(make_board)(alice, name="Alice's other board")
        sketch = await sync_to_async(whiteboard_services.board_create)(name="Sketches", owner=alice)
        (card,) = await sync_to_async(add_cards)(board, (await sync_to_async(columns_of)(board))["To do"], ["Plan"],
                                                 actor=alice)
        on_other = await self.connect(f"/ws/kanban/{other.slug}/", alice)
        on_sketch = await self.connect(f"/ws/whiteboard/{sketch.slug}/", alice)
        bobs = await self.connect(f"/ws/kanban/{board.slug}/", bob)
        await receive_until(bobs, "board")
        await bobs.send_json_to({"type": "comment.create", "card": card["id"], "body": "@alice ready", "ref": 1})
        for socket in (on_other, on_sketch):
            frame, _ = await receive_until(socket, "notification")
            self.assertEqual(frame["notification"]["kind"], "mention")
            self.assertEqual(frame["notification"]["actor"], "bob")
            self.assertEqual(frame["notification"]["board"], {"slug": board.slug, "name": board.name})
        # Bob's own socket gets the ack and that he now watches the card, no notification.
        frames = []
        while not await bobs.receive_nothing(0.3):
            frames.append(await receive_frame(bobs))
        self.assertIn({"type": "card.watching", "card": card["id"], "watching": True}, frames)
        self.assertNotIn("notification", [frame["type"] for frame in frames])
