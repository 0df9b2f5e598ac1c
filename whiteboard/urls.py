from django.urls import path

from boardsite.collab.urls import board_management_urls
from whiteboard import views
from whiteboard.models import Board

app_name = "whiteboard"

urlpatterns = [
    path("", views.BoardListView.as_view(), name="list"),
    path("new/", views.BoardCreateView.as_view(), name="create"),
    path("<slug:slug>/", views.BoardDetailView.as_view(), name="board"),
    path("<slug:slug>/snapshot.json", views.BoardSnapshotView.as_view(), name="snapshot"),
    path("<slug:slug>/history.json", views.BoardHistoryView.as_view(), name="history"),
    path("<slug:slug>/export.svg", views.BoardExportSvgView.as_view(), name="export-svg"),
    path("<slug:slug>/images.json", views.BoardImagesView.as_view(), name="images"),
    path("<slug:slug>/images/<int:image_id>/", views.BoardImageView.as_view(), name="image"),
    *board_management_urls(Board),
]
