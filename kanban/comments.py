"""
Comments on cards, and the board members they mention.

Every comment change goes through here, whoever makes it (the websocket,
the admin, the demo data), and follows the rules of kanban.services: one
transaction that starts with the board's row lock, checks that change
nothing when they refuse, the event recorded and broadcast on commit, and
the change remembered for its author's undo (kanban.history). The body is
rendered before the transaction, as descriptions are, so the lock is never
held while Markdown is parsed.

Comments do not change their card's `version`: someone writing a comment
never makes someone else's edit of the card a conflict. The card keeps its
`comment_count`, which its frame carries to every page.

A mention is `@username` in the text, outside code and links, naming the
owner or a member of the board; a comment that names anyone else is refused
(`not_member`), so nobody is told they were mentioned where they cannot look.
"""

import re

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from boardsite.collab.errors import ActionError
from boardsite.collab.events import Applied, record_event
from boardsite.collab.selectors import board_members
from kanban.descriptions import render_description
from kanban.frames import comment_frame
from kanban import notifications
from kanban.models import COMMENT_MAX_LENGTH, Card, Comment, HistoryEntry
from kanban.selectors import comment_state
from kanban.services import COMMENT, clean_text, get_card, lock_board, remember

MAX_COMMENTS_PER_CARD = 1_000
# `@name` not glued to a word before it (an e-mail address is not a mention);
# a name ends on a letter or digit, so "@bob," and "@bob." mention bob.
MENTION = re.compile(r"(?<![\w.@+-])@([\w.+-]*\w)")
# Mentions are not looked for in code, where `@decorator` is code, nor in a link's text.
UNMARKED_ELEMENTS = ("code", "pre", "a")
TAG = re.compile(r"(<[^>]*>)")


def clean_body(body):
    return clean_text(body, field="comment", max_length=COMMENT_MAX_LENGTH, single_line=False)


def mentionable(*, board):
    """{casefolded username: user} for the owner and members, as `mentioned` looks them up."""
    return {user.get_username().casefold(): user for user in board_members(board=board)}


def mentioned(*, board, html, strict, members=None):
    """
    `(html, users)`: the rendered comment with each mention of a board member
    wrapped in `<span class="mention">`, and those members. `html` is
    sanitised HTML, so its text holds no `<`; usernames hold no character
    HTML escapes. `strict`: refuse a mention of anyone else (new text); an
    undo brings back old text whose mentioned may have left, and marks only
    those still on the board. `members` (from `mentionable`) is read from
    the board when not given, and only once the text has an `@name`.
    """
    found, unknown = {}, []

    def mark(match):
        nonlocal members
        if members is None:
            members = mentionable(board=board)
        user = members.get(match.group(1).casefold())
        if user is None:
            unknown.append(match.group(0))
            return match.group(0)
        found[user.pk] = user
        return f'<span class="mention">@{user.get_username()}</span>'

    pieces, inside = [], []
    for piece in TAG.split(html):
        if piece.startswith("<"):
            name = piece.strip("</>").split()[0].lower() if piece.strip("</>") else ""
            if name in UNMARKED_ELEMENTS and not piece.endswith("/>"):
                if piece.startswith("</"):
                    if inside and inside[-1] == name:
                        inside.pop()
                else:
                    inside.append(name)
            pieces.append(piece)
        else:
            pieces.append(piece if inside else MENTION.sub(mark, piece))
    if strict and unknown:
        names = ", ".join(dict.fromkeys(unknown))
        raise ActionError(
            "not_member",
            f"Nobody on this board is called {names}: mention members only "
            "(or put it in `backticks` to keep it as written).",
        )
    return "".join(pieces), list(found.values())


