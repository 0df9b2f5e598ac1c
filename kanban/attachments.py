"""
Files attached to cards.

An upload is checked, and an image encoded again with its thumbnail
(boardsite.uploads), before the board's lock is taken; its files are then
stored through Django's storage API and the attachment recorded under the
lock, with the board's quota checked there, so two uploads at once cannot
both pass it. A transaction that fails deletes the files it stored: nothing
half-written stays behind.

Removing an attachment keeps its files (`removed_at`): its author's undo
and the board's archive bring it back; deleting it for good from the
archive frees its space at once. A card's first image becomes its cover.
Attachments do not change their card's `version`, as comments do not.
"""

from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from boardsite import uploads
from boardsite.collab.errors import ActionError
from boardsite.collab.events import Applied, record_event
from kanban.frames import attachment_frame
from kanban.models import ATTACHMENT_NAME_MAX_LENGTH, Attachment, Card, HistoryEntry
from kanban.services import ATTACHMENT, CARD, get_card, lock_board, remember

MAX_ATTACHMENTS_PER_CARD = 100

Action = HistoryEntry.Action


def check_upload(upload):
    """The upload as it would be stored (boardsite.uploads.CheckedUpload), or an ActionError for the person."""
    return uploads.check_upload(
        upload,
        allowed_extensions={extension.lower().lstrip(".") for extension in settings.ATTACHMENT_EXTENSIONS},
        max_bytes=settings.UPLOAD_MAX_BYTES,
        name_max_length=ATTACHMENT_NAME_MAX_LENGTH,
    )


def storage_used(*, board):
    """Bytes the board's files take, removed ones included until they are deleted for good or purged."""
    return Attachment.objects.filter(board=board).aggregate(total=Sum("size"))["total"] or 0


def check_quota(*, board, adding):
    uploads.check_quota(
        used=storage_used(board=board), adding=adding, what="files",
        advice="Delete files for good in the board’s archive to make room.",
    )


def attachment_create(*, board, card_id, upload, actor, origin=None):
    """
    Attach a checked upload (`check_upload`) to a card. Its files are stored
    first; the transaction that records it deletes them if it fails.
    """
    attachment = Attachment(
        board=board, card_id=card_id, uploaded_by=actor, name=upload.name, content_type=upload.content_type,
        size=upload.stored_size, width=upload.width, height=upload.height,
    )
    attachment.file.save(upload.name, ContentFile(upload.content), save=False)
    if upload.thumbnail:
        attachment.thumbnail.save("thumbnail.webp", ContentFile(upload.thumbnail), save=False)
    try:
        with transaction.atomic():
            lock_board(board, actor=actor, origin=origin)
            card = get_card(board=board, card_id=card_id)
            if card.attachment_count >= MAX_ATTACHMENTS_PER_CARD:
                raise ActionError("too_many", f"A card holds at most {MAX_ATTACHMENTS_PER_CARD} attachments.",
                                  card=card.pk)
            check_quota(board=board, adding=attachment.size)
            attachment.save()
            counts_changed(card, by=+1, cover=attachment if attachment.is_image and card.cover_id is None else None)
            remember(board=board, actor=actor, subject=ATTACHMENT, object_id=attachment.pk, action=Action.CREATE,
                     before=None, after={"card": card.pk, "cover": card.cover_id == attachment.pk})
            return Applied.recorded(record_event(
                board=board, type="attachment.created", payload=payload(card, attachment=attachment_frame(attachment)),
                actor=actor, origin=origin,
            ))
    except BaseException:
        delete_files(attachment)
        raise


def payload(card, **fields):
    """What every attachment event says of its card: how many attachments it has, its cover, its title."""
    return {**fields, "card": card.pk, "attachments": card.attachment_count, "cover": card.cover_id,
            "title": card.title}


def counts_changed(card, *, by, cover=None):
    """Count an attachment added (+1) or taken off (-1); `cover`: an image that becomes the card's cover."""
    card.attachment_count += by
    fields = {"attachment_count": card.attachment_count}
    if cover is not None:
        card.cover = cover
        fields["cover"] = cover
    Card.objects.filter(pk=card.pk).update(**fields)


def get_attachment(*, board, attachment_id, removed=False):
    """An attachment of the board's: on a card (or, `removed`, in the archive)."""
    attachment = Attachment.objects.filter(board=board, pk=attachment_id, removed_at__isnull=not removed).first()
    if attachment is None:
        raise ActionError(
            "not_found",
            "That file is not in the board’s archive." if removed
            else "That file is not on the card any more (it may have been removed).",
            attachment=attachment_id,
        )
    return attachment


def check_may_remove(*, attachment, board, actor):
    """Who uploaded a file removes it; so does the board's owner, and those allowed to in the admin."""
    if actor is not None and (attachment.uploaded_by_id == actor.pk or board.owner_id == actor.pk
                              or actor.has_perm("kanban.delete_attachment")):
        return
    raise ActionError("forbidden", "Only who uploaded a file, or the board’s owner, can remove it.",
                      attachment=attachment.pk)


