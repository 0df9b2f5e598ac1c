"""Admin pieces both apps share."""

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponseRedirect

from boardsite.collab import services
from boardsite.collab.errors import ActionError
from boardsite.collab.events import changes_made_via, lock_board_row


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the admin may show but not add, change or delete: logs kept by the services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ChangesViaAdminMixin:
    """
    Every change a ModelAdmin makes (its forms, inlines, deletions and bulk
    actions) goes through the services like any other; this marks the events
    they record with `"via": "admin"`, so the activity feed can say so.

    A service may still refuse what the form let through (the board filled
    up, a column reached its limit since the form was checked): the admin's
    transaction has rolled back, and the page says why instead of answering
    500.
    """

    def changeform_view(self, request, *args, **kwargs):
        with changes_made_via("admin"):
            try:
                return super().changeform_view(request, *args, **kwargs)
            except ActionError as error:
                return self.refused(request, error)

    def delete_view(self, request, *args, **kwargs):
        with changes_made_via("admin"):
            try:
                return super().delete_view(request, *args, **kwargs)
            except ActionError as error:
                return self.refused(request, error)

    def refused(self, request, error):
        """Back to the page the change was sent from, with the service's reason; nothing was saved."""
        self.message_user(request, f"Nothing was saved: {error.message}", level=messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def changelist_view(self, *args, **kwargs):
        with changes_made_via("admin"):
            return super().changelist_view(*args, **kwargs)


class BoardAdmin(ChangesViaAdminMixin, admin.ModelAdmin):
    """
    A board in the admin, for both apps, with the effects its own pages have:
    a new board is made by the app's `board_create` service (with its
    defaults), a rename and the members added or removed are recorded as the
    events open boards show, and when who may open the board changes, or the
    board is deleted, its open connections check their access again (and
    those no longer allowed are closed: boardsite.collab.signals).
    """

    def create_board(self, *, name, owner):
        """The app's `board_create` service."""
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        if not change:
            created = self.create_board(name=obj.name, owner=obj.owner)
            obj.pk, obj.slug = created.pk, created.slug
            return
        super().save_model(request, obj, form, change)
        if "name" in form.changed_data:
            services.do_board_rename(board=obj, name=obj.name, actor=request.user)

    def save_related(self, request, form, formsets, change):
        """The members the form adds or removes go through the services' do_* steps, as from the board's page."""
        before = set(form.instance.members.all()) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(form.instance.members.all())
        for record, users in (
            (services.do_board_add_member, after - before), (services.do_board_remove_member, before - after)
        ):
            for user in sorted(users, key=lambda user: user.get_username()):
                record(board=form.instance, user=user, actor=request.user)

    @transaction.atomic
    def delete_model(self, request, obj):
        """As services.board_delete: the board's row is locked first."""
        lock_board_row(obj)
        super().delete_model(request, obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for board in queryset.order_by("pk"):
            lock_board_row(board)
        super().delete_queryset(request, queryset)