def check_may_change(*, comment, actor, deleting):
    """Authors edit and delete their comments; the board's owner deletes any; so do those allowed to in the admin."""
    if actor is not None and comment.author_id == actor.pk:
        return
    if deleting and (comment.board.owner_id == getattr(actor, "pk", None) or actor.has_perm("kanban.delete_comment")):
        return
    if not deleting and actor is not None and actor.has_perm("kanban.change_comment"):
        return
    raise ActionError(
        "forbidden",
        "Only its author or the board’s owner can delete a comment." if deleting else "Only its author can edit a comment.",
        comment=comment.pk,
    )


def check_version(*, comment, version):
    if comment.version != version:
        raise ActionError(
            "conflict",
            "This comment was edited since you last saw it; you now see its new text.",
            comment=frame_of(comment),
        )


def get_comment(*, board, comment_id):
    comment = Comment.objects.filter(board=board, pk=comment_id).select_related("author", "card", "board").first()
    if comment is None:
        raise ActionError("not_found", "That comment does not exist on this board (it may have been deleted).",
                          comment=comment_id)
    return comment


def frame_of(comment):
    return comment_frame(comment, mention_ids=comment.mentions.values_list("pk", flat=True))


def count_changed(card, by):
    card.comment_count += by
    type(card).objects.filter(pk=card.pk).update(comment_count=card.comment_count)


def comment_create(*, board, card_id, body, client_key="", actor, connection=None, origin=None):
    """
    Add `actor`'s comment to a card. A `client_key` already used on the board
    answers with that comment, unchanged and with no seq: the client is
    sending again a comment whose ack it lost.
    """
    body = clean_body(body)
    html = render_description(body)
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        if client_key:
            existing = Comment.objects.filter(board=board, client_key=client_key).select_related("author", "card").first()
            if existing is not None:
                return Applied.recorded({"type": "comment.created", "seq": None, "comment": frame_of(existing),
                                         "comments": existing.card.comment_count, "duplicate": True})
        card = get_card(board=board, card_id=card_id)
        if card.comment_count >= MAX_COMMENTS_PER_CARD:
            raise ActionError("too_many", f"A card holds at most {MAX_COMMENTS_PER_CARD:,} comments.", card=card.pk)
        html, mentions = mentioned(board=board, html=html, strict=True)
        comment = Comment.objects.create(board=board, card=card, author=actor, body=body, body_html=html,
                                         client_key=client_key)
        Comment.mentions.through.objects.bulk_create(
            Comment.mentions.through(comment=comment, user=user) for user in mentions
        )
        count_changed(card, +1)
        tell_of(board=board, card=card, comment=comment, mentions=mentions, actor=actor)
        mention_ids = [user.pk for user in mentions]
        remember(board=board, actor=actor, subject=COMMENT, object_id=comment.pk, action=HistoryEntry.Action.CREATE,
                 before=None, after=comment_state(comment, mention_ids=mention_ids), version_after=comment.version)
        return Applied.recorded(record_event(
            board=board, type="comment.created",
            payload={"comment": comment_frame(comment, mention_ids=mention_ids), "comments": card.comment_count,
                     "title": card.title},
            actor=actor, origin=origin,
        ))


def tell_of(*, board, card, comment, mentions, actor):
    """The commenter watches the card from now on; those mentioned, then its other watchers, are notified."""
    recipients, actor_watches = notifications.comment_recipients(
        board=board, card=card, mentioned_ids={user.pk for user in mentions}, actor=actor
    )
    if not actor_watches:
        notifications.watch(card=card, user=actor)
    notifications.notify(board=board, card=card, recipients=recipients, actor=actor, comment=comment,
                         excerpt=notifications.excerpt_of(comment.body))


