"""
Board management shared by both apps: creating, renaming, sharing, members,
deleting. Each `check_*` authorises and validates (raising ActionError);
each `board_*` action runs in one transaction and records its event.
"""

from django.contrib.auth import get_user_model
from django.db import transaction

from boardsite.collab import selectors
from boardsite.collab.errors import ActionError
from boardsite.collab.events import lock_board_row, record_event
from boardsite.collab.models import BOARD_NAME_MAX_LENGTH
from boardsite.collab.text import check_text, text_problem


def user_frame(user):
    """How a user appears in events and presence."""
    return {"id": user.pk, "username": user.get_username()}


def clean_board_name(name):
    if not isinstance(name, str):
        raise ActionError("invalid_name", "The board name must be text.")
    name = " ".join(name.split())
    if not name:
        raise ActionError("invalid_name", "Give the board a name.")
    if len(name) > BOARD_NAME_MAX_LENGTH:
        raise ActionError("invalid_name", f"Board names are at most {BOARD_NAME_MAX_LENGTH} characters.")
    problem = text_problem(name)
    if problem is not None:
        raise ActionError("invalid_name", f"The board name {problem}.")
    return name


def clean_username(username):
    """A username as typed, trimmed; text no username holds is refused before it reaches a query."""
    if not isinstance(username, str) or not username.strip():
        raise ActionError("invalid_username", "Give a username.")
    return check_text(username.strip(), field="username")


ACCESS_REVOKED = "access_revoked"


def check_still_allowed(*, board, actor, origin):
    """
    Refuse a change sent on a connection (`origin`) whose user has since been
    deactivated, deleted or taken off the board (removed, or the board is no
    longer shared). The connection was authorised when it opened; this runs
    under the board's row lock, which removing a member or un-sharing also
    takes, so every change either commits before the removal or is refused
    after it. Changes without `origin` (pages, the admin, the demo data) are
    authorised by their own entry point.
    """
    if origin is not None and not selectors.user_may_change(board=board, user=actor):
        raise ActionError(ACCESS_REVOKED, "You no longer have access to this board.")


def check_owner(*, board, actor, action):
    """`action` ends the refusal a member reads: "Only the board’s owner can <action>."."""
    if not board.is_owner(actor):
        raise ActionError("forbidden", f"Only the board’s owner can {action}.")


def board_create(*, board_model, name, owner):
    """Create a board owned by `owner`. Apps wrap this to add their defaults."""
    return board_model.objects.create(name=clean_board_name(name), owner=owner)


@transaction.atomic
def board_rename(*, board, name, actor, origin=None):
    check_owner(board=board, actor=actor, action="rename it")
    return do_board_rename(board=board, name=name, actor=actor, origin=origin)


def do_board_rename(*, board, name, actor, origin=None):
    """Rename the board and record it, for a caller that has authorised `actor` (the owner, or staff in the admin)."""
    board.name = clean_board_name(name)
    board.save(update_fields=["name"])
    record_event(board=board, type="board.renamed", payload={"name": board.name}, actor=actor, origin=origin)
    return board


def check_new_member(*, board, username, actor):
    check_owner(board=board, actor=actor, action="add members")
    username = clean_username(username)
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ActionError("unknown_user", f"There is no user called “{username}”.")
    if user.pk == board.owner_id:
        raise ActionError("already_member", "The owner is always on the board.")
    if board.members.filter(pk=user.pk).exists():
        raise ActionError("already_member", f"{user.get_username()} is already a member.")
    return user


@transaction.atomic
def board_add_member(*, board, username, actor, origin=None):
    user = check_new_member(board=board, username=username, actor=actor)
    do_board_add_member(board=board, user=user, actor=actor, origin=origin)
    return user


def do_board_add_member(*, board, user, actor, origin=None):
    """Make `user` a member and record it, for a caller that has checked both."""
    board.members.add(user)
    record_event(
        board=board, type="board.member_added", payload={"member": user_frame(user)}, actor=actor, origin=origin
    )


@transaction.atomic
def board_remove_member(*, board, username, actor, origin=None):
    """The owner removes anyone; a member may remove themselves (leave)."""
    user = board.members.filter(username=clean_username(username)).first()
    if user is None:
        raise ActionError("not_member", f"“{username}” is not a member of this board.")
    if not (board.is_owner(actor) or user.pk == actor.pk):
        raise ActionError("forbidden", "Only the board’s owner can remove other members.")
    do_board_remove_member(board=board, user=user, actor=actor, origin=origin)
    return user


def do_board_remove_member(*, board, user, actor, origin=None):
    """
    Take `user` off the board and record it, for a caller that has checked
    both; their open connections to it are closed once this commits
    (boardsite.collab.signals, as for every change of who may open a board).
    """
    board.members.remove(user)
    record_event(
        board=board, type="board.member_removed", payload={"member": user_frame(user)}, actor=actor, origin=origin
    )


@transaction.atomic
def board_set_shared(*, board, shared, actor, origin=None):
    check_owner(board=board, actor=actor, action="change who can open it")
    board.shared_with_all = bool(shared)
    board.save(update_fields=["shared_with_all"])
    record_event(
        board=board,
        type="board.sharing_changed",
        payload={"shared_with_all": board.shared_with_all},
        actor=actor,
        origin=origin,
    )
    return board


@transaction.atomic
def board_delete(*, board, actor):
    """
    Delete the board, once the changes being made to it have committed: with
    its row locked, nothing is added to it between the collection of what
    goes with it and its deletion. Its open connections are closed once this
    commits (boardsite.collab.signals).
    """
    check_owner(board=board, actor=actor, action="delete it")
    lock_board_row(board)
    board.delete()
