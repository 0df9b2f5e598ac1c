from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete


def file_goes_with_its_row(sender, instance, **kwargs):
    """An image's file is deleted once the deletion of its row commits: with its board, a cascade no service sees."""
    from whiteboard.images import delete_file

    transaction.on_commit(lambda: delete_file(instance))


class WhiteboardConfig(AppConfig):
    name = "whiteboard"
    verbose_name = "Whiteboards"

    def ready(self):
        post_delete.connect(file_goes_with_its_row, sender="whiteboard.Image", dispatch_uid="whiteboard.image_files")
