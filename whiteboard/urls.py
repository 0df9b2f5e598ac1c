from django.urls import path

from whiteboard import views

app_name = "whiteboard"

urlpatterns = [
    path("", views.BoardListView.as_view(), name="list"),
    path("new/", views.BoardCreateView.as_view(), name="create"),
    path("<slug:slug>/", views.BoardDetailView.as_view(), name="board"),
    path("<slug:slug>/snapshot.json", views.BoardSnapshotView.as_view(), name="snapshot"),
    path("<slug:slug>/history.json", views.BoardHistoryView.as_view(), name="history"),
    path("<slug:slug>/export.svg", views.BoardExportSvgView.as_view(), name="export-svg"),
    path("<slug:slug>/rename/", views.BoardRenameView.as_view(), name="rename"),
    path("<slug:slug>/members/", views.BoardAddMemberView.as_view(), name="add-member"),
    path("<slug:slug>/members/remove/", views.BoardRemoveMemberView.as_view(), name="remove-member"),
    path("<slug:slug>/share/", views.BoardShareView.as_view(), name="share"),
    path("<slug:slug>/delete/", views.BoardDeleteView.as_view(), name="delete"),
]
