"""
The board as an SVG drawing, as it is now or as it was at any seq.

What a seq shows never changes, so an export is made once per seq: a short
consistent read fixes the seq and which strokes it shows (`plan_export`),
then the strokes are read a batch at a time, drawn by whiteboard.geometry
and written straight into gzip (`gzipped_svg`), and the response streams
the gzip as it is written. The finished gzip is kept in the "exports" cache
under the board, the seq and EXPORT_VERSION, so asking again for the same
picture costs one cache read, and an ETag lets the browser ask only whether
it changed. Nothing holds the whole drawing uncompressed.
"""

import base64
import json
import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.cache import caches
from django.utils.html import escape

from boardsite.collab.selectors import consistent_read
from whiteboard import replay, stored_visibility
from whiteboard.geometry import (
    SVG_DRAWING_GROUP, DrawnStroke, attached_ends, element_extent, end_targets, svg_drawing, whole_pixels,
)
from whiteboard.models import Image, Stroke, Tool
from whiteboard.points import COORDINATE_SCALE, NO_PRESSURE, PRESSURE_SCALE, packed, unpacked_channels_many
from whiteboard.protocol import BOARD_HEIGHT, BOARD_WIDTH

EXPORT_VERSION = 3  # raise when the drawing changes, so exports cached before are not served
STROKES_PER_BATCH = 1000
# gzip level, measured on the benchmark's board of 10,000 strokes (2.8 MB of
# SVG): level 4 makes 780 KB in 52 ms, level 6 675 KB in 190 ms. An export
# is made once per seq and then served from the cache: the first person to
# ask waits for the level, everyone after downloads it.
GZIP_LEVEL = 4
CACHE_ALIAS = "exports"
CACHE_SECONDS = 24 * 3600
CACHE_MAX_BYTES = 8 * 1024 * 1024  # a larger export is made again when asked for


@dataclass(frozen=True)
class ExportPlan:
    """What an export at `seq` draws: its strokes' primary keys in drawing order."""

    board_id: int
    board_slug: str
    board_name: str
    seq: int
    stroke_pks: list
    held_chunks: dict = field(default_factory=dict)  # pk -> chunks stored by `seq`, for strokes drawn on after it
    frame: tuple = (0, 0, BOARD_WIDTH, BOARD_HEIGHT)  # left, top, width, height in board pixels
    offsets: dict = field(default_factory=dict)  # pk -> (dx, dy) of the strokes moved since they were drawn
    rewritten: dict = field(default_factory=dict)  # pk -> {color, props, points} of elements rewritten after `seq`
    attached: dict = field(default_factory=dict)  # pk -> {end index: (x, y)} of lines' and arrows' attached ends

    @property
    def etag(self):
        return export_etag(slug=self.board_slug, name=self.board_name, seq=self.seq)


def export_etag(*, slug, name, seq):
    """
    What names one export: the board (its slug, random, so never another
    board's, even one with the same primary key in another test database),
    its name (in the title), the seq and EXPORT_VERSION. The cache key too.
    """
    return f'"{slug}-{seq}-{EXPORT_VERSION}-{zlib.crc32(name.encode()):08x}"'


FRAME_MARGIN = 24  # board pixels around a drawing that goes past the first sheet

# What planning reads of each stroke: never its points (a rewritten one's come from states_at).
PLAN_FIELDS = (
    "pk", "client_id", "chunk_seqs", "tool", "props__z", "props__start", "props__end", "created_seq",
    "min_x", "min_y", "max_x", "max_y", "width", "offset_x", "offset_y",
)


