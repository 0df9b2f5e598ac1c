from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from boardsite.collab import views as collab_views
from boardsite.collab.errors import ActionError
from boardsite.collab.selectors import board_members
from kanban import activity, archive, attachments, notifications, selectors, services, transfer
from kanban.descriptions import render_description
from kanban.models import (
    CARD_DESCRIPTION_MAX_LENGTH, COMMENT_MAX_LENGTH, LABEL_COLOURS, WIP_LIMIT_MAX, Attachment, Board, Card,
)
from kanban.protocol import ID_MAX

USERNAME_MAX_LENGTH = 150


class BoardListView(collab_views.BoardListView):
    board_model = Board
    template_name = "kanban/board_list.html"


class MyCardsView(View):
    """Every card assigned to the person, across the boards they may open, with its due date."""

    def get(self, request):
        cards = selectors.cards_assigned_to(user=request.user)
        return render(request, "kanban/my_cards.html", {"cards": cards, "time_zone": settings.TIME_ZONE})


@method_decorator(never_cache, name="get")
class NotificationsView(View):
    """
    The person's notifications, newest first, about boards they can still
    open. POST marks them read: the one named by `id`, or all.
    """

    def get(self, request):
        return render(request, "kanban/notifications.html", {
            "notifications": notifications.notifications_page(user=request.user),
        })

    def post(self, request):
        try:
            notification_id = positive_int_parameter(request, "id", data=request.POST)
        except ActionError as error:
            return JsonResponse({"code": error.code, "error": error.message}, status=400)
        notifications.mark_read(user=request.user, ids=None if notification_id is None else [notification_id])
        return redirect("kanban:notifications")


class NotificationOpenView(View):
    """Follow a notification: it is read, and its card opens on its board (which says if the card is gone)."""

    def get(self, request, notification_id):
        notification = notifications.visible_to(request.user).select_related("board").filter(pk=notification_id).first()
        if notification is None:
            raise Http404("No such notification.")
        notifications.mark_read(user=request.user, ids=[notification.pk])
        return redirect(f"{notification.board.get_absolute_url()}?card={notification.card_id}")


class BoardCreateView(collab_views.BoardCreateView):
    board_model = Board

    def create_board(self, *, name, owner):
        return services.board_create(name=name, owner=owner)


class BoardDetailView(collab_views.BoardAccessMixin, View):
    """
    The board page. The board itself is embedded as JSON (the same `board`
    message the websocket sends) so it shows at once; the script then keeps
    it live over the websocket.
    """

    board_model = Board

    def get(self, request, slug):
        board = self.get_board()
        return render(
            request,
            "kanban/board.html",
            {
                "board": board,
                "members": board_members(board=board),
                "is_owner": board.is_owner(request.user),
                "snapshot": selectors.board_message(board=board, user=request.user),
                "label_colours": LABEL_COLOURS,
                "wip_limit_max": WIP_LIMIT_MAX,
                "description_max_length": CARD_DESCRIPTION_MAX_LENGTH,
                "comment_max_length": COMMENT_MAX_LENGTH,
                "upload_max_bytes": settings.UPLOAD_MAX_BYTES,
                "time_zone": settings.TIME_ZONE,
                "attachment_accept": ",".join(f".{extension.lstrip('.')}" for extension in settings.ATTACHMENT_EXTENSIONS),
            },
        )


class DescriptionPreviewView(collab_views.BoardAccessMixin, View):
    """
    The card editor's preview: Markdown cleaned, rendered and sanitised
    exactly as a saved description is, so within the same limits (length,
    and the renderer's bounds on tables and nesting) and in linear time.
    """

    board_model = Board
    http_method_names = ["post"]

    def post(self, request, slug):
        self.get_board()
        try:
            text = services.clean_description(request.POST.get("description", ""))
        except ActionError as error:
            return JsonResponse({"ok": False, "code": error.code, "error": error.message}, status=400)
        return JsonResponse({"ok": True, "html": render_description(text)})


@method_decorator(never_cache, name="get")
class BoardActivityView(collab_views.BoardAccessMixin, View):
    """
    The board's activity feed as JSON, newest first, a page at a time:
    `?before=<seq>` pages on, `?card=<id>` keeps one card's history,
    `?user=<username>` one person's changes.
    """

    board_model = Board

    def get(self, request, slug):
        board = self.get_board()
        try:
            before = positive_int_parameter(request, "before")
            card_id = positive_int_parameter(request, "card")
            username = collab_views.text_parameter(request, "user", max_length=USERNAME_MAX_LENGTH)
        except ActionError as error:
            return JsonResponse({"code": error.code, "error": error.message}, status=400)
        entries, next_before = activity.activity_page(board=board, before=before, card_id=card_id, username=username)
        return JsonResponse({"entries": [entry.as_json() for entry in entries], "next_before": next_before})


