"""
Kanban boards: columns of ordered cards, board labels, and each user's
undo history. Every change goes through kanban.services, never `save()`.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from boardsite.collab import models as collab

COLUMN_TITLE_MAX_LENGTH = 60
LANE_TITLE_MAX_LENGTH = 60
CARD_TITLE_MAX_LENGTH = 200
CARD_DESCRIPTION_MAX_LENGTH = 10_000
LABEL_NAME_MAX_LENGTH = 40
COMMENT_MAX_LENGTH = 5_000
CHECKLIST_TITLE_MAX_LENGTH = 100
CHECKLIST_ITEM_MAX_LENGTH = 500
WIP_LIMIT_MAX = 999
MAX_ASSIGNEES = 10
ATTACHMENT_NAME_MAX_LENGTH = 120

# Label colours are names from a fixed palette, never CSS from a user.
LABEL_COLOURS = ["grey", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink"]


class Board(collab.Board):
    list_url_name = "kanban:list"
    detail_url_name = "kanban:board"

    class Meta(collab.Board.Meta):
        verbose_name = "kanban board"


class BoardEvent(collab.BoardEvent):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="events")

    class Meta(collab.BoardEvent.Meta):
        constraints = [models.UniqueConstraint(fields=["board", "seq"], name="kanban_event_unique_seq")]


class BoardActivity(BoardEvent):
    """The event log read as the activity feed (kanban.activity), for the admin's read-only list."""

    class Meta:
        proxy = True
        ordering = ["-seq"]
        verbose_name = "activity"
        verbose_name_plural = "activity"


class Column(models.Model):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="columns")
    title = models.CharField(max_length=COLUMN_TITLE_MAX_LENGTH)
    position = models.IntegerField(default=0)
    wip_limit = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="At most this many cards; empty for no limit."
    )
    # Archived: off the board with its cards, kept for the archive view to restore or delete.
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["board", "position", "id"]
        indexes = [models.Index(fields=["board", "position"])]

    def __str__(self):
        return self.title


class Lane(models.Model):
    """
    A swimlane: a row across the board's columns (kanban.lanes). A board has
    none until someone adds one; from then on each of its cards is in one.
    """

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="lanes")
    title = models.CharField(max_length=LANE_TITLE_MAX_LENGTH)
    position = models.IntegerField(default=0)

    class Meta:
        ordering = ["board", "position", "id"]

    def __str__(self):
        return self.title


class Label(models.Model):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=LABEL_NAME_MAX_LENGTH)
    colour = models.CharField(max_length=10, choices=[(colour, colour) for colour in LABEL_COLOURS], default="grey")

    class Meta:
        ordering = ["board", "name"]
        constraints = [models.UniqueConstraint(fields=["board", "name"], name="kanban_label_unique_name")]

    def __str__(self):
        return self.name


def lock_holder(connection, expires_at, *, now=None):
    """The connection id of a card's lock (its `lock_connection`, `lock_expires_at`) while unexpired, or None."""
    if connection and expires_at and expires_at > (now or timezone.now()):
        return connection
    return None