def drawing_frame(extents, *, sheet=True):
    """
    (left, top, width, height) in board pixels: the first sheet, where every
    board drawn before the canvas grew lies, so that their exports stay as
    they were, grown to hold every element of `extents` ((min_x, min_y,
    max_x, max_y, width) in board fractions) with a margin. Without `sheet`,
    just the elements with their margin (the sheet if there are none).
    """
    left, top, right, bottom = (0, 0, BOARD_WIDTH, BOARD_HEIGHT) if sheet else (math.inf, math.inf, -math.inf, -math.inf)
    for min_x, min_y, max_x, max_y, width in extents:
        if min_x is None:
            continue
        reach = width / 2 + FRAME_MARGIN
        left = min(left, math.floor(min_x * BOARD_WIDTH - reach))
        top = min(top, math.floor(min_y * BOARD_HEIGHT - reach))
        right = max(right, math.ceil(max_x * BOARD_WIDTH + reach))
        bottom = max(bottom, math.ceil(max_y * BOARD_HEIGHT + reach))
    if left == math.inf:
        return (0, 0, BOARD_WIDTH, BOARD_HEIGHT)
    return (left, top, right - left, bottom - top)


def plan_export(*, board, seq=None, element_ids=None) -> ExportPlan:
    """
    The plan of the board as it is now (`seq` None) or right after event
    `seq`; with `element_ids`, of those of its elements alone, framed by
    themselves: a selection copied out to another app.
    """
    with consistent_read():
        if seq is None:
            seq, unwritten = type(board).objects.values_list("last_seq", "unwritten_visibility").get(pk=board.pk)
            if unwritten:  # some of the rows' visibility is not written yet: the states say
                rows = Stroke.objects.filter(board=board).values_list(*PLAN_FIELDS)
                visible = set(stored_visibility.visible_ids(board=board, unwritten=unwritten))
            else:
                rows = Stroke.objects.filter(board=board, hidden=False).values_list(*PLAN_FIELDS)
                visible = None
            moved, rewritten = {}, {}
        else:
            rows = Stroke.objects.filter(board=board, created_seq__lte=seq).values_list(*PLAN_FIELDS)
            visible = set(replay.visible_stroke_ids_at(board=board, seq=seq))
            moved = replay.moved_since(board=board, seq=seq)
            rewritten = replay.states_at(board=board, seq=seq)
        if element_ids is not None:
            rows = rows.filter(client_id__in=element_ids)
        pks, held, extents, offsets, texts, keys, attachments = [], {}, [], {}, {}, {}, {}
        for (
            pk, client_id, chunk_seqs, tool, z, start, end, created_seq, min_x, min_y, max_x, max_y, width, offset_x,
            offset_y,
        ) in rows.order_by("created_seq").iterator():
            if visible is not None and client_id not in visible:
                continue
            pks.append(pk)
            later_x, later_y = moved.get(client_id, (0, 0))
            dx, dy = replay.offset(offset_x - later_x), replay.offset(offset_y - later_y)
            if dx or dy:
                offsets[pk] = (dx, dy)
            if client_id in rewritten:  # rewritten since: as it was then
                texts[pk] = rewritten[client_id][0]
                min_x, min_y, max_x, max_y = element_extent(tool, texts[pk]["points"], texts[pk]["props"])
                z, start, end = (texts[pk]["props"].get(name) for name in ("z", "start", "end"))
            if start or end:
                attachments[pk] = (start, end, width, (dx, dy), texts[pk]["points"] if pk in texts else None)
            keys[pk] = replay.draw_key(created_seq, {} if z is None else {"z": z})
            if min_x is not None:  # a stroke still being drawn at `seq` is framed whole
                extents.append((min_x + dx, min_y + dy, max_x + dx, max_y + dy, width))
            chunks = sum(1 for chunk_seq in chunk_seqs if chunk_seq <= seq)
            if chunks < len(chunk_seqs):
                held[pk] = chunk_seqs[:chunks]
        pks.sort(key=keys.__getitem__)
        attached = _attached_ends(board=board, attachments=attachments, moved=moved, rewritten=rewritten)
    extents += [(*map(min, zip(*ends.values())), *map(max, zip(*ends.values())), attachments[pk][2])
                for pk, ends in attached.items()]  # an attached end may reach past the line's own points
    frame = drawing_frame(extents, sheet=element_ids is None)
    return ExportPlan(board.pk, board.slug, board.name, seq, pks, held, frame, offsets, texts, attached)


