"""Reads shared by both apps: which boards a user may open, and the event log."""

from contextlib import contextmanager
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.db import connection, connections, router, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast


@contextmanager
def consistent_read():
    """
    A transaction whose reads all see one moment: a whiteboard snapshot's
    seq must match its strokes exactly, or the events replayed after it
    would be applied twice (and the same of the rows and the changes not
    yet written to them, whiteboard.stored_visibility). SQLite gives that within any transaction; PostgreSQL
    needs REPEATABLE READ, set before the transaction's first query.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


# Events a catch-up reads at a time: what the server holds for one client
# catching up is about one page.
SYNC_PAGE_SIZE = 200


def access_filter(user):
    """Boards `user` may open: owned, shared with them, or shared with everyone."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    return Q(owner=user) | Q(members=user) | Q(shared_with_all=True)


def boards_for_user(*, board_model, user):
    return (
        board_model.objects.filter(pk__in=board_model.objects.filter(access_filter(user)).values("pk"))
        .select_related("owner")
        .order_by("-last_activity_at")
    )


def board_for_user(*, board_model, slug, user, with_owner=True):
    """
    The board with `slug` if `user` may open it, else None (never says
    which). Read by slug, then checked: every websocket connect runs it, and
    `access_filter`'s OR across the members join cost a crowd reconnecting
    an eighth of the server's time compiling and running it. `with_owner`:
    read the owner's user along (a page names them; a socket, which keeps its
    board for as long as it is open, does not, and holds one user fewer).
    """
    if not user.is_authenticated:
        return None
    boards = board_model.objects.filter(slug=slug)
    board = (boards.select_related("owner") if with_owner else boards).first()
    return board if board is not None and user_can_access(board=board, user=user) else None


def user_can_access(*, board, user):
    """`access_filter`'s rule for one board in hand: the owner and the shared in memory, members in one query."""
    if not user.is_authenticated:
        return False
    return board.owner_id == user.pk or board.shared_with_all or board.members.filter(pk=user.pk).exists()


def user_may_change(*, board, user):
    """
    Whether `user` is still active and may open `board`, read in one
    statement. On PostgreSQL it holds a share lock on the user's row until
    the transaction ends, so a deactivation or deletion of the user waits
    for a change this allowed to commit, and a change checked after one
    sees it (SQLite's write lock already orders them). Changes run it under
    the board's row lock (`check_still_allowed`); it is written out because
    every batch of stroke chunks runs it.
    """
    board_model, user_model = type(board), get_user_model()
    connection = connections[router.db_for_write(board_model)]
    quote = connection.ops.quote_name
    members = board_model._meta.get_field("members")
    column = lambda model, name: quote(model._meta.get_field(name).column)  # noqa: E731
    share = " FOR SHARE" if connection.features.has_select_for_update else ""
    statement = (
        f"SELECT 1 FROM {quote(user_model._meta.db_table)} "
        f"WHERE {quote(user_model._meta.pk.column)} = %s AND {column(user_model, 'is_active')} AND EXISTS ("
        f"SELECT 1 FROM {quote(board_model._meta.db_table)} WHERE {column(board_model, 'id')} = %s AND ("
        f"{column(board_model, 'owner')} = %s OR {column(board_model, 'shared_with_all')} OR EXISTS ("
        f"SELECT 1 FROM {quote(members.m2m_db_table())} "
        f"WHERE {quote(members.m2m_column_name())} = %s AND {quote(members.m2m_reverse_name())} = %s))){share}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [user.pk, board.pk, user.pk, board.pk, user.pk])
        return cursor.fetchone() is not None


def session_is_current(*, session_key, user):
    """
    Whether the session `session_key` is still logged in as `user`: not
    logged out (Django flushes the session), expired, or logged in as
    someone else since.
    """
    if not session_key:
        return False
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return session.get(SESSION_KEY) == user._meta.pk.value_to_string(user)


def board_members(*, board):
    """The owner first, then the members by name."""
    return [board.owner, *board.members.exclude(pk=board.owner_id).order_by("username")]


def sync_start(*, board, since):
    """
    The board's latest seq and the first page of events after `since` (as
    `event_texts_after`), read together: a `sync` needs both. None for the
    page when `since` is past the latest seq.
    """
    latest = type(board).objects.values_list("last_seq", flat=True).get(pk=board.pk)
    return latest, (event_texts_after(board=board, since=since) if since <= latest else None)


def event_texts_after(*, board, since, limit=SYNC_PAGE_SIZE):
    """
    (seq, frame text) of the stored events with seq > since, oldest first,
    at most `limit`: the JSON text as the database holds it, not decoded and
    encoded again (PostgreSQL's jsonb gives it its own spacing and key order).
    """
    return list(
        board.events.filter(seq__gt=since).order_by("seq")
        .values_list("seq", Cast("payload", output_field=TextField()))[:limit]
    )



def event_frames_between(*, board, after, before):
    """Stored event frames with after < seq < before, oldest first."""
    return list(
        board.events.filter(seq__gt=after, seq__lt=before).order_by("seq").values_list("payload", flat=True)
    )
