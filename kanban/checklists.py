"""
Checklists on cards, and their items.

Every change goes through here, whoever makes it, by the rules of
kanban.services: one transaction that starts with the board's row lock,
checks that change nothing when they refuse, the event recorded and
broadcast on commit, the change remembered for its author's undo
(kanban.history). A card keeps how many items its checklists hold and how
many are done (`checklist_items`, `checklist_done`), so its face shows the
progress without a query; every event that changes them carries the card's
new `progress`.

Ticking an item is a value, not an edit: it does not change the item's
`version`, so two people ticking never conflict and an edit of the text is
never refused because someone ticked it meanwhile. Editing, deleting and
converting an item name its `version`.
"""

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from boardsite.collab.errors import ActionError
from boardsite.collab.events import Applied, record_event
from kanban.frames import checklist_frame, checklist_head, item_frame
from kanban.selectors import checklist_state, item_state
from kanban.models import (
    CARD_TITLE_MAX_LENGTH,
    CHECKLIST_ITEM_MAX_LENGTH,
    CHECKLIST_TITLE_MAX_LENGTH,
    Card,
    Checklist,
    ChecklistItem,
    HistoryEntry,
)
from kanban.services import (
    CHECKLIST,
    ITEM,
    card_create,
    check_as_seen,
    check_index,
    clean_text,
    get_card,
    lock_board,
    remember,
)

MAX_CHECKLISTS_PER_CARD = 20
MAX_ITEMS_PER_CHECKLIST = 200
Action = HistoryEntry.Action


def clean_title(value):
    return clean_text(value, field="checklist title", max_length=CHECKLIST_TITLE_MAX_LENGTH)


def clean_item_text(value):
    return clean_text(value, field="item", max_length=CHECKLIST_ITEM_MAX_LENGTH)


def get_checklist(*, board, checklist_id):
    checklist = Checklist.objects.filter(board=board, pk=checklist_id).select_related("card").first()
    if checklist is None:
        raise ActionError("not_found", "That checklist does not exist on this board (it may have been deleted).",
                          checklist=checklist_id)
    return checklist


def get_item(*, board, item_id):
    item = ChecklistItem.objects.filter(board=board, pk=item_id).select_related("checklist__card").first()
    if item is None:
        raise ActionError("not_found", "That item does not exist on this board (it may have been deleted).",
                          item=item_id)
    return item


def check_version(*, item, version):
    if item.version != version:
        raise ActionError("conflict", "Someone changed this item since you last saw it; you now see their version.",
                          item=item_frame(item))


def progress(card):
    return {"done": card.checklist_done, "total": card.checklist_items}


def progress_changed(card, *, total=0, done=0):
    """Count items added (or removed, negative) and ticked on the card; one query."""
    card.checklist_items += total
    card.checklist_done += done
    Card.objects.filter(pk=card.pk).update(checklist_items=card.checklist_items, checklist_done=card.checklist_done)


def recount(*, card_ids):
    """Set the cards' progress from their items, after items came back in bulk (one query, as comments.recount)."""
    items = ChecklistItem.objects.filter(checklist__card=OuterRef("pk")).order_by().values("checklist__card")

    def counted(rows):
        return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), Value(0))

    Card.objects.filter(pk__in=card_ids).update(checklist_items=counted(items),
                                                checklist_done=counted(items.filter(done=True)))


def ordered_items(checklist):
    return list(checklist.items.order_by("position", "id"))


def renumber(rows):
    """Number checklists, or one checklist's items, in the order given (they are few)."""
    for position, row in enumerate(rows):
        row.position = position
    if rows:
        type(rows[0]).objects.bulk_update(rows, ["position"])


# Checklists