def _attached_ends(*, board, attachments, moved, rewritten):
    """
    {pk: {end index: (x, y)}}: where the attached ends of lines and arrows
    are drawn (board fractions; geometry.attached_ends), from their elements
    as they were then (`moved` and `rewritten` as plan_export has them).
    """
    targets = {anchor["id"] for start, end, *_ in attachments.values() for anchor in (start, end) if anchor}
    if not targets:
        return {}
    elements = {}
    for client_id, tool, points_json, props, offset_x, offset_y in Stroke.objects.filter(
        board=board, client_id__in=targets
    ).values_list("client_id", "tool", "points_json", "props", "offset_x", "offset_y"):
        points = json.loads(points_json)
        if client_id in rewritten:
            points, props = rewritten[client_id][0]["points"], rewritten[client_id][0]["props"]
        later_x, later_y = moved.get(client_id, (0, 0))
        dx, dy = offset_x - later_x, offset_y - later_y
        elements[client_id] = (tool, [[x + dx, y + dy] for x, y, *_ in points], props)
    own = dict(
        Stroke.objects.filter(pk__in=[pk for pk, attachment in attachments.items() if attachment[4] is None])
        .values_list("pk", "points_json")
    )
    attached = {}
    for pk, (start, end, _, (dx, dy), points) in attachments.items():
        points = points if points is not None else json.loads(own[pk])
        ends = end_targets((start, end), elements)
        if any(ends):
            drawn = attached_ends([[x + dx, y + dy] for x, y, *_ in points[:2]], ends)
            attached[pk] = {index: drawn[index] for index, target in enumerate(ends) if target}
    return attached


def cached_export(*, etag):
    """The gzipped SVG named `etag` (export_etag) if it was made before, else None."""
    return caches[CACHE_ALIAS].get(f"whiteboard:export:{etag}")


def _drawn_strokes(plan, pks) -> list[DrawnStroke]:
    """The strokes `pks` of `plan`, as they were at its seq, ready to draw."""
    rows = {
        pk: (client_id, tool, color, width, points, props)
        for pk, client_id, tool, color, width, points, props in Stroke.objects.filter(pk__in=pks).values_list(
            "pk", "client_id", "tool", "color", "width", "points_packed", "props"
        )
    }
    pks = [pk for pk in pks if pk in rows]  # a stroke of a board deleted meanwhile is gone
    for pk in pks:
        if pk in plan.rewritten:  # an element as it was at the plan's seq
            then = plan.rewritten[pk]
            client_id, tool, _, width, _, _ = rows[pk]
            rows[pk] = (client_id, tool, then["color"], width, packed(then["points"]), then["props"])
    texts = {pk: rows[pk][4] for pk in pks}
    cut = [pk for pk in pks if pk in plan.held_chunks]
    if cut:  # strokes still being drawn at the plan's seq: the chunks stored by then, from their events
        held = replay.chunk_points(
            board=plan.board_id, chunk_seqs=[chunk_seq for pk in cut for chunk_seq in plan.held_chunks[pk]]
        )
        texts.update((pk, packed(held.get(rows[pk][0], []))) for pk in cut)
    channels = dict(zip(pks, unpacked_channels_many([texts[pk] for pk in pks])))
    pictures = image_data(board=plan.board_id, image_ids={
        rows[pk][5]["image"] for pk in pks if rows[pk][1] == Tool.IMAGE and "image" in rows[pk][5]
    })
    strokes = []
    for pk in pks:
        _, tool, color, width, _, props = rows[pk]
        xs, ys, *pressures = channels[pk]
        if not xs:
            continue
        if tool == Tool.IMAGE:
            props = {**props, "href": pictures.get(props.get("image"))}
        if pk in plan.offsets:  # moved since it was drawn: in 1/10,000 of the board, exactly
            dx, dy = (round(value * COORDINATE_SCALE) for value in plan.offsets[pk])
            xs, ys = [x + dx for x in xs], [y + dy for y in ys]
        if pk in plan.attached:  # an end attached to an element is where that element is
            xs, ys = list(xs), list(ys)
            for index, (x, y) in plan.attached[pk].items():
                xs[index], ys[index] = round(x * COORDINATE_SCALE), round(y * COORDINATE_SCALE)
        pressures = (
            [None if value == NO_PRESSURE else value / PRESSURE_SCALE for value in pressures[0]] if pressures else None
        )
        strokes.append(
            DrawnStroke(tool, color, width, _pixels(xs, _X_PIXELS), _pixels(ys, _Y_PIXELS), pressures, props)
        )
    return strokes


