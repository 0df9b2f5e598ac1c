"""Start and due dates with times: kanban.services, the frames' `due_at`, the feed, My cards and the socket."""

import datetime

from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from kanban import activity, history, selectors, services
from kanban.models import Card
from tests.kanban.helpers import RefusalsMixin, add_cards, columns_of, make_board
from tests.support import make_user


class ScheduleTests(RefusalsMixin, TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.board = make_board(self.alice)
        (self.card,) = add_cards(self.board, columns_of(self.board)["To do"], ["Launch"], actor=self.alice)

    def update(self, **changes):
        version = Card.objects.get(pk=self.card["id"]).version
        return services.card_update(board=self.board, card_id=self.card["id"], version=version, changes=changes,
                                    actor=self.alice).details

    def face(self):
        return selectors.board_snapshot(board=self.board)["columns"][0]["cards"][0]

    @override_settings(TIME_ZONE="Europe/Paris")
    def test_a_card_gets_a_start_and_a_due_time_and_says_when_it_is_overdue(self):
        ack = self.update(start="2026-12-07", start_time="09:30", due="2026-12-09", due_time="17:00")
        card = ack["card"]
        self.assertEqual((card["start"], card["start_time"], card["due"], card["due_time"]),
                         ("2026-12-07", "09:30", "2026-12-09", "17:00"))
        # 17:00 in Paris in December is 16:00 UTC: the page compares this instant with its clock.
        self.assertEqual(card["due_at"], "2026-12-09T17:00:00+01:00")
        self.assertEqual(datetime.datetime.fromisoformat(card["due_at"]),
                         datetime.datetime(2026, 12, 9, 16, 0, tzinfo=datetime.timezone.utc))
        self.assertEqual(self.face()["due_time"], "17:00")
        self.assertEqual(selectors.board_snapshot(board=self.board)["time_zone"], "Europe/Paris")
        # Without a time, a card is overdue once its day is over.
        self.update(due_time=None)
        self.assertEqual(self.face()["due_at"], "2026-12-10T00:00:00+01:00")
        entries, _ = activity.activity_page(board=self.board)
        self.assertEqual([(d.field, d.old, d.new) for d in entries[0].details], [("Due time", "17:00", "none")])

    def test_refused_schedules_change_nothing(self):
        self.update(due="2026-12-09")
        for changes, field in [
            ({"start": "2026-12-10"}, "start"),  # after the due day
            ({"start": "2026-12-09", "start_time": "18:00", "due_time": "17:00"}, "start"),
            ({"start_time": "09:00"}, "start_time"),  # no start day
            ({"due": None, "due_time": "10:00"}, "due_time"),
            ({"due_time": "24:00"}, None),
            ({"due_time": "9:00"}, None),
            ({"start": "2026-02-30"}, None),
        ]:
            with self.subTest(changes=changes):
                error = self.refused("invalid_field", services.card_update, card_id=self.card["id"],
                                     version=Card.objects.get(pk=self.card["id"]).version, changes=changes,
                                     actor=self.alice)
                if field:
                    self.assertEqual(error.details.get("field"), field)
        card = Card.objects.get(pk=self.card["id"])
        self.assertEqual((card.start_date, card.due_date, card.due_time), (None, datetime.date(2026, 12, 9), None))

    def test_clearing_a_day_clears_its_time_and_undo_brings_both_back(self):
        self.update(due="2026-12-09", due_time="08:15")
        ack = self.update(due=None)
        self.assertEqual((ack["card"]["due"], ack["card"]["due_time"]), (None, None))
        self.assertEqual(set(ack["changes"]), {"due", "due_time"})
        history.history_undo(board=self.board, actor=self.alice)
        self.assertEqual((self.face()["due"], self.face()["due_time"]), ("2026-12-09", "08:15"))

    def test_a_deleted_card_comes_back_with_its_schedule(self):
        self.update(start="2026-12-01", start_time="08:00", due="2026-12-09", due_time="08:15")
        card = Card.objects.get(pk=self.card["id"])
        services.card_delete(board=self.board, card_id=card.pk, version=card.version, actor=self.alice)
        history.history_undo(board=self.board, actor=self.alice)
        face = self.face()
        self.assertEqual((face["start"], face["start_time"], face["due"], face["due_time"]),
                         ("2026-12-01", "08:00", "2026-12-09", "08:15"))

    def test_my_cards_sorts_by_due_time_and_marks_what_is_overdue_by_the_minute(self):
        now = timezone.localtime()
        later, earlier = add_cards(self.board, columns_of(self.board)["To do"], ["Later", "Earlier"], actor=self.alice)
        for card, minutes in ((later, 90), (earlier, -90), (self.card, 30)):
            moment = now + datetime.timedelta(minutes=minutes)
            version = Card.objects.get(pk=card["id"]).version
            services.card_update(board=self.board, card_id=card["id"], version=version, actor=self.alice, changes={
                "assignees": [self.alice.pk], "due": moment.date().isoformat(), "due_time": moment.strftime("%H:%M")})
        self.client.force_login(self.alice)
        page = self.client.get(reverse("kanban:mine"))
        # Day, then time: in order of time even across midnight.
        self.assertEqual([card.title for card in page.context["cards"]], ["Earlier", "Launch", "Later"])
        overdue = {card.title: card.overdue for card in page.context["cards"]}
        self.assertEqual(overdue, {"Earlier": True, "Launch": False, "Later": False})
        self.assertContains(page, "Overdue: due", count=1)
