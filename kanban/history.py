"""
Undo and redo. Each user's changes to cards, columns, labels and comments
are remembered per board (kanban.services.remember); undo applies the
inverse of the newest one still done, redo re-applies the newest one undone
(unless the user has made a new change since). Both record their event like
any other change, under the board's lock, so everyone sees them.

An entry that can no longer apply (the thing changed since, or is gone) is
dropped, and the user is told why.
"""

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from boardsite.collab.errors import ActionError
from boardsite.collab.events import Applied, record_event
from kanban import archive, attachments, checklists, comments, lanes, selectors, transfer
from kanban.descriptions import render_description, render_descriptions
from kanban.frames import checklist_frame, checklist_head, column_frame, item_frame, label_frame
from kanban.models import Card, Checklist, Column, Comment, HistoryEntry, Label
from kanban.services import (
    ATTACHMENT,
    CARD,
    CHECKLIST,
    COLUMN,
    COMMENT,
    ITEM,
    LABEL,
    LANE,
    MAX_CARDS_PER_BOARD,
    MAX_COLUMNS_PER_BOARD,
    MAX_LABELS_PER_BOARD,
    MAX_LABELS_PER_CARD,
    active_columns,
    apply_changes,
    card_index,
    check_card_room,
    check_not_locked,
    check_wip_limit,
    clean_due_date,
    clean_time,
    clean_label_name,
    column_fields,
    column_index,
    column_state,
    description_html,
    field_changes,
    finish_change,
    frame_for,
    get_card,
    get_column,
    get_label,
    label_fields,
    label_state,
    lane_ids,
    lock_board,
    members_among,
    renumber_columns,
    stored_card_state,
    trim_history,
)


def history_undo(*, board, actor, connection=None, origin=None):
    return replay_history(board=board, actor=actor, connection=connection, origin=origin, undo=True)


def history_redo(*, board, actor, connection=None, origin=None):
    return replay_history(board=board, actor=actor, connection=connection, origin=origin, undo=False)


# Refusals that will never go away for this entry (a lock or a WIP limit might).
STALE_HISTORY_CODES = ("conflict", "not_found", "out_of_range", "not_member")


def replay_history(*, board, actor, connection, origin, undo):
    """
    Undo or redo one entry. An entry that can no longer apply because the card
    changed, or it or its column is gone, is dropped, so the next undo reaches
    the change before it; the user is told why.
    """
    stale = None
    peeked = newest_entry(board=board, actor=actor, undo=undo)
    rendered = render_descriptions(history_texts(peeked, undo=undo))
    other = transfer.other_board(peeked)
    with transaction.atomic():
        if other is None:
            lock_board(board, actor=actor, origin=origin)
        else:
            # Both boards, in the one order every change to two boards takes them: two crossing
            # undos of moves between the same boards then wait for each other, never deadlock.
            transfer.lock_both(board=board, target=other, actor=actor, origin=origin)
        entry = newest_entry(board=board, actor=actor, undo=undo)
        if entry is None:
            raise ActionError("nothing_to_undo" if undo else "nothing_to_redo",
                              "There is nothing to undo." if undo else "There is nothing to redo.")
        version_before = entry.version_after
        try:
            with transaction.atomic():
                frame = apply_history(board=board, entry=entry, actor=actor, connection=connection,
                                      origin=origin, undo=undo, rendered=rendered)
                if undo:
                    carry_version_back(entry=entry, version_before=version_before)
        except ActionError as error:
            if error.code not in STALE_HISTORY_CODES:
                raise
            entry.delete()
            stale = error
        else:
            entry.state = HistoryEntry.State.UNDONE if undo else HistoryEntry.State.DONE
            entry.undone_at = timezone.now() if undo else None
            entry.save(update_fields=["state", "undone_at", "version_after", "before", "after"])
            trim_history(board=board, user=actor)
            return Applied.recorded({**frame, "history": selectors.history_status(board=board, user=actor)})
    verb = "undo" if undo else "redo"
    raise ActionError(
        stale.code,
        f"Cannot {verb} that change: {stale.message[0].lower()}{stale.message[1:]}",
        **stale.details,
        history=selectors.history_status(board=board, user=actor),
    )