# Each coordinate the protocol allows (0 to 1 in steps of 1/10,000), as whole
# board pixels: looked up, a board of half a million points takes a sixth of
# the time multiplying and rounding each takes.
_X_PIXELS = whole_pixels(range(COORDINATE_SCALE + 1), BOARD_WIDTH / COORDINATE_SCALE)
_Y_PIXELS = whole_pixels(range(COORDINATE_SCALE + 1), BOARD_HEIGHT / COORDINATE_SCALE)


def _pixels(values, table):
    """Coordinates in 1/10,000 of the board as whole pixels (any outside the board worked out, not looked up)."""
    if min(values) >= 0:
        try:
            return list(map(table.__getitem__, values))
        except IndexError:
            pass
    return whole_pixels(values, table[-1] / COORDINATE_SCALE)


def image_data(*, board, image_ids):
    """{image id: data URI} of the board's images: an export holds its pictures (its CSP loads nothing)."""
    uris = {}
    for image in Image.objects.filter(board=board, pk__in=image_ids):
        try:
            with image.file.open("rb") as handle:
                uris[image.pk] = f"data:{image.content_type};base64,{base64.b64encode(handle.read()).decode()}"
        except FileNotFoundError:
            continue  # drawn as a grey box
    return uris


def svg_text(plan: ExportPlan) -> Iterator[str]:
    """The SVG document of `plan`, in pieces: one database read per batch of strokes."""
    left, top, width, height = plan.frame
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="{left} {top} {width} {height}">\n'
        f"<title>{escape(plan.board_name)}</title>\n"
        f'<rect x="{left}" y="{top}" width="{width}" height="{height}" fill="#ffffff"/>\n'
        f"<g {SVG_DRAWING_GROUP}>\n"
    )
    for start in range(0, len(plan.stroke_pks), STROKES_PER_BATCH):
        strokes = _drawn_strokes(plan, plan.stroke_pks[start : start + STROKES_PER_BATCH])
        yield "".join(svg_drawing(strokes)) + "\n"
    yield "</g>\n</svg>\n"


def gzipped_svg(plan: ExportPlan) -> Iterator[bytes]:
    """
    `svg_text(plan)` gzipped, in pieces as they are written; once the last
    is out, the whole is cached for the next request of the same seq.
    """
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    written, size = [], 0
    for text in svg_text(plan):
        piece = compressor.compress(text.encode())
        if piece:
            written.append(piece)
            size += len(piece)
            yield piece
    piece = compressor.flush()
    written.append(piece)
    size += len(piece)
    yield piece
    if size <= CACHE_MAX_BYTES:
        caches[CACHE_ALIAS].set(f"whiteboard:export:{plan.etag}", b"".join(written), CACHE_SECONDS)


def gunzipped(pieces) -> Iterator[bytes]:
    """Gzipped pieces as plain bytes, for a client that does not accept gzip."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    for piece in pieces:
        plain = decompressor.decompress(piece)
        if plain:
            yield plain
    yield decompressor.flush()


