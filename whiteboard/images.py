"""
Pictures on whiteboards: uploading one (checked and encoded again by
boardsite.uploads, counted against the board's quota), and placing it as an
`image` element, which then has every guarantee of any other element
(whiteboard.services: undo, erase, move, restore, the exports).

Uploading is not a change of the drawing, so it records no event: only
placing the image does. An image's file goes with its row (whiteboard.apps).
"""

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum

from boardsite import uploads
from boardsite.collab.errors import ActionError
from whiteboard.models import IMAGE_NAME_MAX_LENGTH, Image, Tool
from whiteboard.services import element_add, lock_board


def check_upload(upload):
    """The upload as it would be stored (boardsite.uploads.CheckedUpload): images only, or an ActionError."""
    return uploads.check_upload(
        upload,
        allowed_extensions=set(uploads.IMAGE_EXTENSIONS),
        max_bytes=settings.UPLOAD_MAX_BYTES,
        name_max_length=IMAGE_NAME_MAX_LENGTH,
    )


def storage_used(*, board):
    return Image.objects.filter(board=board).aggregate(total=Sum("size"))["total"] or 0


def check_quota(*, board, adding):
    uploads.check_quota(used=storage_used(board=board), adding=adding, what="pictures")


def image_upload(*, board, upload, actor):
    """
    Store a checked upload (`check_upload`) as one of the board's images. Its
    file is stored first; the transaction that records it deletes it if it fails.
    """
    image = Image(
        board=board, uploaded_by=actor, name=upload.name, content_type=upload.content_type, size=len(upload.content),
        width=upload.width, height=upload.height,
    )
    image.file.save(upload.name, ContentFile(upload.content), save=False)
    try:
        with transaction.atomic():
            lock_board(board, actor=actor)
            check_quota(board=board, adding=image.size)
            image.save()
    except BaseException:
        image.file.delete(save=False)
        raise
    return image


def image_frame(image):
    return {"image": image.pk, "name": image.name, "width": image.width, "height": image.height}


def image_add(*, board, actor, stroke_id, image_id, points, angle=0, origin=None):
    """
    Place one of the board's images in the box `points` (two corners), turned
    by `angle` about its centre; re-sending it changes nothing.
    """
    if not Image.objects.filter(board=board, pk=image_id).exists():
        raise ActionError("unknown_image", "That picture is not one of this board’s: upload it first.", image=image_id)
    props = {"image": image_id, **({"angle": angle} if angle else {})}
    return element_add(
        board=board, actor=actor, stroke_id=stroke_id, tool=Tool.IMAGE, color="#000000", width=0, points=points,
        props=props, event_type="image", payload={"kind": Tool.IMAGE, "color": "#000000", "points": points, **props},
        origin=origin,
    )


def delete_file(image):
    """Remove an image's file from storage (once its row is gone)."""
    if image.file:
        image.file.delete(save=False)
