import gzip
import math
import re

from asgiref.sync import sync_to_async
from django.conf import settings

from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.gzip import gzip_page

from boardsite.collab import views as collab_views
from boardsite.collab.errors import ActionError
from boardsite.collab.selectors import board_members
from boardsite.throttling import attempt_wait
from whiteboard import exports, images, protocol, selectors, services
from whiteboard.models import Board, Image


class BoardListView(collab_views.BoardListView):
    board_model = Board
    template_name = "whiteboard/board_list.html"


class BoardCreateView(collab_views.BoardCreateView):
    board_model = Board

    def create_board(self, *, name, owner):
        return services.board_create(name=name, owner=owner)


PALETTE = [
    ("#1b1e2b", "Ink"),
    ("#e03131", "Red"),
    ("#f08c00", "Orange"),
    ("#fcc419", "Yellow"),
    ("#2f9e44", "Green"),
    ("#1971c2", "Blue"),
    ("#7048e8", "Violet"),
]
WIDTHS = [(3, "Fine"), (6, "Medium"), (12, "Bold"), (24, "Thick"), (48, "Marker")]
TEXT_SIZES = [(16, "S", "Small"), (24, "M", "Medium"), (36, "L", "Large"), (64, "XL", "Huge")]


class BoardDetailView(collab_views.BoardAccessMixin, View):
    board_model = Board

    def get(self, request, slug):
        board = self.get_board()
        client_config = {
            "slug": board.slug,
            "me": request.user.get_username(),
            "socketPath": f"/ws/whiteboard/{board.slug}/",
            "snapshotUrl": reverse("whiteboard:snapshot", kwargs={"slug": board.slug}),
            "historyUrl": reverse("whiteboard:history", kwargs={"slug": board.slug}),
            "exportSvgUrl": reverse("whiteboard:export-svg", kwargs={"slug": board.slug}),
            "imagesUrl": reverse("whiteboard:images", kwargs={"slug": board.slug}),
            "imageUrl": reverse("whiteboard:image", kwargs={"slug": board.slug, "image_id": 0}).replace("/0/", "/{id}/"),
            "maxUploadBytes": settings.UPLOAD_MAX_BYTES,
            "boardWidth": protocol.BOARD_WIDTH,
            "boardHeight": protocol.BOARD_HEIGHT,
            "maxPointsPerMessage": protocol.MAX_POINTS_PER_MESSAGE,
            "maxEraseIds": protocol.MAX_ERASE_IDS,
        }
        return render(
            request,
            "whiteboard/board.html",
            {
                "board": board,
                "members": board_members(board=board),
                "is_owner": board.is_owner(request.user),
                "client_config": client_config,
                "palette": PALETTE,
                "widths": WIDTHS,
                "text_sizes": TEXT_SIZES,
            },
        )


# gzip level of the snapshot, chosen by measuring the benchmark's board of
# 10,000 strokes (docs/performance.md, late join): level 1 makes 640 KB of it
# in 17 ms, level 6 611 KB in 80 ms. The snapshot is made anew for every
# client, so the 63 ms matter more than the 29 KB.
SNAPSHOT_GZIP_LEVEL = 1
ACCEPTS_GZIP = re.compile(r"\bgzip\b")


@method_decorator(never_cache, name="get")
class BoardSnapshotView(collab_views.BoardAccessMixin, View):
    """The board's strokes and their seq as compact JSON, gzipped for clients that accept it."""

    board_model = Board

    def get(self, request, slug):
        board = self.get_board()
        body = selectors.board_snapshot_json(board=board).encode()
        if not ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")):
            response = HttpResponse(body, content_type="application/json")
        else:
            response = HttpResponse(gzip.compress(body, SNAPSHOT_GZIP_LEVEL, mtime=0), content_type="application/json")
            response["Content-Encoding"] = "gzip"
        patch_vary_headers(response, ["Accept-Encoding"])
        return response


async def streamed(pieces):
    """Serve a sync iterator that reads the database a piece at a time, each read in the request's thread."""
    next_piece = sync_to_async(next)
    while (piece := await next_piece(pieces, None)) is not None:
        yield piece


def seq_parameter(request, name, *, board, default):
    """
    A seq from the query string: a whole number from 0 to the board's latest
    seq, or `default` when absent. Raises ActionError with a message for people.
    """
    seq = collab_views.whole_number_parameter(
        request, name, minimum=0, maximum=board.last_seq,
        refusal=ActionError(
            "out_of_range", f"`{name}` must be a whole number from 0 to {board.last_seq}, the board's latest seq."
        ),
    )
    return default if seq is None else seq


