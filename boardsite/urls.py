from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from boardsite import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("token", views.twilio_sync_token, name="twilio-token"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", views.signup, name="signup"),
    path("admin/", admin.site.urls),
    path("whiteboard/", include("whiteboard.urls")),
    path("kanban/", include("kanban.urls")),
]