def carry_version_back(*, entry, version_before):
    """
    Undoing an edit leaves its card, comment or item as the user's previous
    change to it left it, if nobody changed it in between (its version then
    was one less than after the edit, as every change adds one): that
    change's entry takes the new version, so undoing it next is not taken
    for someone else's change (create, edit, Undo, Undo deletes the card).
    """
    if version_before is None or entry.version_after is None or entry.version_after == version_before:
        return
    previous = (
        HistoryEntry.objects.filter(board_id=entry.board_id, user_id=entry.user_id, subject=entry.subject,
                                    object_id=entry.object_id, state=HistoryEntry.State.DONE, pk__lt=entry.pk)
        .order_by("-pk")
        .first()
    )
    if previous is not None and previous.version_after == version_before - 1:
        previous.version_after = entry.version_after
        previous.save(update_fields=["version_after"])


def newest_entry(*, board, actor, undo):
    """The entry an undo (or redo) applies now."""
    return selectors.newest_done(board=board, user=actor) if undo else selectors.next_redo(board=board, user=actor)


def history_texts(entry, *, undo):
    """The card descriptions and comments that undoing (or redoing) `entry` sets: to render before the transaction."""
    state = (entry.before if undo else entry.after) if entry is not None else None
    if not state:
        return []
    if entry.subject == COMMENT:
        return [state["body"]]
    if entry.subject == CARD and entry.action == HistoryEntry.Action.TRANSFER and not undo:
        state = state.get("state", {})
    cards = [state] if entry.subject == CARD else state.get("cards", []) if entry.subject == COLUMN else []
    return [card["description"] for card in cards if "description" in card] + [
        comment["body"] for card in cards for comment in card.get("comments", [])
    ]


def apply_history(*, board, entry, actor, connection, origin, undo, rendered):
    """
    Apply an entry's inverse (undo) or the entry again (redo); records the
    event; updates the entry's states. `rendered`: as for `apply_changes`.
    """
    if entry.subject == LABEL:
        return apply_label_history(board=board, entry=entry, actor=actor, connection=connection, origin=origin, undo=undo)
    if entry.subject == LANE:
        return lanes.apply_lane_history(board=board, entry=entry, actor=actor, connection=connection, origin=origin,
                                        undo=undo)
    if entry.subject == ATTACHMENT:
        return attachments.apply_attachment_history(board=board, entry=entry, actor=actor, connection=connection,
                                                    origin=origin, undo=undo)
    apply = {CARD: apply_card_history, COLUMN: apply_column_history, COMMENT: apply_comment_history,
             CHECKLIST: apply_checklist_history, ITEM: apply_item_history}[entry.subject]
    return apply(board=board, entry=entry, actor=actor, connection=connection, origin=origin, undo=undo,
                 rendered=rendered)


def history_direction(entry, *, undo):
    """
    (recreate, remove): whether undoing (or redoing) `entry` brings its card,
    column or label back, or takes it away again.
    """
    Action = HistoryEntry.Action
    recreate = (entry.action == Action.DELETE and undo) or (entry.action == Action.CREATE and not undo)
    remove = (entry.action == Action.CREATE and undo) or (entry.action == Action.DELETE and not undo)
    return recreate, remove


