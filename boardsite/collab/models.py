"""Abstract models that each app's concrete Board and BoardEvent extend."""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

BOARD_NAME_MAX_LENGTH = 80
SLUG_SUFFIX_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def make_board_slug(name):
    """A readable, hard to guess slug: `team-plans-7kq2mx9d`."""
    suffix = "".join(secrets.choice(SLUG_SUFFIX_ALPHABET) for _ in range(8))
    stem = slugify(name)[:48].strip("-")
    return f"{stem}-{suffix}" if stem else suffix


class Board(models.Model):
    """
    A shared board. `last_seq` is the seq of the newest event: the database
    allocates it under the board's row lock, so it stays gapless across
    server processes.
    """

    name = models.CharField(max_length=BOARD_NAME_MAX_LENGTH)
    slug = models.SlugField(max_length=64, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="%(app_label)s_owned_boards"
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="%(app_label)s_boards")
    shared_with_all = models.BooleanField(
        default=False, help_text="Every logged-in user can open and edit this board."
    )
    last_seq = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_activity_at = models.DateTimeField(default=timezone.now, editable=False)

    list_url_name = None  # set by each app, e.g. "whiteboard:list"
    detail_url_name = None

    class Meta:
        abstract = True
        ordering = ["-last_activity_at"]

    def __str__(self):
        return self.name

    @classmethod
    def get_list_url(cls):
        return reverse(cls.list_url_name)

    def get_absolute_url(self):
        return reverse(self.detail_url_name, kwargs={"slug": self.slug})

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = make_board_slug(self.name)
        super().save(*args, **kwargs)

    def is_owner(self, user):
        return user.is_authenticated and user.pk == self.owner_id


class BoardEvent(models.Model):
    """
    One stored change. `payload` is the event exactly as it was broadcast
    (including `type` and `seq`), so catching up replays the same frames.
    Concrete subclasses add `board = ForeignKey(<Board>, related_name="events")`
    and a unique constraint on (board, seq).
    """

    seq = models.PositiveBigIntegerField()
    type = models.CharField(max_length=40)
    payload = models.JSONField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["seq"]

    def __str__(self):
        return f"#{self.seq} {self.type}"
