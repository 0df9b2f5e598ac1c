"""
Open board connections follow changes of access however they are made (a
board's page, the admin, a management command, the shell): logging out, a
user deactivated or deleted, a member removed, a board no longer shared or
deleted. Each receiver here asks the connections concerned to re-check their
access once the change commits (events.notify_access_changed), which closes
those no longer allowed (BoardConsumer.check_access), in every server
process: the request goes through the channel layer. Until then the board's
services refuse what those connections send (services.check_still_allowed).

Bulk `QuerySet.update()` and deleting rows of the members table directly
send no signal: their connections are closed at their next command instead.
"""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from boardsite.collab.events import lock_board_row, notify_access_changed
from boardsite.collab.models import Board
from boardsite.collab.selectors import access_filter


def board_models():
    return [model for model in apps.get_models() if issubclass(model, Board)]


def notify_boards_of(user):
    """Ask `user`'s connections on every board they may open to re-check their access."""
    for board_model in board_models():
        boards = board_model.objects.filter(pk__in=board_model.objects.filter(access_filter(user)).values("pk"))
        for board in boards.only("pk").order_by("pk"):
            notify_access_changed(board, users=[user.pk])


def logged_out(sender, request, user, **kwargs):
    """
    Close the connections opened with this session, not the user's others.
    Django's logout flushes the session right after this signal; it is
    ended here first, so that the connections' check, which may run at once
    in another process, finds it gone.
    """
    if user is None:
        return
    request.session.delete()
    notify_boards_of(user)


def user_saved(sender, instance, created, update_fields, raw=False, **kwargs):
    """A deactivated user's connections are closed (not while fixtures load: `raw`)."""
    if raw or created or instance.is_active or (update_fields is not None and "is_active" not in update_fields):
        return
    notify_boards_of(instance)


def user_deleting(sender, instance, **kwargs):
    """A deleted user's connections are closed (the boards are read now, while the user may still open them)."""
    notify_boards_of(instance)


def members_changing(sender, instance, action, reverse, model, pk_set, **kwargs):
    """
    Members removed, whether by the services, the admin's form or code, have
    their connections to the board closed. The board's row is locked first,
    as the board's changes lock it (Django runs this and the removal in one
    transaction): a change of theirs in flight commits before the removal,
    and one after it is refused.
    """
    if action not in ("pre_remove", "pre_clear"):
        return
    if reverse:  # user.<app>_boards.remove(board, ...): `instance` is the user, `model` the board model
        boards = model.objects.filter(members=instance)
        if pk_set is not None:
            boards = boards.filter(pk__in=pk_set)
        changes = [(board, [instance.pk]) for board in boards.only("pk").order_by("pk")]
    else:
        changes = [(instance, None if pk_set is None else pk_set)]
    for board, users in changes:
        lock_board_row(board)
        notify_access_changed(board, users=users)


def board_saved(sender, instance, created, update_fields, raw=False, **kwargs):
    """
    Who may open a board changes with its sharing and its owner; a board
    still shared with everyone has lost nobody.
    """
    if raw or created or instance.shared_with_all:
        return
    if update_fields is not None and not {"shared_with_all", "owner", "owner_id"} & set(update_fields):
        return
    notify_access_changed(instance)


def board_deleted(sender, instance, **kwargs):
    """A deleted board's connections are closed (4404)."""
    notify_access_changed(instance)


def connect():
    """Connect the receivers (BoardsiteConfig.ready)."""
    user_logged_out.connect(logged_out, dispatch_uid="boardsite.access.logged_out")
    user_model = get_user_model()
    post_save.connect(user_saved, sender=user_model, dispatch_uid="boardsite.access.user_saved")
    pre_delete.connect(user_deleting, sender=user_model, dispatch_uid="boardsite.access.user_deleting")
    for board_model in board_models():
        label = board_model._meta.label
        members = board_model._meta.get_field("members").remote_field.through
        m2m_changed.connect(members_changing, sender=members, dispatch_uid=f"boardsite.access.members.{label}")
        post_save.connect(board_saved, sender=board_model, dispatch_uid=f"boardsite.access.saved.{label}")
        post_delete.connect(board_deleted, sender=board_model, dispatch_uid=f"boardsite.access.deleted.{label}")