def apply_card_history(*, board, entry, actor, connection, origin, undo, rendered):
    """Cards: a version other than `version_after` means someone else changed the card since."""
    action = entry.action
    if action in (HistoryEntry.Action.ARCHIVE, HistoryEntry.Action.RESTORE):
        return archive.apply_card_archive_history(board=board, entry=entry, actor=actor, connection=connection,
                                                  origin=origin, undo=undo)
    if action == HistoryEntry.Action.COVER:
        return attachments.apply_cover_history(board=board, entry=entry, actor=actor, connection=connection,
                                               origin=origin, undo=undo)
    if action == HistoryEntry.Action.TRANSFER:
        return transfer.apply_transfer_history(board=board, entry=entry, actor=actor, connection=connection,
                                               origin=origin, undo=undo, rendered=rendered, recreate=card_recreate)
    recreate, remove = history_direction(entry, undo=undo)
    if recreate:
        return card_recreate(board=board, card_id=entry.object_id, state=entry.before if undo else entry.after,
                             entry=entry, actor=actor, origin=origin, rendered=rendered)
    card = get_card(board=board, card_id=entry.object_id)
    if card.version != entry.version_after:
        raise ActionError("conflict", "The card was changed by someone else since.", card=frame_for(card))
    check_not_locked(card=card, connection=connection)
    if remove:
        state = stored_card_state(card)
        if action == HistoryEntry.Action.DELETE:
            entry.before = state
        else:
            entry.after = state
        entry.version_after = card.version
        column_id = card.column_id
        card.delete()
        return record_event(board=board, type="card.deleted",
                            payload={"card": entry.object_id, "column": column_id, "title": card.title},
                            actor=actor, origin=origin).payload
    if action == HistoryEntry.Action.UPDATE:
        before, after = apply_changes(board=board, card=card, changes=entry.before if undo else entry.after,
                                      rendered=rendered)
        frame = finish_change(card=card, connection=connection)
        entry.version_after = card.version
        return record_event(board=board, type="card.updated",
                            payload={"card": frame, "changes": field_changes(before, after)}, actor=actor,
                            origin=origin).payload
    place = entry.before if undo else entry.after
    target = get_column(board=board, column_id=place["column"], with_card_count=True)
    if target.pk != card.column_id:
        check_wip_limit(column=target, adding=1)
    from_column, from_lane = card.column_id, card.lane_id
    card.column, card.position = target, place["position"]
    if "lane" in place:  # moves remembered before lanes have none
        card.lane_id = lanes.lane_for(board=board, lane_id=place["lane"])
    frame = finish_change(card=card, connection=connection)
    entry.version_after = card.version
    return record_event(board=board, type="card.moved",
                        payload={"card": frame, "column": target.pk, "index": card_index(card),
                                 "from_column": from_column, "from_lane": from_lane},
                        actor=actor, origin=origin).payload


def card_recreate(*, board, card_id, state, entry, actor, origin, rendered):
    """
    Bring a deleted card back with its id, version, fields and place (and the
    labels that still exist). Keeping the version keeps the user's earlier
    history entries for the card applicable. A card deleted from the archive
    goes back into it (`card.archived`: nobody's board shows it).
    """
    archived_at = state.get("archived_at")
    column = get_column(board=board, column_id=state["column"], with_card_count=True, include_archived=bool(archived_at))
    if not archived_at:
        check_wip_limit(column=column, adding=1)
    check_card_room(board=board)
    card = Card.objects.create(
        pk=card_id,
        board=board,
        column=column,
        title=state["title"],
        description=state["description"],
        description_html=description_html(state["description"], rendered=rendered),
        due_date=clean_due_date(state["due"]),
        **schedule_in(state),
        lane_id=lanes.lane_for(board=board, lane_id=state.get("lane")),
        position=state["position"],
        version=state["version"],
        archived_at=archived_at,
    )
    card.assignees.set(members_among(board=board, user_ids=assignees_in(state)))
    label_ids = list(Label.objects.filter(board=board, pk__in=state["labels"]).values_list("pk", flat=True))
    card.labels.set(label_ids)
    comments.recreate(board=board, states=state.get("comments", []), rendered=rendered)
    if state.get("checklists"):
        checklists.recreate_checklists(board=board, states=state["checklists"])
        checklists.recount(card_ids=[card.pk])
    attachments.cards_back(states={card.pk: state})
    entry.version_after = card.version
    card = Card.objects.select_related("column").get(pk=card.pk)
    if archived_at or card.column.archived_at:
        return record_event(board=board, type="card.archived",
                            payload={"card": card.pk, "column": card.column_id, "title": card.title,
                                     "version": card.version}, actor=actor, origin=origin).payload
    return record_event(
        board=board,
        type="card.created",
        payload={"card": frame_for(card), "index": card_index(card)},
        actor=actor,
        origin=origin,
    ).payload


