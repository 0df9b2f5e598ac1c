"""
Copying a card, or moving it, to another board the person can open (or to
another place on its own board, for a copy).

The copy keeps the title, description, due date, the labels the other
board has by the same name (the others are named in the answer), the
assignees who are on that board, and the checklists with their ticks; a
move also takes the comments and the watchers who can open that board, and
deletes the card from its board. Both boards are locked, the one with the
smaller id first, so two moves between the same boards in opposite
directions cannot wait on each other.

A copy is remembered on the board it lands on, like any new card there; a
move is remembered on the board it left, and its undo (there) brings the
card back and deletes the moved one, unless someone changed it since.
"""

from django.db import transaction

from boardsite.collab import selectors as collab_selectors
from boardsite.collab.errors import ActionError
from boardsite.collab.events import Applied, lock_board_row, record_event
from kanban import attachments, checklists, notifications, selectors
from kanban.models import Board, Card, Checklist, ChecklistItem, Comment, HistoryEntry, Label
from kanban.services import (
    CARD,
    card_create,
    check_not_locked,
    check_version,
    get_card,
    get_column,
    lock_board,
    members_among,
    remember,
    stored_card_state,
)


def check_target(*, slug, actor):
    """The board named by `slug`, if the actor may open it (otherwise it is not found, as everywhere)."""
    target = collab_selectors.board_for_user(board_model=Board, slug=slug, user=actor) if isinstance(slug, str) else None
    if target is None:
        raise ActionError("not_found", "There is no such board you can open.", board=slug)
    return target


def lock_both(*, board, target, actor, origin):
    """Lock the two boards (or the one), the smaller id first; the actor must still be allowed on both."""
    for each in sorted({board.pk: board, target.pk: target}.values(), key=lambda each: each.pk):
        if each == board:
            lock_board(board, actor=actor, origin=origin)
        elif lock_board_row(each) is None or not collab_selectors.user_may_change(board=each, user=actor):
            raise ActionError("not_found", "There is no such board you can open.", board=each.slug)


def other_board(entry):
    """The board a card-transfer entry moved its card to (its undo and redo change it too), or None."""
    if entry is None or entry.subject != CARD or entry.action != HistoryEntry.Action.TRANSFER:
        return None
    return Board.objects.filter(pk=entry.after["board"]).first()


def labels_by_name(*, card, target):
    """(the target's label ids named as the card's labels, the names it has none of)."""
    names = list(card.labels.order_by("name").values_list("name", flat=True))
    found = dict(Label.objects.filter(board=target, name__in=names).values_list("name", "pk"))
    return [found[name] for name in names if name in found], [name for name in names if name not in found]


def assignees_on(*, card, target):
    """The card's assignees who are on the target board too."""
    return members_among(board=target, user_ids=list(card.assignees.values_list("pk", flat=True)))


def copy_card(*, card, target, column_id, actor, with_comments):
    """
    Make the card on `target` (its event to every connection there); its
    checklists, and its comments if asked, come with it. Returns (the new
    card's ack details, the label names left behind).
    """
    label_ids, left_behind = labels_by_name(card=card, target=target)
    assignee_ids = assignees_on(card=card, target=target)
    created = card_create(
        board=target, column_id=column_id, title=card.title, description=card.description,
        assignee_ids=assignee_ids, label_ids=label_ids, due_date=card.due_date, actor=actor,
        remembered=False,
    ).details
    new = Card.objects.get(pk=created["card"]["id"])
    for checklist in Checklist.objects.filter(card=card).order_by("position", "id"):
        copy = Checklist.objects.create(board=target, card=new, title=checklist.title, position=checklist.position)
        ChecklistItem.objects.bulk_create(
            ChecklistItem(board=target, checklist=copy, text=item.text, done=item.done, position=item.position)
            for item in checklist.items.order_by("position", "id")
        )
    checklists.recount(card_ids=[new.pk])
    if with_comments:
        Comment.objects.bulk_create(
            Comment(board=target, card=new, author_id=comment.author_id, body=comment.body, body_html=comment.body_html,
                    created_at=comment.created_at, edited_at=comment.edited_at)
            for comment in Comment.objects.filter(card=card).order_by("created_at", "id")
        )
        Card.objects.filter(pk=new.pk).update(comment_count=card.comment_count)
        watchers = notifications.who_may_open(board=target, users=list(card.watchers.all()))
        new.watchers.add(*watchers)
    return new, left_behind


