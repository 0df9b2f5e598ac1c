from django.urls import path

from boardsite.collab import views


def board_management_urls(board_model):
    """Rename, members, sharing and delete: the same views in both apps, for their board model."""
    return [
        path("<slug:slug>/rename/", views.BoardRenameView.as_view(board_model=board_model), name="rename"),
        path("<slug:slug>/members/", views.BoardAddMemberView.as_view(board_model=board_model), name="add-member"),
        path(
            "<slug:slug>/members/remove/",
            views.BoardRemoveMemberView.as_view(board_model=board_model),
            name="remove-member",
        ),
        path("<slug:slug>/share/", views.BoardShareView.as_view(board_model=board_model), name="share"),
        path("<slug:slug>/delete/", views.BoardDeleteView.as_view(board_model=board_model), name="delete"),
    ]