def schedule_in(state):
    """A card state's start and due times (states stored before cards had them have none)."""
    return {"due_time": clean_time(state.get("due_time"), what="due time"),
            "start_date": clean_due_date(state.get("start"), what="start date"),
            "start_time": clean_time(state.get("start_time"), what="start time")}


def assignees_in(state):
    """A card state's assignees (states stored before there could be several name one, or none)."""
    if "assignees" in state:
        return state["assignees"]
    return [state["assignee"]] if state.get("assignee") is not None else []


def apply_column_history(*, board, entry, actor, connection, origin, undo, rendered):
    """
    Columns have no version: the column must still be as the user's change
    (or its undo) left it, and a column to remove must hold no card it did not
    hold then (so nobody's cards are deleted by someone else's undo).
    """
    action, Action = entry.action, HistoryEntry.Action
    if action in (Action.ARCHIVE, Action.RESTORE):
        return archive.apply_column_archive_history(board=board, entry=entry, actor=actor, connection=connection,
                                                    origin=origin, undo=undo)
    recreate, remove = history_direction(entry, undo=undo)
    if recreate:
        return column_recreate(board=board, column_id=entry.object_id, state=entry.before if undo else entry.after,
                               actor=actor, origin=origin, rendered=rendered)
    column = get_column(board=board, column_id=entry.object_id)
    if remove:
        left = entry.after if action == Action.CREATE else entry.before
        if column_fields(column) != {"title": left["title"], "wip_limit": left["wip_limit"]}:
            raise ActionError("conflict", "The column was changed by someone else since.", column=column.pk)
        state = column_state(column)
        left_cards = [(card["id"], card["version"]) for card in left.get("cards", [])]
        if [(card["id"], card["version"]) for card in state["cards"]] != left_cards:
            raise ActionError("conflict", "The column's cards were changed since.", column=column.pk)
        now = timezone.now()
        for card in column.cards.select_related("locked_by").filter(lock_expires_at__gt=now):
            check_not_locked(card=card, connection=connection, now=now)
        if action == Action.CREATE:
            entry.after = state
        else:
            entry.before = state
        column.delete()
        return record_event(board=board, type="column.deleted", payload={"column": entry.object_id, "title": column.title},
                            actor=actor, origin=origin).payload
    if action == Action.UPDATE:
        if column_fields(column) != (entry.after if undo else entry.before):
            raise ActionError("conflict", "The column was changed by someone else since.", column=column.pk)
        before = column_fields(column)
        wanted = entry.before if undo else entry.after
        column.title, column.wip_limit = wanted["title"], wanted["wip_limit"]
        column.save(update_fields=["title", "wip_limit"])
        return record_event(board=board, type="column.updated",
                            payload={"column": column_frame(column),
                                     "changes": field_changes(before, column_fields(column))},
                            actor=actor, origin=origin).payload
    # A move: the column must still be where the user's move (or its undo) put it.
    if column_index(column) != (entry.after if undo else entry.before)["index"]:
        raise ActionError("conflict", "The columns were reordered by someone else since.", column=column.pk)
    columns = [other for other in active_columns(board).order_by("position", "id") if other != column]
    index = min((entry.before if undo else entry.after)["index"], len(columns))
    columns.insert(index, column)
    renumber_columns(columns)
    return record_event(board=board, type="column.moved", payload={"column": column.pk, "index": index},
                        actor=actor, origin=origin).payload