def attachment_remove(*, board, attachment_id, actor, connection=None, origin=None):
    """Take a file off its card into the board's archive (kept, so undo and the archive can bring it back)."""
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        attachment = get_attachment(board=board, attachment_id=attachment_id)
        check_may_remove(attachment=attachment, board=board, actor=actor)
        card = get_card(board=board, card_id=attachment.card_id, include_archived=True)
        was_cover = card.cover_id == attachment.pk
        event = remove(board=board, card=card, attachment=attachment, actor=actor, origin=origin)
        remember(board=board, actor=actor, subject=ATTACHMENT, object_id=attachment.pk, action=Action.DELETE,
                 before={"card": card.pk, "cover": was_cover}, after=None)
        return Applied.recorded(event)


def remove(*, board, card, attachment, actor, origin):
    attachment.removed_at = timezone.now()
    attachment.save(update_fields=["removed_at"])
    if card.cover_id == attachment.pk:
        card.cover = None
        Card.objects.filter(pk=card.pk).update(cover=None)
    counts_changed(card, by=-1)
    return record_event(board=board, type="attachment.removed", payload=payload(card, attachment=attachment.pk, name=attachment.name),
                        actor=actor, origin=origin)


def attachment_restore(*, board, attachment_id, actor, connection=None, origin=None):
    """Put a removed file back on its card (from the board's archive)."""
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        attachment = get_attachment(board=board, attachment_id=attachment_id, removed=True)
        card = get_card(board=board, card_id=attachment.card_id, include_archived=True)
        event = restore(board=board, card=card, attachment=attachment, cover=False, actor=actor, origin=origin)
        remember(board=board, actor=actor, subject=ATTACHMENT, object_id=attachment.pk, action=Action.RESTORE,
                 before=None, after={"card": card.pk, "cover": False})
        return Applied.recorded(event)


def restore(*, board, card, attachment, cover, actor, origin):
    if card.attachment_count >= MAX_ATTACHMENTS_PER_CARD:
        raise ActionError("too_many", f"A card holds at most {MAX_ATTACHMENTS_PER_CARD} attachments.", card=card.pk)
    attachment.removed_at = None
    attachment.save(update_fields=["removed_at"])
    counts_changed(card, by=+1, cover=attachment if cover and attachment.is_image else None)
    return record_event(board=board, type="attachment.restored",
                        payload=payload(card, attachment=attachment_frame(attachment)), actor=actor, origin=origin)


def attachment_delete(*, board, attachment_id, actor, connection=None, origin=None):
    """
    Delete a removed file for good, from the board's archive, freeing its
    space: its files are deleted once the transaction commits. Not undoable.
    """
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        attachment = get_attachment(board=board, attachment_id=attachment_id, removed=True)
        check_may_remove(attachment=attachment, board=board, actor=actor)
        title = Card.objects.filter(pk=attachment.card_id).values_list("title", flat=True).first() or "a deleted card"
        attachment.delete()  # its files go once this commits (kanban.apps)
        return Applied.recorded(record_event(
            board=board, type="attachment.deleted",
            payload={"attachment": attachment_id, "card": attachment.card_id, "name": attachment.name, "title": title},
            actor=actor, origin=origin,
        ))


def delete_files(attachment):
    """
    Delete an attachment's stored files (those of a row that is gone, or was
    never saved), unless another attachment holds them too (a copied card's).
    """
    for field in (attachment.file, attachment.thumbnail):
        if field and not Attachment.objects.filter(Q(file=field.name) | Q(thumbnail=field.name)).exists():
            field.storage.delete(field.name)


def card_cover(*, board, card_id, attachment_id, actor, connection=None, origin=None):
    """
    Make one of the card's images its cover, or (None) show none. Like a
    file, a cover does not change the card's `version`: someone editing the
    card is not put in conflict by it.
    """
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        card = get_card(board=board, card_id=card_id)
        before, after = card.cover_id, clean_cover(card=card, attachment_id=attachment_id)
        set_cover(card, after)
        remember(board=board, actor=actor, subject=CARD, object_id=card.pk, action=Action.COVER,
                 before={"cover": before}, after={"cover": after})
        return Applied.recorded(cover_event(board=board, card=card, actor=actor, origin=origin))


def clean_cover(*, card, attachment_id):
    """A card's cover: None, or one of the images on it."""
    if attachment_id is None:
        return None
    image = Attachment.objects.filter(card=card, pk=attachment_id, removed_at=None).first()
    if image is None:
        raise ActionError("not_found", "That image is not on the card any more.", attachment=attachment_id)
    if not image.is_image:
        raise ActionError("invalid_field", f"“{image.name}” is not an image: only an image can be a cover.",
                          attachment=attachment_id)
    return image.pk


def set_cover(card, attachment_id):
    card.cover_id = attachment_id
    Card.objects.filter(pk=card.pk).update(cover=attachment_id)


def cover_event(*, board, card, actor, origin):
    return record_event(board=board, type="card.cover", payload=payload(card), actor=actor, origin=origin)


