from django.urls import path

from kanban import views

app_name = "kanban"

urlpatterns = [
    path("", views.BoardListView.as_view(), name="list"),
    path("new/", views.BoardCreateView.as_view(), name="create"),
    path("<slug:slug>/", views.BoardDetailView.as_view(), name="board"),
    path("<slug:slug>/activity.json", views.BoardActivityView.as_view(), name="activity"),
    path("<slug:slug>/preview/", views.DescriptionPreviewView.as_view(), name="preview"),
    path("<slug:slug>/rename/", views.BoardRenameView.as_view(), name="rename"),
    path("<slug:slug>/members/", views.BoardAddMemberView.as_view(), name="add-member"),
    path("<slug:slug>/members/remove/", views.BoardRemoveMemberView.as_view(), name="remove-member"),
    path("<slug:slug>/share/", views.BoardShareView.as_view(), name="share"),
    path("<slug:slug>/delete/", views.BoardDeleteView.as_view(), name="delete"),
]
