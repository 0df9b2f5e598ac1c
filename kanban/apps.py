from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete


def files_go_with_their_row(sender, instance, **kwargs):
    """
    An attachment's files are deleted once the deletion of its row commits,
    however it was deleted: for good from the archive, by the purge, or with
    its board (a cascade no service sees).
    """
    from kanban.attachments import delete_files

    transaction.on_commit(lambda: delete_files(instance))


class KanbanConfig(AppConfig):
    name = "kanban"
    verbose_name = "Kanban boards"

    def ready(self):
        post_delete.connect(files_go_with_their_row, sender="kanban.Attachment", dispatch_uid="kanban.attachment_files")
