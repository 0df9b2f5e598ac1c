"""
Files people upload, checked before anything is stored.

An image is decoded and encoded again with Pillow: what is stored and
served is the new encoding, never a byte of the uploaded file, so a file
that is an image and also a script or an HTML page (a polyglot) loses the
rest, and so does its metadata (GPS position and the like). SVG, which can
hold scripts, is not accepted as an image. Other files must start as their
kind does (a PDF with `%PDF-`, a .docx as a ZIP archive, text as UTF-8
without NUL), then are stored as they came and only ever served as
downloads (kanban.views), never shown inline.

Decoding happens before the board's lock is taken, so a big image never
holds up anyone's change.
"""

import io
import json
import mimetypes
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from boardsite.collab.errors import ActionError

# What Pillow reads and writes back as the same kind: the browser shows these.
IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
IMAGE_EXTENSIONS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF"}
THUMBNAIL_SIZE = (480, 480)
ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # and the office formats built on it
OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # the older office formats
# How files of each kind begin; a kind an operator adds to ATTACHMENT_EXTENSIONS outside these is not checked.
SIGNATURES = {
    "pdf": (b"%PDF-",), "rtf": (b"{\\rtf",), "zip": ZIP,
    "docx": ZIP, "xlsx": ZIP, "pptx": ZIP, "odt": ZIP, "ods": ZIP, "odp": ZIP,
    "doc": OLE, "xls": OLE, "ppt": OLE,
}
TEXT_EXTENSIONS = {"txt", "md", "csv", "json"}
MAX_GIF_FRAMES = 300


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that may be stored: its clean name, what to store, and for an image its thumbnail."""

    name: str
    content_type: str
    content: bytes
    thumbnail: bytes = b""
    width: int | None = None
    height: int | None = None

    @property
    def stored_size(self):
        return len(self.content) + len(self.thumbnail)


def clean_file_name(name, *, max_length):
    """
    The name a file is stored and downloaded under: its last path component,
    without control characters or characters file systems refuse, at most
    `max_length` characters with its extension kept.
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = PurePosixPath(name.replace("\\", "/")).name
    name = "".join(
        "_" if char in '<>:"/\\|?*' or unicodedata.category(char)[0] in "CZ" and char != " " else char
        for char in name
    ).strip(" .")
    if not name:
        raise ActionError("invalid_field", "The file has no name.", field="file")
    stem, dot, extension = name.rpartition(".")
    if len(name) > max_length:
        keep = max_length - len(extension) - 1
        name = f"{stem[:keep]}.{extension}" if dot and keep > 0 else name[:max_length]
    return name


def extension_of(name):
    return name.rpartition(".")[2].lower() if "." in name else ""


def check_upload(upload, *, allowed_extensions, max_bytes, name_max_length):
    """
    A CheckedUpload of `upload` (a Django UploadedFile), or an ActionError
    saying what is wrong: too big, a kind not allowed, or an image that does
    not decode.
    """
    if upload is None:
        raise ActionError("invalid_field", "Choose a file to upload.", field="file")
    name = clean_file_name(upload.name, max_length=name_max_length)
    if upload.size > max_bytes:
        raise ActionError("too_large", f"“{name}” is {human_size(upload.size)}; files may be at most {human_size(max_bytes)}.",
                          limit=max_bytes)
    if upload.size == 0:
        raise ActionError("invalid_field", f"“{name}” is empty.", field="file")
    extension = extension_of(name)
    if extension == "svg":
        raise ActionError("file_type", "SVG files are not accepted, as they can hold scripts: export the drawing as PNG.")
    if extension not in allowed_extensions:
        kinds = ", ".join(sorted(allowed_extensions))
        raise ActionError("file_type", f"Files of this kind are not accepted here. Accepted: {kinds}.")
    content = upload.read()
    if extension in IMAGE_EXTENSIONS:
        return encode_image(content, name=name)
    check_content(content, name=name, extension=extension)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return CheckedUpload(name=name, content_type=content_type, content=content)


def check_content(content, *, name, extension):
    """Refuse a file whose bytes are not of the kind its name says (an HTML page named report.pdf)."""
    mismatch = ActionError("file_type", f"“{name}” is not a .{extension} file: its content does not match its name.")
    if extension in SIGNATURES and not content.startswith(SIGNATURES[extension]):
        raise mismatch
    if extension in TEXT_EXTENSIONS:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise mismatch from None
        if "\x00" in text:
            raise mismatch
        if extension == "json":
            try:
                json.loads(text)
            except ValueError:
                raise mismatch from None


def encode_image(content, *, name):
    """Decode an image and encode it again (orientation applied, metadata dropped), with its thumbnail."""
    refusal = ActionError("invalid_image", f"“{name}” is not an image this site can read (PNG, JPEG, WebP or GIF).")
    try:
        image = Image.open(io.BytesIO(content), formats=list(IMAGE_FORMATS))
        width, height = image.size
        if width * height > settings.UPLOAD_MAX_IMAGE_PIXELS:
            raise ActionError("too_large", f"“{name}” is {width:,}×{height:,} pixels; images may have at most "
                                           f"{settings.UPLOAD_MAX_IMAGE_PIXELS:,} pixels.")
        kind = image.format
        animated = kind == "GIF" and getattr(image, "n_frames", 1) > 1
        if animated:
            encoded = encode_gif(image, name=name)
            first = image.copy()
        else:
            image.load()
            first = ImageOps.exif_transpose(image)
            encoded = save(first, kind)
        thumbnail = first.copy()
        thumbnail.thumbnail(THUMBNAIL_SIZE)
        thumbnail_bytes = save(thumbnail, "WEBP")
    except ActionError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError, EOFError) as error:
        raise refusal from error
    stem = name.rpartition(".")[0] or name
    extension = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}[kind]
    return CheckedUpload(name=f"{stem}.{extension}", content_type=IMAGE_FORMATS[kind], content=encoded,
                         thumbnail=thumbnail_bytes, width=first.width, height=first.height)


def encode_gif(image, *, name):
    if image.n_frames > MAX_GIF_FRAMES:
        raise ActionError("too_large", f"“{name}” has {image.n_frames:,} frames; animations may have at most {MAX_GIF_FRAMES}.")
    frames, durations = [], []
    for index in range(image.n_frames):
        image.seek(index)
        frames.append(image.convert("RGBA"))
        durations.append(image.info.get("duration", 100))
    output = io.BytesIO()
    frames[0].save(output, "GIF", save_all=True, append_images=frames[1:], duration=durations,
                   loop=image.info.get("loop", 0), disposal=2)
    return output.getvalue()


def save(image, kind):
    if kind == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif kind in ("PNG", "WEBP", "GIF") and image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    output = io.BytesIO()
    options = {"JPEG": {"quality": 90}, "WEBP": {"quality": 85}}.get(kind, {})
    image.save(output, kind, **options)
    return output.getvalue()


def check_quota(*, used, adding, what, advice=""):
    """
    Refuse storing `adding` more bytes on a board whose `what` ("files",
    "pictures") take `used` already, past BOARD_STORAGE_QUOTA_BYTES; `advice`
    says how to make room.
    """
    quota = settings.BOARD_STORAGE_QUOTA_BYTES
    if used + adding > quota:
        raise ActionError(
            "quota",
            f"This board’s {what} take {human_size(used)} of its {human_size(quota)}; "
            f"this one needs {human_size(adding)} more." + (f" {advice}" if advice else ""),
            used=used, quota=quota,
        )


def human_size(size):
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:.1f} {unit}".replace(".0 ", " ")
        size /= 1024