class Card(models.Model):
    """
    `position` orders the cards of a column: gapped integers, so a move writes
    only the moved card and the column is renumbered only when two neighbours
    have no integer left between them. `version` grows with every change and
    guards against overwriting a change the client has not seen.
    """

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="cards")
    column = models.ForeignKey(Column, on_delete=models.CASCADE, related_name="cards")
    # Its swimlane, on a board that has them (kanban.lanes keeps every card of such a board in one).
    lane = models.ForeignKey(Lane, null=True, blank=True, on_delete=models.SET_NULL, related_name="cards")
    title = models.CharField(max_length=CARD_TITLE_MAX_LENGTH)
    description = models.TextField(blank=True, max_length=CARD_DESCRIPTION_MAX_LENGTH)
    # Sanitised HTML rendered from `description` by the service that saves it.
    description_html = models.TextField(blank=True, editable=False)
    # Owner or members of the board, at most MAX_ASSIGNEES (kanban.services.clean_assignees).
    assignees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="assigned_kanban_cards")
    labels = models.ManyToManyField(Label, blank=True, related_name="cards")
    # Who hears of its comments (kanban.notifications): its creator, assignees and commenters, until they unwatch.
    watchers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="watched_kanban_cards")
    # When work on it starts and when it is due: a day, and optionally a time of that day, both
    # wall-clock times in the site's TIME_ZONE (the `board` message names it).
    start_date = models.DateField(null=True, blank=True)
    start_time = models.TimeField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    due_time = models.TimeField(null=True, blank=True)
    # Kept by kanban.comments under the board's lock, so a card's frame needs no count query.
    comment_count = models.PositiveIntegerField(default=0, editable=False)
    # Its checklists' items, and how many are done: kept by kanban.checklists, for the card's face.
    checklist_items = models.PositiveIntegerField(default=0, editable=False)
    checklist_done = models.PositiveIntegerField(default=0, editable=False)
    # Its attachments not removed, kept by kanban.attachments; `cover` is one of its images, shown on its face.
    attachment_count = models.PositiveIntegerField(default=0, editable=False)
    cover = models.ForeignKey("Attachment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Archived: off its column, kept for the archive view to restore or delete.
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    position = models.BigIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lock_connection = models.CharField(max_length=32, blank=True)
    lock_expires_at = models.DateTimeField(null=True, blank=True)
    lock_reason = models.CharField(max_length=10, choices=[("drag", "dragging"), ("edit", "editing")], blank=True)
    # The key a client gave `card.create`, so creating again after a lost ack returns the same card.
    client_key = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["column", "position", "id"]
        indexes = [models.Index(fields=["column", "position"])]
        constraints = [
            models.UniqueConstraint(
                fields=["board", "client_key"], condition=~models.Q(client_key=""), name="kanban_card_unique_client_key"
            )
        ]

    def __str__(self):
        return self.title

    def lock_holder(self, *, now=None):
        """The connection id holding an unexpired lock, or None."""
        return lock_holder(self.lock_connection, self.lock_expires_at, now=now)


class Comment(models.Model):
    """
    A remark on a card, in Markdown rendered and sanitised as descriptions
    are (kanban.descriptions). Only its author edits it; `version` grows with
    each edit, so an edit or undo made to text the author has not seen is
    refused. `mentions` are the board members its `@username`s name.
    """

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="comments")
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="kanban_comments"
    )
    body = models.TextField(max_length=COMMENT_MAX_LENGTH)
    # Sanitised HTML rendered from `body` by the service that saves it.
    body_html = models.TextField(editable=False)
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="kanban_mentions")
    version = models.PositiveIntegerField(default=1)
    # The key a client gave `comment.create`, so sending it again after a lost ack adds nothing.
    client_key = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["card", "-created_at", "-id"]
        indexes = [models.Index(fields=["card", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["board", "client_key"], condition=~models.Q(client_key=""), name="kanban_comment_unique_client_key"
            )
        ]

    def __str__(self):
        return f"Comment {self.pk} on {self.card_id}"


def attachment_path(attachment, filename):
    """Where a file is stored: under its board, in a directory of its own, so two files of one name never meet."""
    return f"kanban/{attachment.board_id}/{uuid.uuid4().hex}/{filename}"


class Attachment(models.Model):
    """
    A file on a card, stored through Django's storage API (settings.STORAGES,
    "default"). Images are decoded and encoded again by kanban.uploads, so no
    byte of the uploaded file is served back, and have a `thumbnail`.
    Removing an attachment sets `removed_at` and keeps the file, so its
    author's undo and the board's archive can bring it back; so does deleting
    its card, whose undo brings it back with them (`card` is not a database
    constraint for that reason). `manage.py purge_attachments` deletes what
    was removed long enough ago.
    """

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="attachments")
    card = models.ForeignKey(Card, on_delete=models.DO_NOTHING, db_constraint=False, related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=ATTACHMENT_NAME_MAX_LENGTH)
    content_type = models.CharField(max_length=100)
    file = models.FileField(upload_to=attachment_path, max_length=300)
    thumbnail = models.FileField(upload_to=attachment_path, max_length=300, blank=True)
    # Bytes stored for it (the file and its thumbnail): what counts against the board's quota.
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Removed because its card was deleted: its card's undo brings it back.
    removed_with_card = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["card_id", "created_at", "id"]
        indexes = [models.Index(fields=["card", "created_at"]), models.Index(fields=["board", "removed_at"])]

    def __str__(self):
        return self.name

    @property
    def is_image(self):
        return bool(self.thumbnail)


