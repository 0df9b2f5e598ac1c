"""Admin pieces both apps share."""

from django.contrib import admin

from boardsite.collab.events import changes_made_via


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
    """

    def changeform_view(self, *args, **kwargs):
        with changes_made_via("admin"):
            return super().changeform_view(*args, **kwargs)

    def delete_view(self, *args, **kwargs):
        with changes_made_via("admin"):
            return super().delete_view(*args, **kwargs)

    def changelist_view(self, *args, **kwargs):
        with changes_made_via("admin"):
            return super().changelist_view(*args, **kwargs)