def column_recreate(*, board, column_id, state, actor, origin, rendered):
    """
    Bring a column back with its id, title, WIP limit and place, and its cards
    in order with their ids, versions, fields, labels (those that still exist)
    and assignees (those still members). One `column.created` event carries
    the cards, so clients show the column whole.
    """
    if Column.objects.filter(pk=column_id).exists():
        raise ActionError("conflict", "That column is already on the board.", column=column_id)
    columns = list(active_columns(board).order_by("position", "id"))
    archived_at = state.get("archived_at")
    if len(columns) >= MAX_COLUMNS_PER_BOARD and not archived_at:
        raise ActionError("too_many", f"A board has at most {MAX_COLUMNS_PER_BOARD} columns.")
    card_states = state.get("cards", [])
    if card_states and Card.objects.filter(board=board).count() + len(card_states) > MAX_CARDS_PER_BOARD:
        raise ActionError("too_many", f"A board holds at most {MAX_CARDS_PER_BOARD} cards.")
    column = Column.objects.create(pk=column_id, board=board, title=state["title"], wip_limit=state["wip_limit"],
                                   position=0, archived_at=archived_at)
    index = min(state["index"], len(columns))
    if not archived_at:
        columns.insert(index, column)
        renumber_columns(columns)
    existing_labels = set(Label.objects.filter(board=board).values_list("pk", flat=True))
    board_lanes = lane_ids(board)
    members = {board.owner_id, *board.members.values_list("pk", flat=True)}
    cards = Card.objects.bulk_create(
        Card(
            pk=card["id"],
            board=board,
            column=column,
            title=card["title"],
            description=card["description"],
            description_html=description_html(card["description"], rendered=rendered),
            due_date=clean_due_date(card["due"]),
            **schedule_in(card),
            lane_id=card.get("lane") if card.get("lane") in board_lanes else (board_lanes[0] if board_lanes else None),
            position=card["position"],
            version=card["version"],
            archived_at=card.get("archived_at"),
        )
        for card in card_states
    )
    Card.assignees.through.objects.bulk_create(
        Card.assignees.through(card_id=card["id"], user_id=user_id)
        for card in card_states for user_id in assignees_in(card) if user_id in members
    )
    label_ids = {card["id"]: [label for label in card["labels"] if label in existing_labels] for card in card_states}
    Card.labels.through.objects.bulk_create(
        Card.labels.through(card_id=card_id, label_id=label_id)
        for card_id, labels in label_ids.items()
        for label_id in labels
    )
    comments.recreate(board=board, states=[comment for card in card_states for comment in card.get("comments", [])],
                      rendered=rendered)
    lists = [checklist for card in card_states for checklist in card.get("checklists", [])]
    if lists:
        checklists.recreate_checklists(board=board, states=lists)
        checklists.recount(card_ids={checklist["card"] for checklist in lists})
    attachments.cards_back(states={card["id"]: card for card in card_states})
    if archived_at:  # deleted from the archive: back into it
        return record_event(board=board, type="column.archived", payload={"column": column.pk, "title": column.title},
                            actor=actor, origin=origin).payload
    cards = Card.objects.filter(pk__in=[card.pk for card in cards], archived_at=None).order_by("position", "id")
    return record_event(
        board=board,
        type="column.created",
        payload={"column": column_frame(column), "index": index,
                 "cards": archive.card_frames(cards)},
        actor=actor,
        origin=origin,
    ).payload


