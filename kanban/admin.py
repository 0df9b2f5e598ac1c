from django.contrib import admin

from kanban.models import Board


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "shared_with_all", "last_seq", "last_activity_at")
    list_filter = ("shared_with_all",)
    search_fields = ("name", "slug", "owner__username", "members__username")
    readonly_fields = ("slug", "last_seq", "created_at", "last_activity_at")
    filter_horizontal = ("members",)
    list_select_related = ("owner",)