class Checklist(models.Model):
    """A titled list of items on a card; a card has several, in `position` order."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="+")
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="checklists")
    title = models.CharField(max_length=CHECKLIST_TITLE_MAX_LENGTH)
    position = models.IntegerField(default=0)

    class Meta:
        ordering = ["card", "position", "id"]

    def __str__(self):
        return self.title


class ChecklistItem(models.Model):
    """
    One thing to do on a checklist. Its items are few (at most
    kanban.checklists.MAX_ITEMS_PER_CHECKLIST), so a move renumbers them.
    `version` grows with each edit of the text: ticking it does not, so
    someone ticking an item never turns someone's edit of it into a conflict.
    """

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="+")
    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="items")
    text = models.CharField(max_length=CHECKLIST_ITEM_MAX_LENGTH)
    done = models.BooleanField(default=False)
    position = models.IntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["checklist", "position", "id"]

    def __str__(self):
        return self.text


class Notification(models.Model):
    """
    Something a person should hear of: a mention, a card assigned to them, a
    comment on a card they watch. Made by kanban.notifications in the same
    transaction as the change, and sent to their open pages once it commits.
    The card is named by id and title, not a key: a notification outlives a
    deleted card, and its link says the card is gone.
    """

    class Kind(models.TextChoices):
        MENTION = "mention"
        ASSIGNED = "assigned"
        COMMENT = "comment"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kanban_notifications")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    card_id = models.BigIntegerField()
    card_title = models.CharField(max_length=CARD_TITLE_MAX_LENGTH)
    # A deleted comment takes its notifications with it: there is nothing left to read.
    comment = models.ForeignKey("Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    excerpt = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return f"{self.kind} for {self.recipient_id} on card {self.card_id}"


class HistoryEntry(models.Model):
    """
    One change a user made to a card, column, label or comment, kept so that user can
    undo and redo it through the server. `before` and `after` hold the
    subject's state around the change. Cards and comments carry a version, so
    `version_after` (the version once the change or its undo was
    applied) detects a card changed since by someone else; columns and labels
    have none, so their current state is compared with `after` (or `before`).
    """

    class Subject(models.TextChoices):
        CARD = "card"
        COLUMN = "column"
        LABEL = "label"
        COMMENT = "comment"
        CHECKLIST = "checklist"
        ITEM = "item"
        ATTACHMENT = "attachment"
        LANE = "lane"

    class Action(models.TextChoices):
        CREATE = "create"
        UPDATE = "update"
        MOVE = "move"
        DELETE = "delete"
        CHECK = "check"
        CONVERT = "convert"
        ARCHIVE = "archive"
        RESTORE = "restore"
        TRANSFER = "transfer"
        COVER = "cover"

    class State(models.TextChoices):
        DONE = "done"
        UNDONE = "undone"

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="history")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=10, choices=Subject.choices, default=Subject.CARD)
    # The id of the card, column or label (it may not exist any more).
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=10, choices=Action.choices)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    version_after = models.PositiveIntegerField(null=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DONE)
    undone_at = models.DateTimeField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "history entries"
        indexes = [models.Index(fields=["board", "user", "state"])]

    def __str__(self):
        return f"{self.action} {self.subject} {self.object_id} ({self.state})"