def apply_label_history(*, board, entry, actor, connection, origin, undo):
    """Labels have no version: the label must still be named and coloured as the user's change left it."""
    action, Action = entry.action, HistoryEntry.Action
    recreate, remove = history_direction(entry, undo=undo)
    if recreate:
        return label_recreate(board=board, label_id=entry.object_id, state=entry.before if undo else entry.after,
                              actor=actor, origin=origin)
    label = get_label(board=board, label_id=entry.object_id)
    left = (entry.after if undo else entry.before) if action != Action.DELETE else entry.before
    if label_fields(label) != {"name": left["name"], "colour": left["colour"]}:
        raise ActionError("conflict", "The label was changed by someone else since.", label=label.pk)
    if remove:
        state = label_state(label)
        if action == Action.CREATE:
            if state["cards"]:
                raise ActionError("conflict", "The label has been put on cards since.", label=label.pk)
            entry.after = label_fields(label)
        else:
            entry.before = state
        label.delete()
        return record_event(board=board, type="label.deleted", payload={"label": entry.object_id, "name": label.name},
                            actor=actor, origin=origin).payload
    wanted = entry.before if undo else entry.after
    label.name = clean_label_name(board=board, name=wanted["name"], renaming=label)
    label.colour = wanted["colour"]
    label.save(update_fields=["name", "colour"])
    return record_event(board=board, type="label.updated", payload={"label": label_frame(label)},
                        actor=actor, origin=origin).payload


def label_recreate(*, board, label_id, state, actor, origin):
    """
    Bring a label back with its id, name and colour, on the cards that had it
    and still exist and have room for it (card versions are unchanged, as
    deleting the label left them).
    The `label.created` event lists those cards.
    """
    if Label.objects.filter(pk=label_id).exists():
        raise ActionError("conflict", "That label is already on the board.", label=label_id)
    if Label.objects.filter(board=board).count() >= MAX_LABELS_PER_BOARD:
        raise ActionError("too_many", f"A board has at most {MAX_LABELS_PER_BOARD} labels.")
    if Label.objects.filter(board=board, name=state["name"]).exists():
        raise ActionError("conflict", f"There is a label called “{state['name']}” again since.")
    label = Label.objects.create(pk=label_id, board=board, name=state["name"], colour=state["colour"])
    # A card that has been given its full MAX_LABELS_PER_CARD since stays as it is.
    card_ids = sorted(
        Card.objects.filter(board=board, pk__in=state.get("cards", []))
        .annotate(label_count=Count("labels"))
        .filter(label_count__lt=MAX_LABELS_PER_CARD)
        .values_list("pk", flat=True)
    )
    label.cards.set(card_ids)
    return record_event(board=board, type="label.created", payload={"label": label_frame(label), "cards": card_ids},
                        actor=actor, origin=origin).payload




def apply_comment_history(*, board, entry, actor, connection, origin, undo, rendered):
    """Comments: a version other than `version_after` means the comment was edited since."""
    recreate, remove = history_direction(entry, undo=undo)
    if recreate:
        state = entry.before if undo else entry.after
        card = get_card(board=board, card_id=state["card"])
        if Comment.objects.filter(pk=entry.object_id).exists():
            raise ActionError("conflict", "That comment is already on the card.", comment=entry.object_id)
        if card.comment_count >= comments.MAX_COMMENTS_PER_CARD:
            raise ActionError("too_many", f"A card holds at most {comments.MAX_COMMENTS_PER_CARD:,} comments.",
                              card=card.pk)
        comments.recreate(board=board, states=[state], rendered=rendered)
        comment = comments.get_comment(board=board, comment_id=entry.object_id)
        entry.version_after = comment.version
        return record_event(
            board=board, type="comment.created",
            payload={"comment": comments.frame_of(comment), "comments": comment.card.comment_count,
                     "title": card.title},
            actor=actor, origin=origin,
        ).payload
    comment = comments.get_comment(board=board, comment_id=entry.object_id)
    if comment.version != entry.version_after:
        raise ActionError("conflict", "The comment was edited since.", comment=comments.frame_of(comment))
    if remove:
        state = selectors.comment_state(comment, mention_ids=comment.mentions.values_list("pk", flat=True))
        if entry.action == HistoryEntry.Action.CREATE:
            entry.after = state
        else:
            entry.before = state
        entry.version_after = comment.version
        return comments.remove(board=board, comment=comment, actor=actor, origin=origin).payload
    before, wanted = comment.body, (entry.before if undo else entry.after)["body"]
    html = rendered.get(wanted) or render_description(wanted)
    html, mentions = comments.mentioned(board=board, html=html, strict=False)
    frame = comments.set_body(comment, body=wanted, html=html, mentions=mentions)
    entry.version_after = comment.version
    return record_event(
        board=board, type="comment.updated",
        payload={"comment": frame, "title": comment.card.title, "changes": {"body": {"from": before, "to": wanted}}},
        actor=actor, origin=origin,
    ).payload


