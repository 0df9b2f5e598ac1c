"""
Whiteboards in the admin: boards with their people and activity (a rename
or a change of who may open a board reaches its open connections, as from
the board's own pages), and the stored strokes and events, read-only:
every change to a drawing goes through whiteboard.services so that
connected clients hear of it.
"""

from django.contrib import admin
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html

from boardsite.collab import admin as collab_admin
from boardsite.collab.admin import ReadOnlyAdmin
from whiteboard import services, stored_visibility
from whiteboard.models import Board, BoardEvent, Stroke


@admin.register(Board)
class BoardAdmin(collab_admin.BoardAdmin):
    list_display = ("name", "owner", "member_names", "stroke_count", "shared_with_all", "last_activity_at")
    list_filter = ("shared_with_all",)
    search_fields = ("name", "slug", "owner__username", "members__username")
    readonly_fields = ("slug", "last_seq", "created_at", "last_activity_at", "history")
    filter_horizontal = ("members",)
    list_select_related = ("owner",)

    def create_board(self, *, name, owner):
        return services.board_create(name=name, owner=owner)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(visible_strokes=Count("strokes", filter=Q(strokes__hidden=False), distinct=True))
            .prefetch_related("members")
        )

    @admin.display(description="members")
    def member_names(self, board):
        return ", ".join(sorted(member.get_username() for member in board.members.all())) or "—"

    @admin.display(description="strokes", ordering="visible_strokes")
    def stroke_count(self, board):
        if board.unwritten_visibility:  # the rows' `hidden` is not all written yet (whiteboard.stored_visibility)
            return len(stored_visibility.visible_ids(board=board))
        return board.visible_strokes

    @admin.display(description="history")
    def history(self, board):
        events_url = reverse("admin:whiteboard_boardevent_changelist") + f"?board__id__exact={board.pk}"
        strokes_url = reverse("admin:whiteboard_stroke_changelist") + f"?board__id__exact={board.pk}"
        return format_html(
            '<a href="{}">{} events</a> · <a href="{}">strokes</a>', events_url, board.last_seq, strokes_url
        )


@admin.register(BoardEvent)
class BoardEventAdmin(ReadOnlyAdmin):
    list_display = ("seq", "board", "type", "author", "created_at")
    list_filter = ("type", "board")
    search_fields = ("board__name", "author__username")
    list_select_related = ("board", "author")
    ordering = ("board", "-seq")


@admin.register(Stroke)
class StrokeAdmin(ReadOnlyAdmin):
    list_display = ("client_id", "board", "tool", "color", "width", "author", "point_count", "is_hidden", "created_at")
    list_filter = ("tool", "board")
    search_fields = ("client_id", "board__name", "author__username")
    list_select_related = ("board", "author")
    # `hidden` as stored may be behind the board's unwritten events: `is_hidden` says what is shown now.
    exclude = ("points_json", "points_packed", "hidden")
    readonly_fields = ("is_hidden",)

    @admin.display(description="hidden", boolean=True)
    def is_hidden(self, stroke):
        """Hidden now: as the row says, or as the board's unwritten events make it (whiteboard.stored_visibility)."""
        if not stroke.board.unwritten_visibility:
            return stroke.hidden
        return stored_visibility.stroke_states(board=stroke.board, stroke_ids=[stroke.client_id])[stroke.client_id][0]
