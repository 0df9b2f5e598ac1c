"""
Board list and management views both apps use. Each app subclasses them with
its `board_model` and, for creation, its own `board_create` service. Pages
get a redirect with a message; `fetch` callers that accept JSON get JSON.
An action only the owner may take, refused to anyone else, is a 403 either
way: JSON with the code `forbidden`, or the 403 page saying why.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect
from django.views import View
from django.views.generic import ListView

from boardsite import uploads
from boardsite.collab import selectors, services
from boardsite.collab.errors import ActionError
from boardsite.collab.text import check_text

NUMBER_PARAMETER_MAX_DIGITS = 18  # int() of more is slow, and no id or seq gets there


def wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def refusal_status(error):
    """The HTTP status of a refused action: 403 when the user may not do it at all, else 400."""
    return 403 if error.code == "forbidden" else 400


# What a multipart form adds to a file's bytes (boundaries, headers, the file's name).
UPLOAD_FORM_OVERHEAD = 64 * 1024


def upload_too_large(request, *, what):
    """
    The 413 answer to an upload whose Content-Length is over UPLOAD_MAX_BYTES,
    given before its body is read, so such a file is never written to disk;
    None for one that may be read. `what` names the files, for people.
    """
    if int(request.META.get("CONTENT_LENGTH") or 0) <= settings.UPLOAD_MAX_BYTES + UPLOAD_FORM_OVERHEAD:
        return None
    return JsonResponse({"ok": False, "code": "too_large", "error": (
        f"{what} may be at most {uploads.human_size(settings.UPLOAD_MAX_BYTES)}.")}, status=413)


def upload_refused(error):
    """A refused upload as JSON: 413 when it is too large, else as any refusal."""
    status = 413 if error.code == "too_large" else refusal_status(error)
    return JsonResponse({"ok": False, "code": error.code, "error": error.message}, status=status)


def stored_file_response(field, *, content_type, as_attachment=False, filename=None, immutable=False):
    """
    A file from Django's storage, to someone already allowed it: in a
    sandbox, never sniffed, kept a day by this person's browser only (a file
    never changes under its id).
    """
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(handle, as_attachment=as_attachment, filename=filename, content_type=content_type)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400" + (", immutable" if immutable else "")
    return response


def text_parameter(request, name, *, max_length):
    """One line of text from the query string, None when absent or empty; ActionError when refused."""
    value = request.GET.get(name) or None
    if value is None:
        return None
    check_text(value, field=name)
    if len(value) > max_length:
        raise ActionError("too_long", f"`{name}` is longer than {max_length} characters.")
    return value


def whole_number_parameter(request, name, *, minimum, maximum, refusal, data=None):
    """
    A whole number (ASCII digits) from the query string (or `data`, a
    posted form), None when absent; `refusal` raised otherwise.
    """
    raw = (request.GET if data is None else data).get(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > NUMBER_PARAMETER_MAX_DIGITS:
        raise refusal
    if not minimum <= int(raw) <= maximum:
        raise refusal
    return int(raw)


class BoardListView(ListView):
    board_model = None
    context_object_name = "boards"

    def get_queryset(self):
        return selectors.boards_for_user(board_model=self.board_model, user=self.request.user)


class BoardAccessMixin:
    """Finds the board by slug; a board the user may not open does not exist for them."""

    board_model = None

    def get_board(self):
        board = selectors.board_for_user(
            board_model=self.board_model, slug=self.kwargs["slug"], user=self.request.user
        )
        if board is None:
            raise Http404("No such board.")
        return board


class BoardActionView(BoardAccessMixin, View):
    """A POST that runs one service call and reports its result."""

    http_method_names = ["post"]
    success_message = ""

    def perform(self, board):
        raise NotImplementedError

    def success_url(self, board):
        return board.get_absolute_url()

    def post(self, request, *args, **kwargs):
        board = self.get_board()
        try:
            result = self.perform(board)
        except ActionError as error:
            if wants_json(request):
                return JsonResponse(
                    {"ok": False, "code": error.code, "error": error.message}, status=refusal_status(error)
                )
            if error.code == "forbidden":
                raise PermissionDenied(error.message) from None
            messages.error(request, error.message)
            return redirect(board.get_absolute_url())
        if wants_json(request):
            return JsonResponse({"ok": True, "redirect": self.success_url(result or board)})
        if self.success_message:
            messages.success(request, self.success_message)
        return redirect(self.success_url(result or board))


class BoardCreateView(View):
    board_model = None
    http_method_names = ["post"]

    def create_board(self, *, name, owner):
        return services.board_create(board_model=self.board_model, name=name, owner=owner)

    def post(self, request):
        try:
            board = self.create_board(name=request.POST.get("name", ""), owner=request.user)
        except ActionError as error:
            if wants_json(request):
                return JsonResponse({"ok": False, "code": error.code, "error": error.message}, status=400)
            messages.error(request, error.message)
            return redirect(self.board_model.get_list_url())
        if wants_json(request):
            return JsonResponse({"ok": True, "redirect": board.get_absolute_url()}, status=201)
        return redirect(board.get_absolute_url())


class BoardRenameView(BoardActionView):
    success_message = "Board renamed."

    def perform(self, board):
        return services.board_rename(board=board, name=self.request.POST.get("name", ""), actor=self.request.user)


class BoardAddMemberView(BoardActionView):
    def perform(self, board):
        user = services.board_add_member(
            board=board, username=self.request.POST.get("username", ""), actor=self.request.user
        )
        messages.success(self.request, f"{user.get_username()} can now open this board.")


class BoardRemoveMemberView(BoardActionView):
    def perform(self, board):
        user = services.board_remove_member(
            board=board, username=self.request.POST.get("username", ""), actor=self.request.user
        )
        messages.success(self.request, f"{user.get_username()} was removed from this board.")

    def success_url(self, board):
        if selectors.user_can_access(board=board, user=self.request.user):
            return board.get_absolute_url()
        return self.board_model.get_list_url()


class BoardShareView(BoardActionView):
    def perform(self, board):
        shared = self.request.POST.get("shared_with_all") in ("on", "true", "1")
        services.board_set_shared(board=board, shared=shared, actor=self.request.user)
        messages.success(
            self.request, "Every logged-in user can now open this board." if shared else "Only members can open this board now."
        )


class BoardDeleteView(BoardActionView):
    def perform(self, board):
        name = board.name
        services.board_delete(board=board, actor=self.request.user)
        messages.success(self.request, f"Deleted “{name}”.")

    def success_url(self, board):
        return self.board_model.get_list_url()
