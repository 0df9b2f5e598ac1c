from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kanban import demo as kanban_demo
from whiteboard import demo as whiteboard_demo

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "boardsite-demo"


class Command(BaseCommand):
    help = (
        f"Create the demo user ({DEMO_USERNAME} / {DEMO_PASSWORD}), a whiteboard and a kanban board. "
        "Safe to run again: what exists is left as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with DEBUG off, on a site only you can reach: anyone who reads this help can log in.",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        # The demo password is published (README, this help): on a production site it is an open door.
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                f"demo_data makes the user {DEMO_USERNAME!r} with the published password {DEMO_PASSWORD!r}, "
                "so it runs only with DEBUG on (`make run` sets DEBUG=1). "
                "To add it to this site anyway, pass --allow-production."
            )
        user, created = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        whiteboard = whiteboard_demo.ensure_demo_board(owner=user)
        kanban_board = kanban_demo.ensure_demo_board(owner=user)
        self.stdout.write(
            f"Demo data ready: log in as “{DEMO_USERNAME}” with password “{DEMO_PASSWORD}”.\n"
            f"  whiteboard: {whiteboard.get_absolute_url()}\n"
            f"  kanban:     {kanban_board.get_absolute_url()}"
        )
