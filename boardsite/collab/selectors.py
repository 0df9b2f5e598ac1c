"""Reads shared by both apps: which boards a user may open, and the event log."""

from django.db.models import Q, TextField
from django.db.models.functions import Cast

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


def board_for_user(*, board_model, slug, user):
    """The board with `slug` if `user` may open it, else None (never says which)."""
    if not user.is_authenticated:
        return None
    return board_model.objects.filter(access_filter(user), slug=slug).select_related("owner").first()


def user_can_access(*, board, user):
    return type(board).objects.filter(access_filter(user), pk=board.pk).exists()


def board_members(*, board):
    """The owner first, then the members by name."""
    return [board.owner, *board.members.exclude(pk=board.owner_id).order_by("username")]


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
