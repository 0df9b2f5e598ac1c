from django.urls import path

from boardsite.collab.urls import board_management_urls
from kanban import views
from kanban.models import Board

app_name = "kanban"

urlpatterns = [
    path("", views.BoardListView.as_view(), name="list"),
    path("new/", views.BoardCreateView.as_view(), name="create"),
    path("mine/", views.MyCardsView.as_view(), name="mine"),
    path("notifications/", views.NotificationsView.as_view(), name="notifications"),
    path("notifications/<int:notification_id>/", views.NotificationOpenView.as_view(), name="notification"),
    path("<slug:slug>/", views.BoardDetailView.as_view(), name="board"),
    path("<slug:slug>/activity.json", views.BoardActivityView.as_view(), name="activity"),
    path("<slug:slug>/cards/<int:card_id>/comments.json", views.CardCommentsView.as_view(), name="comments"),
    path("<slug:slug>/cards/<int:card_id>/checklists.json", views.CardChecklistsView.as_view(), name="checklists"),
    path("<slug:slug>/cards/<int:card_id>/attachments.json", views.CardAttachmentsView.as_view(), name="attachments"),
    path("<slug:slug>/files/<int:attachment_id>/", views.AttachmentFileView.as_view(), name="file"),
    path("<slug:slug>/files/<int:attachment_id>/thumbnail/", views.AttachmentFileView.as_view(thumbnail=True),
         name="thumbnail"),
    path("<slug:slug>/archive.json", views.BoardArchiveView.as_view(), name="archive"),
    path("<slug:slug>/destinations.json", views.DestinationsView.as_view(), name="destinations"),
    path("<slug:slug>/search.json", views.CardSearchView.as_view(), name="search"),
    path("<slug:slug>/preview/", views.DescriptionPreviewView.as_view(), name="preview"),
    *board_management_urls(Board),
]