def checklist_create(*, board, card_id, title="Checklist", actor, connection=None, origin=None):
    title = clean_title(title)
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        card = get_card(board=board, card_id=card_id)
        checklists = list(card.checklists.order_by("position", "id"))
        if len(checklists) >= MAX_CHECKLISTS_PER_CARD:
            raise ActionError("too_many", f"A card has at most {MAX_CHECKLISTS_PER_CARD} checklists.", card=card.pk)
        checklist = Checklist.objects.create(board=board, card=card, title=title, position=len(checklists))
        remember(board=board, actor=actor, subject=CHECKLIST, object_id=checklist.pk, action=Action.CREATE,
                 before=None, after=checklist_state(checklist, index=len(checklists)))
        return Applied.recorded(record_event(
            board=board, type="checklist.created",
            payload={"checklist": checklist_frame(checklist, items=[]), "index": len(checklists),
                     "progress": progress(card)},
            actor=actor, origin=origin,
        ))


def checklist_update(*, board, checklist_id, title, was=None, actor, connection=None, origin=None):
    """Rename a checklist; `was`: the title the person saw (kanban.services.check_as_seen)."""
    title = clean_title(title)
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        checklist = get_checklist(board=board, checklist_id=checklist_id)
        check_as_seen(current={"title": checklist.title}, was=was, what="checklist", frame=checklist_head(checklist))
        before = checklist.title
        checklist.title = title
        checklist.save(update_fields=["title"])
        remember(board=board, actor=actor, subject=CHECKLIST, object_id=checklist.pk, action=Action.UPDATE,
                 before={"title": before}, after={"title": title})
        return Applied.recorded(record_event(
            board=board, type="checklist.updated",
            payload={"checklist": checklist_head(checklist),
                     "changes": {"title": {"from": before, "to": title}}},
            actor=actor, origin=origin,
        ))


def checklist_delete(*, board, checklist_id, actor, connection=None, origin=None):
    """Delete a checklist and its items (the page asks first; undo brings them back)."""
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        checklist = get_checklist(board=board, checklist_id=checklist_id)
        index = checklist_index(checklist)
        state = checklist_state(checklist, index=index)
        remember(board=board, actor=actor, subject=CHECKLIST, object_id=checklist.pk, action=Action.DELETE,
                 before=state, after=None)
        return Applied.recorded(remove_checklist(board=board, checklist=checklist, state=state, actor=actor,
                                                 origin=origin))


def checklist_index(checklist):
    return [other.pk for other in Checklist.objects.filter(card_id=checklist.card_id).order_by("position", "id")].index(
        checklist.pk
    )


def remove_checklist(*, board, checklist, state, actor, origin):
    card = checklist.card
    checklist.delete()
    progress_changed(card, total=-len(state["items"]), done=-sum(item["done"] for item in state["items"]))
    return record_event(
        board=board, type="checklist.deleted",
        payload={"checklist": state["id"], "card": card.pk, "title": state["title"], "progress": progress(card)},
        actor=actor, origin=origin,
    )


def recreate_checklists(*, board, states):
    """
    Bring back deleted checklists (their states) with their ids, titles,
    places and items (ids, text, ticks, versions). The caller recounts the
    cards' progress (`recount`) when it brings back more than one card's.
    """
    present = set(Checklist.objects.filter(pk__in=[state["id"] for state in states]).values_list("pk", flat=True))
    states = [state for state in states if state["id"] not in present]
    for state in states:
        siblings = list(Checklist.objects.filter(card_id=state["card"]).order_by("position", "id"))
        checklist = Checklist.objects.create(pk=state["id"], board=board, card_id=state["card"], title=state["title"])
        siblings.insert(min(state["index"], len(siblings)), checklist)
        renumber(siblings)
        ChecklistItem.objects.bulk_create(
            ChecklistItem(pk=item["id"], board=board, checklist=checklist, text=item["text"], done=item["done"],
                          version=item["version"], position=position)
            for position, item in enumerate(state["items"])
        )
    return [state["id"] for state in states]


# Items


