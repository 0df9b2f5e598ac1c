from django.http import JsonResponse
from django.shortcuts import render
from django.views import View

from boardsite.collab import views as collab_views
from boardsite.collab.selectors import board_members
from kanban import selectors, services
from kanban.descriptions import render_description
from kanban.models import CARD_DESCRIPTION_MAX_LENGTH, LABEL_COLOURS, WIP_LIMIT_MAX, Board


class BoardListView(collab_views.BoardListView):
    board_model = Board
    template_name = "kanban/board_list.html"


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
            },
        )


class DescriptionPreviewView(collab_views.BoardAccessMixin, View):
    """The card editor's preview: Markdown rendered and sanitised exactly as a saved description is."""

    board_model = Board
    http_method_names = ["post"]

    def post(self, request, slug):
        self.get_board()
        text = request.POST.get("description", "")
        if len(text) > CARD_DESCRIPTION_MAX_LENGTH:
            return JsonResponse(
                {"ok": False, "error": f"Descriptions are at most {CARD_DESCRIPTION_MAX_LENGTH} characters."},
                status=400,
            )
        return JsonResponse({"ok": True, "html": render_description(text)})


class BoardRenameView(collab_views.BoardRenameView):
    board_model = Board


class BoardAddMemberView(collab_views.BoardAddMemberView):
    board_model = Board


class BoardRemoveMemberView(collab_views.BoardRemoveMemberView):
    board_model = Board


class BoardShareView(collab_views.BoardShareView):
    board_model = Board


class BoardDeleteView(collab_views.BoardDeleteView):
    board_model = Board