def too_many_exports(wait):
    response = HttpResponse(
        f"Too many drawings exported in a minute: try again in {math.ceil(wait)} seconds.",
        status=429, content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(math.ceil(wait))
    return response


class BoardExportSvgView(collab_views.BoardAccessMixin, View):
    """
    The board as an SVG drawing: as it is now, or with `?seq=N` as it was
    right after event N. Made once per seq and cached (whiteboard.exports);
    the ETag names the seq, so a browser that has it gets a 304.
    """

    board_model = Board

    def get(self, request, slug):
        board = self.get_board()
        try:
            seq = seq_parameter(request, "seq", board=board, default=None)
        except ActionError as error:
            return HttpResponseBadRequest(error.message, content_type="text/plain; charset=utf-8")
        etag = exports.export_etag(slug=board.slug, name=board.name, seq=board.last_seq if seq is None else seq)
        not_modified = get_conditional_response(request, etag=etag)
        if not_modified is not None:
            return self.finish(not_modified, board=board, seq=seq)
        body = exports.cached_export(etag=etag)
        if body is None:
            wait = attempt_wait(
                key=f"throttle:export:{request.user.pk}", limit=settings.WHITEBOARD_EXPORTS_PER_MINUTE, window=60,
                what="export",
            )
            if wait is not None:
                return too_many_exports(wait)
            plan = exports.plan_export(board=board, seq=seq)  # the board may have changed since: its seq names it
            etag = plan.etag
        accepts_gzip = bool(ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")))
        if body is not None and accepts_gzip:
            response = HttpResponse(body, content_type="image/svg+xml; charset=utf-8")
        else:
            pieces = exports.gzipped_svg(plan) if body is None else iter([body])
            response = StreamingHttpResponse(
                streamed(pieces if accepts_gzip else exports.gunzipped(pieces)), content_type="image/svg+xml; charset=utf-8"
            )
        if accepts_gzip:
            response["Content-Encoding"] = "gzip"
        response["ETag"] = etag
        return self.finish(response, board=board, seq=seq)

    def post(self, request, slug):
        """
        Some of the board's elements as an SVG drawing of their own (the
        form field `ids`, up to 1,000, comma-separated): what the page puts
        on the clipboard when a selection is copied as SVG. Made each time, not cached.
        """
        board = self.get_board()
        try:
            element_ids = protocol.parse_export_ids(request.POST.get("ids", ""))
        except ActionError as error:
            return JsonResponse({"ok": False, "code": error.code, "error": error.message}, status=400)
        wait = attempt_wait(
            key=f"throttle:export:{request.user.pk}", limit=settings.WHITEBOARD_EXPORTS_PER_MINUTE, window=60,
            what="export",
        )
        if wait is not None:
            return too_many_exports(wait)
        plan = exports.plan_export(board=board, element_ids=element_ids)
        response = HttpResponse("".join(exports.svg_text(plan)), content_type="image/svg+xml; charset=utf-8")
        patch_cache_control(response, private=True, no_store=True)
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        return response

    def finish(self, response, *, board, seq):
        patch_vary_headers(response, ["Accept-Encoding"])
        # Asked again, the browser checks the ETag: access is checked on every request.
        patch_cache_control(response, private=True, no_cache=True)
        # Opened on its own the SVG is a document of this site: let it run and load nothing.
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        if "download" in self.request.GET:
            suffix = "" if seq is None else f"-at-{seq}"
            response["Content-Disposition"] = f'attachment; filename="{board.slug}{suffix}.svg"'
        return response


@method_decorator([never_cache, gzip_page], name="get")
class BoardHistoryView(collab_views.BoardAccessMixin, View):
    """The board's events after `?after=N`, a page at a time, for the history panel's time-lapse."""

    board_model = Board

    def get(self, request, slug):
        board = self.get_board()
        try:
            after = seq_parameter(request, "after", board=board, default=0)
        except ActionError as error:
            return JsonResponse({"code": error.code, "error": error.message}, status=400)
        return JsonResponse(selectors.board_history_page(board=board, after=after))


class BoardImagesView(collab_views.BoardAccessMixin, View):
    """
    POST (multipart, `file`): upload a picture to place on the board
    (whiteboard.images); answers 201 with its id and size in pixels, or the
    refusal with its code (413 when it is too large). Placing it is a
    websocket `image` message.
    """

    board_model = Board
    http_method_names = ["post"]

    def post(self, request, slug):
        board = self.get_board()
        too_large = collab_views.upload_too_large(request, what="Pictures")
        if too_large is not None:
            return too_large
        try:
            upload = images.check_upload(request.FILES.get("file"))
            image = images.image_upload(board=board, upload=upload, actor=request.user)
        except ActionError as error:
            return collab_views.upload_refused(error)
        return JsonResponse({"ok": True, **images.image_frame(image)}, status=201)


class BoardImageView(collab_views.BoardAccessMixin, View):
    """A picture of the board's, to those who may open it; it never changes under its id."""

    board_model = Board

    def get(self, request, slug, image_id):
        board = self.get_board()
        image = Image.objects.filter(board=board, pk=image_id).first()
        if image is None:
            raise Http404("No such picture.")
        return collab_views.stored_file_response(image.file, content_type=image.content_type, immutable=True)