def item_create(*, board, checklist_id, text, index=None, actor, connection=None, origin=None):
    """Add an item to a checklist, at its end unless `index` is given."""
    text = clean_item_text(text)
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        checklist = get_checklist(board=board, checklist_id=checklist_id)
        items = ordered_items(checklist)
        if len(items) >= MAX_ITEMS_PER_CHECKLIST:
            raise ActionError("too_many", f"A checklist has at most {MAX_ITEMS_PER_CHECKLIST} items.",
                              checklist=checklist.pk)
        index = len(items) if index is None else check_index(index, length=len(items))
        item = ChecklistItem.objects.create(board=board, checklist=checklist, text=text, position=index)
        items.insert(index, item)
        renumber(items)
        progress_changed(checklist.card, total=1)
        remember(board=board, actor=actor, subject=ITEM, object_id=item.pk, action=Action.CREATE, before=None,
                 after=item_state(item, index=index), version_after=item.version)
        return Applied.recorded(record_event(
            board=board, type="item.created",
            payload={"item": item_frame(item), "card": checklist.card_id, "index": index,
                     "progress": progress(checklist.card)},
            actor=actor, origin=origin,
        ))


def item_update(*, board, item_id, version, text, actor, connection=None, origin=None):
    """Change an item's text, made to its `version`."""
    text = clean_item_text(text)
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        item = get_item(board=board, item_id=item_id)
        check_version(item=item, version=version)
        before = item.text
        frame = set_text(item, text)
        remember(board=board, actor=actor, subject=ITEM, object_id=item.pk, action=Action.UPDATE,
                 before={"text": before}, after={"text": text}, version_after=item.version)
        return Applied.recorded(record_event(
            board=board, type="item.updated",
            payload={"item": frame, "card": item.checklist.card_id, "progress": progress(item.checklist.card),
                     "changes": {"text": {"from": before, "to": text}}},
            actor=actor, origin=origin,
        ))


def set_text(item, text):
    item.text = text
    item.version += 1
    item.save(update_fields=["text", "version"])
    return item_frame(item)


def item_check(*, board, item_id, done, actor, connection=None, origin=None):
    """Tick (`done` true) or untick an item. Already so: answered with no event, nothing to undo."""
    if not isinstance(done, bool):
        raise ActionError("invalid_field", "`done` must be true or false.")
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        item = get_item(board=board, item_id=item_id)
        card = item.checklist.card
        if item.done == done:
            return Applied(seq=None, details={"event": "item.updated", "item": item_frame(item), "card": card.pk,
                                              "progress": progress(card)})
        frame = set_done(item, done)
        remember(board=board, actor=actor, subject=ITEM, object_id=item.pk, action=Action.CHECK,
                 before={"done": not done}, after={"done": done}, version_after=item.version)
        return Applied.recorded(record_event(
            board=board, type="item.updated",
            payload={"item": frame, "card": card.pk, "progress": progress(card),
                     "changes": {"done": {"from": not done, "to": done}}},
            actor=actor, origin=origin,
        ))


def set_done(item, done):
    item.done = done
    ChecklistItem.objects.filter(pk=item.pk).update(done=done)
    progress_changed(item.checklist.card, done=1 if done else -1)
    return item_frame(item)


def item_move(*, board, item_id, checklist_id, index, actor, connection=None, origin=None):
    """Put the item at `index` (counted without it) in a checklist of the same card."""
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        item = get_item(board=board, item_id=item_id)
        before = {"checklist": item.checklist_id, "index": item_index(item)}
        event = place_item(board=board, item=item, checklist_id=checklist_id, index=index, actor=actor, origin=origin)
        remember(board=board, actor=actor, subject=ITEM, object_id=item.pk, action=Action.MOVE, before=before,
                 after={"checklist": item.checklist_id, "index": event.payload["index"]}, version_after=item.version)
        return Applied.recorded(event)


def item_index(item):
    return [other.pk for other in ordered_items(item.checklist)].index(item.pk)


