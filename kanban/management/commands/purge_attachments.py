"""`manage.py purge_attachments`: run daily (cron, a systemd timer) to free the space of files removed long ago."""

from django.conf import settings
from django.core.management.base import BaseCommand

from kanban import attachments


class Command(BaseCommand):
    help = (
        "Delete for good the card files removed more than ATTACHMENT_RETENTION_DAYS days ago, and start that "
        "time for the files of deleted cards (until then their undo brings them back)."
    )

    def handle(self, *args, **options):
        count = attachments.purge()
        self.stdout.write(f"Deleted {count} file(s) removed more than {settings.ATTACHMENT_RETENTION_DAYS} days ago.")