def apply_checklist_history(*, board, entry, actor, connection, origin, undo, rendered):
    """
    Checklists have no version: their title must be as the change left it,
    and one to remove must hold the very items it held then (nobody's items
    are deleted by someone else's undo).
    """
    recreate, remove = history_direction(entry, undo=undo)
    if recreate:
        state = entry.before if undo else entry.after
        card = get_card(board=board, card_id=state["card"])
        if Checklist.objects.filter(pk=entry.object_id).exists():
            raise ActionError("conflict", "That checklist is already on the card.", checklist=entry.object_id)
        if card.checklists.count() >= checklists.MAX_CHECKLISTS_PER_CARD:
            raise ActionError("too_many", f"A card has at most {checklists.MAX_CHECKLISTS_PER_CARD} checklists.",
                              card=card.pk)
        checklists.recreate_checklists(board=board, states=[state])
        checklists.progress_changed(card, total=len(state["items"]), done=sum(item["done"] for item in state["items"]))
        checklist = checklists.get_checklist(board=board, checklist_id=entry.object_id)
        return record_event(
            board=board, type="checklist.created",
            payload={"checklist": checklist_frame(checklist, items=checklists.ordered_items(checklist)),
                     "index": checklists.checklist_index(checklist), "progress": checklists.progress(card)},
            actor=actor, origin=origin,
        ).payload
    checklist = checklists.get_checklist(board=board, checklist_id=entry.object_id)
    if remove:
        left = entry.after if entry.action == HistoryEntry.Action.CREATE else entry.before
        state = selectors.checklist_state(checklist, index=checklists.checklist_index(checklist))
        if checklist.title != left["title"] or item_marks(state) != item_marks(left):
            raise ActionError("conflict", "The checklist was changed by someone else since.", checklist=checklist.pk)
        if entry.action == HistoryEntry.Action.CREATE:
            entry.after = state
        else:
            entry.before = state
        return checklists.remove_checklist(board=board, checklist=checklist, state=state, actor=actor,
                                           origin=origin).payload
    left, wanted = (entry.after, entry.before) if undo else (entry.before, entry.after)
    if checklist.title != left["title"]:
        raise ActionError("conflict", "The checklist was renamed by someone else since.", checklist=checklist.pk)
    checklist.title = wanted["title"]
    checklist.save(update_fields=["title"])
    return record_event(
        board=board, type="checklist.updated",
        payload={"checklist": checklist_head(checklist),
                 "changes": {"title": {"from": left["title"], "to": wanted["title"]}}},
        actor=actor, origin=origin,
    ).payload


def item_marks(state):
    """What says a checklist's items are the same: their ids, versions and ticks, in order."""
    return [(item["id"], item["version"], item["done"]) for item in state.get("items", [])]


