"""
Notifications in the site, and the cards people watch.

A person hears of: a comment that mentions them, a card assigned to them by
someone else, a comment on a card they watch. Whoever creates a card, is
assigned it or comments on it watches it; anyone who can open the board can
watch or unwatch a card (kanban.services.card_watch). Notifications are made by the services that make
the change (kanban.comments, kanban.services), in the same transaction, and
sent once it commits to every page the recipient has open, on any board
(`notification` frames); pages without a socket read the unread count when
they load. Nobody is notified of their own change, nor about a board they
can no longer open.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from boardsite.collab.events import send_to_user_on_commit
from boardsite.collab.selectors import access_filter
from kanban.models import Board, Card, Notification

EXCERPT_LENGTH = 140
PAGE_SIZE = 50


def excerpt_of(text):
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"


def notification_frame(notification, *, board=None):
    board = board or notification.board
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "board": {"slug": board.slug, "name": board.name},
        "card": notification.card_id,
        "card_title": notification.card_title,
        "actor": notification.actor.get_username() if notification.actor_id else None,
        "excerpt": notification.excerpt,
        "created_at": notification.created_at.isoformat(),
        "read": notification.read_at is not None,
    }


def comment_recipients(*, board, card, mentioned_ids, actor):
    """
    `(recipients, actor_watches)` for a new comment: {user id: kind} for
    those it mentions and the card's other watchers, who can open the board,
    but the actor; and whether the actor watches the card already. One query.
    """
    watchers = Card.watchers.through.objects.filter(card=card, user=OuterRef("pk"))
    people = get_user_model().objects.filter(
        Q(pk__in=mentioned_ids) | Q(pk=actor.pk) | Q(pk__in=watchers.values("user")), is_active=True
    )
    if not board.shared_with_all:
        people = people.filter(Q(pk=board.owner_id) | Q(pk__in=board.members.values("pk")))
    recipients, actor_watches = {}, False
    for user_id, watching in people.annotate(watching=Exists(watchers)).values_list("pk", "watching"):
        if user_id == actor.pk:
            actor_watches = watching
        elif user_id in mentioned_ids:
            recipients[user_id] = Notification.Kind.MENTION
        elif watching:
            recipients[user_id] = Notification.Kind.COMMENT
    return recipients, actor_watches


def who_may_open(*, board, users):
    """Those of `users` who can open the board now (the owner, its members, any active user if it is shared); one query."""
    allowed = get_user_model().objects.filter(pk__in={user.pk for user in users}, is_active=True)
    if not board.shared_with_all:
        allowed = allowed.filter(Q(pk=board.owner_id) | Q(pk__in=board.members.values("pk")))
    allowed = set(allowed.values_list("pk", flat=True))
    return [user for user in users if user.pk in allowed]


def notify(*, board, card, recipients, actor, comment=None, excerpt=""):
    """
    Store a notification for each of `recipients` ({user id: kind}, people
    who can open the board, not the actor), and send each to its recipient
    once the transaction commits. Runs inside the change's transaction.
    """
    if not recipients:
        return []
    actor = actor if actor is not None and actor.is_authenticated else None
    created = Notification.objects.bulk_create(
        Notification(recipient_id=user_id, actor=actor, board=board, kind=kind, card_id=card.pk, card_title=card.title,
                     comment=comment, excerpt=excerpt)
        for user_id, kind in recipients.items()
    )
    for notification in created:
        send_to_user_on_commit(notification.recipient_id,
                               {"type": "notification", "notification": notification_frame(notification, board=board)})
    return created


def watch(*, card, user):
    """`user` watches `card` from now on (creating, being assigned or commenting); their pages hear it."""
    if user is not None and user.is_authenticated:
        card.watchers.add(user)
        send_to_user_on_commit(user.pk, {"type": "card.watching", "card": card.pk, "watching": True})


# Reading and marking read (the notifications page)


def unread_count(*, user):
    return visible_to(user).filter(read_at=None).count()


def visible_to(user):
    """The user's notifications about boards they can still open."""
    boards = Board.objects.filter(access_filter(user)).values("pk")
    return Notification.objects.filter(recipient=user, board__in=boards)


def notifications_page(*, user, limit=PAGE_SIZE):
    """The user's newest notifications, with their boards and actors."""
    return list(visible_to(user).select_related("board", "actor").order_by("-created_at", "-id")[:limit])


@transaction.atomic
def mark_read(*, user, ids=None):
    """
    Mark the user's notifications read: those of `ids`, or all. Their other
    pages hear the new unread count. Returns it.
    """
    unread = Notification.objects.filter(recipient=user, read_at=None)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    marked = list(unread.values_list("pk", flat=True))
    unread.update(read_at=timezone.now())
    count = unread_count(user=user)
    if marked:
        send_to_user_on_commit(user.pk, {"type": "notifications.read", "ids": marked, "unread": count})
    return count
