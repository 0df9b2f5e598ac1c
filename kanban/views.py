from django.shortcuts import render
from django.views import View

from boardsite.collab import views as collab_views
from boardsite.collab.selectors import board_members
from kanban import services
from kanban.models import Board


class BoardListView(collab_views.BoardListView):
    board_model = Board
    template_name = "kanban/board_list.html"


class BoardCreateView(collab_views.BoardCreateView):
    board_model = Board

    def create_board(self, *, name, owner):
        return services.board_create(name=name, owner=owner)


class BoardDetailView(collab_views.BoardAccessMixin, View):
    board_model = Board

    def get(self, request, slug):
        board = self.get_board()
        return render(
            request,
            "kanban/board.html",
            {"board": board, "members": board_members(board=board), "is_owner": board.is_owner(request.user)},
        )


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