def apply_cover_history(*, board, entry, actor, connection, origin, undo):
    """A cover change undone (or redone), if the card's cover is still as the change left it."""
    card = get_card(board=board, card_id=entry.object_id)
    left, wanted = (entry.after, entry.before) if undo else (entry.before, entry.after)
    if card.cover_id != left["cover"]:
        raise ActionError("conflict", "The card’s cover was changed by someone else since.", card=card.pk)
    set_cover(card, clean_cover(card=card, attachment_id=wanted["cover"]))
    return cover_event(board=board, card=card, actor=actor, origin=origin).payload


def apply_attachment_history(*, board, entry, actor, connection, origin, undo):
    """
    Adding or restoring a file is undone by removing it, a removal by
    restoring it (as the cover if it was); each only if nobody removed,
    restored or deleted it meanwhile.
    """
    showing = entry.action in (Action.CREATE, Action.RESTORE)
    bring_back = showing != undo
    attachment = get_attachment(board=board, attachment_id=entry.object_id, removed=bring_back)
    card = get_card(board=board, card_id=attachment.card_id, include_archived=True)
    if bring_back:
        state = entry.after if showing else entry.before
        return restore(board=board, card=card, attachment=attachment, cover=state["cover"] and card.cover_id is None,
                       actor=actor, origin=origin).payload
    return remove(board=board, card=card, attachment=attachment, actor=actor, origin=origin).payload


def cards_back(*, states):
    """
    Cards brought back by an undo ({card id: its state}): their files are
    theirs again, counted, and the cover they had is their cover again.
    """
    card_ids = list(states)
    Attachment.objects.filter(card_id__in=card_ids, removed_with_card=True).update(removed_at=None,
                                                                                   removed_with_card=False)
    alive = Attachment.objects.filter(card=OuterRef("pk"), removed_at=None).order_by().values("card")
    Card.objects.filter(pk__in=card_ids).update(
        attachment_count=Coalesce(Subquery(alive.annotate(n=Count("pk")).values("n")), Value(0)))
    covers = {state.get("cover") for state in states.values()} - {None}
    images = set(Attachment.objects.filter(pk__in=covers, card_id__in=card_ids, removed_at=None)
                 .exclude(thumbnail="").values_list("pk", flat=True))
    for card_id, state in states.items():
        if state.get("cover") in images:
            Card.objects.filter(pk=card_id).update(cover=state["cover"])


def copy_files(*, card, to_card, to_board, actor):
    """
    Give a copy of a card the files on it, within `to_board`'s quota: new
    attachments that hold the same stored files (a file is deleted from
    storage with the last attachment that holds it), its cover the copy of
    the card's; each recorded on `to_board` as attached. Returns how many
    were copied.
    """
    files = list(Attachment.objects.filter(card=card, removed_at=None).order_by("created_at", "id"))
    if not files:
        return 0
    check_quota(board=to_board, adding=sum(attachment.size for attachment in files))
    now = timezone.now()
    copies = Attachment.objects.bulk_create(
        Attachment(board=to_board, card=to_card, uploaded_by_id=attachment.uploaded_by_id, name=attachment.name,
                   content_type=attachment.content_type, file=attachment.file.name, thumbnail=attachment.thumbnail.name,
                   size=attachment.size, width=attachment.width, height=attachment.height, created_at=now)
        for attachment in files
    )
    cover = next((copy for original, copy in zip(files, copies) if original.pk == card.cover_id), None)
    to_card.attachment_count, to_card.cover = len(copies), cover
    Card.objects.filter(pk=to_card.pk).update(attachment_count=len(copies), cover=cover)
    for copy in copies:
        record_event(board=to_board, type="attachment.created", payload=payload(to_card, attachment=attachment_frame(copy)),
                     actor=actor)
    return len(copies)


def carry(*, card_id, to_card_id, to_board):
    """
    Give a card's files (removed ones too) to another card, on `to_board`
    (a card moved to another board, or back): within that board's quota.
    Counts and cover are set by `cards_back` once the card exists there.
    """
    files = Attachment.objects.filter(card_id=card_id)
    moving = files.exclude(board=to_board).aggregate(total=Sum("size"))["total"] or 0
    if moving:
        check_quota(board=to_board, adding=moving)
    files.update(card_id=to_card_id, board=to_board)


def purge(*, now=None):
    """
    Delete for good the files removed longer than ATTACHMENT_RETENTION_DAYS
    ago, and start that time for the files of deleted cards (their undo may
    still bring them back until then). Returns how many were deleted.
    """
    now = now or timezone.now()
    existing_cards = Card.objects.values("pk")
    Attachment.objects.filter(removed_at=None).exclude(card_id__in=existing_cards).update(
        removed_at=now, removed_with_card=True)
    expired = Attachment.objects.filter(removed_at__lt=now - timedelta(days=settings.ATTACHMENT_RETENTION_DAYS))
    count = 0
    for attachment in expired.iterator():
        attachment.delete()  # its files go once this commits (kanban.apps)
        count += 1
    return count