def place_item(*, board, item, checklist_id, index, actor, origin):
    """Move the item (to another checklist of its card, or within its own) and record `item.moved`; returns the event."""
    source = item.checklist
    target = source if checklist_id == source.pk else get_checklist(board=board, checklist_id=checklist_id)
    if target.card_id != source.card_id:
        raise ActionError("invalid_field", "An item moves only between the checklists of its own card.",
                          checklist=checklist_id)
    others = [other for other in ordered_items(target) if other.pk != item.pk]
    if target != source and len(others) >= MAX_ITEMS_PER_CHECKLIST:
        raise ActionError("too_many", f"A checklist has at most {MAX_ITEMS_PER_CHECKLIST} items.", checklist=target.pk)
    index = check_index(index, length=len(others))
    item.checklist = target
    item.save(update_fields=["checklist"])
    others.insert(index, item)
    renumber(others)
    if target != source:
        renumber(ordered_items(source))
    return record_event(
        board=board, type="item.moved",
        payload={"item": item_frame(item), "card": source.card_id, "checklist": target.pk, "index": index,
                 "from_checklist": source.pk},
        actor=actor, origin=origin,
    )


def item_delete(*, board, item_id, version, actor, connection=None, origin=None):
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        item = get_item(board=board, item_id=item_id)
        check_version(item=item, version=version)
        state = item_state(item, index=item_index(item))
        remember(board=board, actor=actor, subject=ITEM, object_id=item.pk, action=Action.DELETE, before=state,
                 after=None)
        return Applied.recorded(remove_item(board=board, item=item, actor=actor, origin=origin))


def remove_item(*, board, item, actor, origin):
    card, checklist_id, item_id = item.checklist.card, item.checklist_id, item.pk
    item.delete()
    renumber(list(ChecklistItem.objects.filter(checklist_id=checklist_id).order_by("position", "id")))
    progress_changed(card, total=-1, done=-1 if item.done else 0)
    return record_event(
        board=board, type="item.deleted",
        payload={"item": item_id, "checklist": checklist_id, "card": card.pk, "text": item.text,
                 "progress": progress(card)},
        actor=actor, origin=origin,
    )


def recreate_item(*, board, state):
    """Bring a deleted item back with its id, text, tick and version, where it was."""
    checklist = get_checklist(board=board, checklist_id=state["checklist"])
    if ChecklistItem.objects.filter(pk=state["id"]).exists():
        raise ActionError("conflict", "That item is already on the checklist.", item=state["id"])
    items = ordered_items(checklist)
    if len(items) >= MAX_ITEMS_PER_CHECKLIST:
        raise ActionError("too_many", f"A checklist has at most {MAX_ITEMS_PER_CHECKLIST} items.", checklist=checklist.pk)
    item = ChecklistItem.objects.create(pk=state["id"], board=board, checklist=checklist, text=state["text"],
                                        done=state["done"], version=state["version"])
    index = min(state["index"], len(items))
    items.insert(index, item)
    renumber(items)
    progress_changed(checklist.card, total=1, done=1 if item.done else 0)
    return item, index


def item_to_card(*, board, item_id, version, actor, connection=None, origin=None):
    """
    Make the item a card of its own, at the end of its card's column, and
    take it off the checklist: two events in one commit (`card.created`, sent
    to everyone, this connection too, then `item.deleted`, its ack), one
    change to undo.
    """
    with transaction.atomic():
        lock_board(board, actor=actor, origin=origin)
        item = get_item(board=board, item_id=item_id)
        check_version(item=item, version=version)
        state = item_state(item, index=item_index(item))
        title = item.text[:CARD_TITLE_MAX_LENGTH]
        # Sent to everyone, this connection too: its ack is for the item's removal.
        created = card_create(board=board, column_id=item.checklist.card.column_id, title=title, actor=actor,
                              remembered=False)
        card_id = created.details["card"]["id"]
        remember(board=board, actor=actor, subject=ITEM, object_id=item.pk, action=Action.CONVERT, before=state,
                 after={"card": card_id}, version_after=created.details["card"]["version"])
        return Applied.recorded(remove_item(board=board, item=item, actor=actor, origin=origin))