def card_copy(*, board, card_id, target, column_id, actor, connection=None, origin=None):
    """
    Copy a card to a column of a board the actor can open (this one too).
    Answered without a seq when the copy lands on another board: this
    connection sees it there when it opens that board.
    """
    target_board = check_target(slug=target, actor=actor)
    with transaction.atomic():
        lock_both(board=board, target=target_board, actor=actor, origin=origin)
        card = get_card(board=board, card_id=card_id)
        get_column(board=target_board, column_id=column_id)
        new, left_behind = copy_card(card=card, target=target_board, column_id=column_id, actor=actor, with_comments=False)
        attachments.copy_files(card=card, to_card=new, to_board=target_board, actor=actor)
        new.refresh_from_db()
        remember(board=target_board, actor=actor, subject=CARD, object_id=new.pk, action=HistoryEntry.Action.CREATE,
                 before=None, after=stored_card_state(new),
                 version_after=new.version)
        return Applied(seq=None, details={
            "event": "card.copied", "card": card.pk, "copy": new.pk,
            "board": {"slug": target_board.slug, "name": target_board.name}, "labels_left_behind": left_behind,
        })


def card_move_to_board(*, board, card_id, version, target, column_id, actor, connection=None, origin=None):
    """
    Move a card to a column of another board the actor can open: made there
    with its checklists, comments and watchers, and deleted here
    (`card.deleted` with `moved_to`, this connection's ack).
    """
    target_board = check_target(slug=target, actor=actor)
    if target_board == board:
        raise ActionError("invalid_field", "To move a card on its own board, drag it (or use card.move).")
    with transaction.atomic():
        lock_both(board=board, target=target_board, actor=actor, origin=origin)
        card = get_card(board=board, card_id=card_id)
        check_version(card=card, version=version)
        check_not_locked(card=card, connection=connection)
        get_column(board=target_board, column_id=column_id)
        state = stored_card_state(card)
        new, left_behind = copy_card(card=card, target=target_board, column_id=column_id, actor=actor,
                                     with_comments=True)
        attachments.carry(card_id=card.pk, to_card_id=new.pk, to_board=target_board)
        attachments.cards_back(states={new.pk: {"cover": card.cover_id}})
        new.refresh_from_db()
        remember(board=board, actor=actor, subject=CARD, object_id=card.pk, action=HistoryEntry.Action.TRANSFER,
                 before=state, after={"board": target_board.pk, "card": new.pk}, version_after=new.version)
        event = remove_moved(board=board, card=card, target=target_board, actor=actor, origin=origin)
        return Applied.recorded({**event.payload, "labels_left_behind": left_behind})


def remove_moved(*, board, card, target, actor, origin):
    column_id, title, card_id = card.column_id, card.title, card.pk
    card.delete()
    return record_event(
        board=board, type="card.deleted",
        payload={"card": card_id, "column": column_id, "title": title,
                 "moved_to": {"slug": target.slug, "name": target.name}},
        actor=actor, origin=origin,
    )


def apply_transfer_history(*, board, entry, actor, connection, origin, undo, rendered, recreate):
    """
    Undo (on the board the card left) deletes the moved card from the other
    board, unless someone changed it since, and brings this one back; redo
    moves it again. `recreate` is kanban.history.card_recreate.
    """
    target = Board.objects.filter(pk=entry.after["board"]).first()
    if target is None or lock_board_row(target) is None:
        raise ActionError("not_found", "The board the card was moved to has been deleted.")
    if undo:
        moved = get_card(board=target, card_id=entry.after["card"])
        if moved.version != entry.version_after:
            raise ActionError("conflict", "The moved card was changed on the other board since.", card=moved.pk)
        check_not_locked(card=moved, connection=None)
        entry.after = {**entry.after, "state": stored_card_state(moved)}
        column_id, title = moved.column_id, moved.title
        attachments.carry(card_id=moved.pk, to_card_id=entry.object_id, to_board=board)
        moved.delete()
        record_event(board=target, type="card.deleted", payload={"card": entry.after["card"], "column": column_id,
                                                                 "title": title}, actor=actor, origin=None)
        return recreate(board=board, card_id=entry.object_id, state=entry.before, entry=entry, actor=actor,
                        origin=origin, rendered=rendered)
    card = get_card(board=board, card_id=entry.object_id)
    if card.version != entry.version_after:
        raise ActionError("conflict", "The card was changed by someone else since.", card=card.pk)
    check_not_locked(card=card, connection=connection)
    attachments.carry(card_id=card.pk, to_card_id=entry.after["card"], to_board=target)
    recreate(board=target, card_id=entry.after["card"], state=entry.after["state"], entry=entry, actor=actor,
             origin=None, rendered=rendered)
    return remove_moved(board=board, card=card, target=target, actor=actor, origin=origin).payload


def destinations(*, user):
    """The boards (with their columns) `user` can send a card to: every kanban board they can open."""
    boards = collab_selectors.boards_for_user(board_model=Board, user=user).order_by("name", "pk")
    columns = {}
    for column in selectors.active_columns_of(boards=boards):
        columns.setdefault(column.board_id, []).append({"id": column.pk, "title": column.title})
    return [{"slug": board.slug, "name": board.name, "columns": columns.get(board.pk, [])} for board in boards]