def apply_item_history(*, board, entry, actor, connection, origin, undo, rendered):
    """Items: a version other than `version_after` means its text was edited since; ticks and places are compared."""
    Action = HistoryEntry.Action
    if entry.action == Action.CONVERT:
        return apply_conversion_history(board=board, entry=entry, actor=actor, connection=connection, origin=origin,
                                        undo=undo, rendered=rendered)
    recreate, remove = history_direction(entry, undo=undo)
    if recreate:
        item, index = checklists.recreate_item(board=board, state=entry.before if undo else entry.after)
        entry.version_after = item.version
        card = item.checklist.card
        return record_event(
            board=board, type="item.created",
            payload={"item": item_frame(item), "card": card.pk, "index": index, "progress": checklists.progress(card)},
            actor=actor, origin=origin,
        ).payload
    item = checklists.get_item(board=board, item_id=entry.object_id)
    # Ticks and moves compare the tick and the place; what removes or rewrites the text, its version.
    if entry.action not in (Action.CHECK, Action.MOVE) and item.version != entry.version_after:
        raise ActionError("conflict", "The item was edited by someone else since.", item=item_frame(item))
    card = item.checklist.card
    if remove:
        state = selectors.item_state(item, index=checklists.item_index(item))
        if entry.action == Action.CREATE:
            entry.after = state
        else:
            entry.before = state
        return checklists.remove_item(board=board, item=item, actor=actor, origin=origin).payload
    left, wanted = (entry.after, entry.before) if undo else (entry.before, entry.after)
    if entry.action == Action.UPDATE:
        frame = checklists.set_text(item, wanted["text"])
        entry.version_after = item.version
        return record_event(
            board=board, type="item.updated",
            payload={"item": frame, "card": card.pk, "progress": checklists.progress(card),
                     "changes": {"text": {"from": left["text"], "to": wanted["text"]}}},
            actor=actor, origin=origin,
        ).payload
    if entry.action == Action.CHECK:
        if item.done != left["done"]:
            raise ActionError("conflict", "Someone ticked or unticked the item since.", item=item_frame(item))
        frame = checklists.set_done(item, wanted["done"])
        return record_event(
            board=board, type="item.updated",
            payload={"item": frame, "card": card.pk, "progress": checklists.progress(card),
                     "changes": {"done": {"from": left["done"], "to": wanted["done"]}}},
            actor=actor, origin=origin,
        ).payload
    # A move: the item must still be where the change (or its undo) left it.
    if (item.checklist_id, checklists.item_index(item)) != (left["checklist"], left["index"]):
        raise ActionError("conflict", "The item was moved by someone else since.", item=item_frame(item))
    return checklists.place_item(board=board, item=item, checklist_id=wanted["checklist"], index=wanted["index"],
                                 actor=actor, origin=origin).payload


def apply_conversion_history(*, board, entry, actor, connection, origin, undo, rendered):
    """
    An item made a card: undo deletes the card (unless it changed since) and
    brings the item back; redo brings the card back (as it was deleted) and
    takes the item off again. Two events each; the ack carries the second.
    """
    if undo:
        card = get_card(board=board, card_id=entry.after["card"])
        if card.version != entry.version_after:
            raise ActionError("conflict", "The card made from the item was changed since.", card=frame_for(card))
        check_not_locked(card=card, connection=connection)
        entry.after = {"card": card.pk, "state": stored_card_state(card)}
        column_id, title = card.column_id, card.title
        card.delete()
        record_event(board=board, type="card.deleted", payload={"card": entry.after["card"], "column": column_id,
                                                                "title": title}, actor=actor, origin=None)
        item, index = checklists.recreate_item(board=board, state=entry.before)
        entry.version_after = entry.after["state"]["version"]
        parent = item.checklist.card
        return record_event(
            board=board, type="item.created",
            payload={"item": item_frame(item), "card": parent.pk, "index": index, "progress": checklists.progress(parent)},
            actor=actor, origin=origin,
        ).payload
    item = checklists.get_item(board=board, item_id=entry.object_id)
    if item.version != entry.before["version"]:
        raise ActionError("conflict", "The item was edited by someone else since.", item=item_frame(item))
    card_recreate(board=board, card_id=entry.after["card"], state=entry.after["state"], entry=entry, actor=actor,
                  origin=None, rendered=rendered)
    return checklists.remove_item(board=board, item=item, actor=actor, origin=origin).payload