@method_decorator(never_cache, name="get")
class CardJsonView(collab_views.BoardAccessMixin, View):
    """What the card editor reads of one card when it opens: `read(card=...)` of kanban.selectors, as JSON."""

    board_model = Board
    read = None

    def get(self, request, slug, card_id):
        board = self.get_board()
        card = Card.objects.filter(board=board, pk=card_id).first()
        if card is None:
            return JsonResponse({"code": "not_found", "error": "That card is not on this board (it may have been deleted)."},
                                status=404)
        return JsonResponse(type(self).read(card=card))


class CardCommentsView(CardJsonView):
    """The card's comments, newest first, with the seq they are as new as (kept live from the board's events)."""

    read = selectors.card_comments


@method_decorator(never_cache, name="get")
class BoardArchiveView(collab_views.BoardAccessMixin, View):
    """The board's archive as JSON (kanban.archive.board_archive), for the archive view."""

    board_model = Board

    def get(self, request, slug):
        return JsonResponse(archive.board_archive(board=self.get_board()))


@method_decorator(never_cache, name="get")
class DestinationsView(collab_views.BoardAccessMixin, View):
    """The boards (and their columns) the person can copy or move this board's cards to."""

    board_model = Board

    def get(self, request, slug):
        self.get_board()
        return JsonResponse({"boards": transfer.destinations(user=request.user)})


@method_decorator(never_cache, name="get")
class CardSearchView(collab_views.BoardAccessMixin, View):
    """`?q=`: the ids of the cards whose title, description or comments hold every word (the filter's text)."""

    board_model = Board

    def get(self, request, slug):
        board = self.get_board()
        try:
            text = collab_views.text_parameter(request, "q", max_length=selectors.SEARCH_MAX_LENGTH)
        except ActionError as error:
            return JsonResponse({"code": error.code, "error": error.message}, status=400)
        return JsonResponse({"q": text or "", "cards": selectors.search_cards(board=board, text=text) if text else []})


class CardAttachmentsView(CardJsonView):
    """
    GET: the card's files, with the seq they are as new as. POST (multipart,
    `file`): attach a file (kanban.attachments); answers 201 with its frame
    and seq, or the refusal with its code (413 when it is too large).
    """

    read = selectors.card_attachments
    http_method_names = ["get", "post"]

    def post(self, request, slug, card_id):
        board = self.get_board()
        too_large = collab_views.upload_too_large(request, what="Files")
        if too_large is not None:
            return too_large
        try:
            upload = attachments.check_upload(request.FILES.get("file"))
            applied = attachments.attachment_create(board=board, card_id=card_id, upload=upload, actor=request.user)
        except ActionError as error:
            return collab_views.upload_refused(error)
        return JsonResponse({"ok": True, "seq": applied.seq, **applied.details}, status=201)



class AttachmentFileView(collab_views.BoardAccessMixin, View):
    """
    A file of the board's, to those who may open it. Images (encoded again on
    upload) are shown; every other kind is only ever downloaded, in a
    sandbox, so a file that is also an HTML page never runs as this site.
    """

    board_model = Board
    thumbnail = False

    def get(self, request, slug, attachment_id):
        board = self.get_board()
        attachment = Attachment.objects.filter(board=board, pk=attachment_id).first()
        field = None if attachment is None else attachment.thumbnail if self.thumbnail else attachment.file
        if not field:
            raise Http404("No such file.")
        inline = attachment.is_image
        return collab_views.stored_file_response(
            field, as_attachment=not inline, filename=attachment.name,
            content_type=("image/webp" if self.thumbnail else attachment.content_type) if inline
            else "application/octet-stream",
        )


class CardChecklistsView(CardJsonView):
    """The card's checklists and their items, with the seq they are as new as."""

    read = selectors.card_checklists


def positive_int_parameter(request, name, *, data=None):
    """A whole number from 1 up from the query string (or `data`), or None when absent."""
    return collab_views.whole_number_parameter(
        request, name, minimum=1, maximum=ID_MAX, data=data,
        refusal=ActionError("invalid_field", f"`{name}` must be a whole number from 1 up."),
    )