def comment_update(*, board, comment_id, version, body, actor, connection=None, origin=None):
    """Change the text of `actor`'s own comment, made to its `version`."""
    body = clean_body(body)
    html = render_description(body)
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        comment = get_comment(board=board, comment_id=comment_id)
        check_may_change(comment=comment, actor=actor, deleting=False)
        check_version(comment=comment, version=version)
        before = comment.body
        html, mentions = mentioned(board=board, html=html, strict=True)
        frame = set_body(comment, body=body, html=html, mentions=mentions)
        remember(board=board, actor=actor, subject=COMMENT, object_id=comment.pk, action=HistoryEntry.Action.UPDATE,
                 before={"body": before}, after={"body": body}, version_after=comment.version)
        return Applied.recorded(record_event(
            board=board, type="comment.updated",
            payload={"comment": frame, "title": comment.card.title, "changes": {"body": {"from": before, "to": body}}},
            actor=actor, origin=origin,
        ))


def set_body(comment, *, body, html, mentions):
    """Save a new text (its version grows); returns the comment's frame."""
    comment.body, comment.body_html = body, html
    comment.version += 1
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "body_html", "version", "edited_at"])
    comment.mentions.set(mentions)
    return comment_frame(comment, mention_ids=[user.pk for user in mentions])


def comment_delete(*, board, comment_id, version, actor, connection=None, origin=None):
    """Delete a comment (its author's own, or any as the board's owner), made to its `version`."""
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        comment = get_comment(board=board, comment_id=comment_id)
        check_may_change(comment=comment, actor=actor, deleting=True)
        check_version(comment=comment, version=version)
        state = comment_state(comment, mention_ids=comment.mentions.values_list("pk", flat=True))
        remember(board=board, actor=actor, subject=COMMENT, object_id=comment.pk, action=HistoryEntry.Action.DELETE,
                 before=state, after=None)
        return Applied.recorded(remove(board=board, comment=comment, actor=actor, origin=origin))


def remove(*, board, comment, actor, origin):
    """Delete the comment and record `comment.deleted`; returns the event."""
    card, comment_id = comment.card, comment.pk
    comment.delete()
    count_changed(card, -1)
    return record_event(
        board=board, type="comment.deleted",
        payload={"comment": comment_id, "card": card.pk, "comments": card.comment_count,
                 "title": card.title},
        actor=actor, origin=origin,
    )


def recreate(*, board, states, rendered):
    """
    Bring back deleted comments (their states) with their ids, authors (those
    whose accounts still exist), text, mentions (those still on the board),
    versions and times, and their cards' `comment_count`. A comment that
    exists already is left as it is. `rendered`: {body: html}, rendered
    before the transaction.
    """
    present = set(Comment.objects.filter(pk__in=[state["id"] for state in states]).values_list("pk", flat=True))
    states = [state for state in states if state["id"] not in present]
    if not states:
        return []
    members = mentionable(board=board)
    member_ids = {user.pk for user in members.values()}
    existing_users = set(get_user_model().objects.filter(pk__in={state["author"] for state in states}).values_list("pk", flat=True))
    comments = []
    mention_rows = []
    for state in states:
        html = rendered.get(state["body"])
        html, _ = mentioned(board=board, members=members, html=render_description(state["body"]) if html is None else html, strict=False)
        comments.append(Comment(
            pk=state["id"], board=board, card_id=state["card"],
            author_id=state["author"] if state["author"] in existing_users else None,
            body=state["body"], body_html=html, version=state["version"],
            created_at=state["created_at"], edited_at=state["edited_at"],
        ))
        mention_rows += [(state["id"], user_id) for user_id in state["mentions"] if user_id in member_ids]
    Comment.objects.bulk_create(comments)
    Comment.mentions.through.objects.bulk_create(
        Comment.mentions.through(comment_id=comment_id, user_id=user_id) for comment_id, user_id in mention_rows
    )
    recount(card_ids={comment.card_id for comment in comments})
    return comments


def recount(*, card_ids):
    """Set the cards' `comment_count` from their comments (one query)."""
    counted = Comment.objects.filter(card=OuterRef("pk")).order_by().values("card").annotate(n=Count("pk")).values("n")
    Card.objects.filter(pk__in=card_ids).update(comment_count=Coalesce(Subquery(counted), Value(0)))
