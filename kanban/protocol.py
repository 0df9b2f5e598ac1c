"""
The kanban commands' schemas: one parser per message type, turning a client
message into the keyword arguments of its service, or raising ActionError
(sent back as an `error`, nothing changed). Shapes and bounds are checked
here; what depends on the board (existence, WIP limits, locks) is checked by
kanban.services.
"""

import re

from boardsite.collab import protocol
from boardsite.collab.errors import ActionError
from kanban.models import (
    CARD_DESCRIPTION_MAX_LENGTH,
    CARD_TITLE_MAX_LENGTH,
    CHECKLIST_ITEM_MAX_LENGTH,
    CHECKLIST_TITLE_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    COLUMN_TITLE_MAX_LENGTH,
    LABEL_COLOURS,
    LABEL_NAME_MAX_LENGTH,
    LANE_TITLE_MAX_LENGTH,
    MAX_ASSIGNEES,
    WIP_LIMIT_MAX,
)

ID_MAX = 2**53 - 1
INDEX_MAX = 10_000
VERSION_MAX = 2**31 - 1
LABELS_MAX = 10
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TIME_PATTERN = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")
CLIENT_KEY_MAX_LENGTH = 64


def one_line_text_field(message, name, *, max_length):
    """
    A title or name. Tabs and line breaks may come (a pasted line, the card
    form's text area) and become spaces in kanban.services, as documented;
    every other character boardsite.collab.text refuses is refused here.
    """
    return protocol.str_field(message, name, max_length=max_length, multiline=True)


def id_field(message, name):
    return protocol.int_field(message, name, minimum=1, maximum=ID_MAX)


def index_field(message, *, required=True):
    return protocol.int_field(message, "index", minimum=0, maximum=INDEX_MAX, required=required)


def version_field(message):
    return protocol.int_field(message, "version", minimum=1, maximum=VERSION_MAX)


def id_list_field(message, name, *, most, what):
    value = message[name]
    if not isinstance(value, list) or not all(isinstance(item, int) and not isinstance(item, bool) for item in value):
        raise ActionError("invalid_field", f"`{name}` must be a list of ids.")
    if len(value) > most:
        raise ActionError("out_of_range", f"A card can have at most {most} {what}.")
    if not all(1 <= item <= ID_MAX for item in value):
        raise ActionError("out_of_range", "Ids are positive integers.")
    return value


def label_ids_field(message):
    value = message["labels"]
    if not isinstance(value, list) or not all(isinstance(item, int) and not isinstance(item, bool) for item in value):
        raise ActionError("invalid_field", "`labels` must be a list of label ids.")
    if len(value) > LABELS_MAX:
        raise ActionError("out_of_range", f"A card can have at most {LABELS_MAX} labels.")
    if not all(1 <= item <= ID_MAX for item in value):
        raise ActionError("out_of_range", "Label ids are positive integers.")
    return value


def date_field(message, name):
    value = message[name]
    if value is None:
        return None
    if not isinstance(value, str) or not DATE_PATTERN.fullmatch(value):
        raise ActionError("invalid_field", f"`{name}` must be a date written YYYY-MM-DD, or null.")
    return value


def time_field(message, name):
    value = message[name]
    if value is None:
        return None
    if not isinstance(value, str) or not TIME_PATTERN.fullmatch(value):
        raise ActionError("invalid_field", f"`{name}` must be a time written HH:MM (00:00 to 23:59), or null.")
    return value


def colour_field(message):
    if message.get("colour") not in LABEL_COLOURS:
        raise ActionError("invalid_field", f"`colour` must be one of: {', '.join(LABEL_COLOURS)}.")
    return message["colour"]


def card_create(message):
    protocol.allowed_keys(message, ["column", "title", "index", "key", "lane"])
    return {
        "column_id": id_field(message, "column"),
        "title": one_line_text_field(message, "title", max_length=CARD_TITLE_MAX_LENGTH),
        "index": index_field(message, required=False),
        "client_key": protocol.str_field(message, "key", max_length=CLIENT_KEY_MAX_LENGTH, required=False) or "",
        "lane_id": id_field(message, "lane") if "lane" in message else None,
    }


def card_update(message):
    protocol.allowed_keys(message, ["card", "version", "title", "description", "assignees", "labels", "due", "due_time",
                                    "start", "start_time"])
    changes = {}
    if "title" in message:
        changes["title"] = one_line_text_field(message, "title", max_length=CARD_TITLE_MAX_LENGTH)
    if "description" in message:
        changes["description"] = protocol.str_field(
            message, "description", max_length=CARD_DESCRIPTION_MAX_LENGTH, allow_blank=True, multiline=True
        )
    if "assignees" in message:
        changes["assignees"] = id_list_field(message, "assignees", most=MAX_ASSIGNEES, what="assignees")
    if "labels" in message:
        changes["labels"] = label_ids_field(message)
    for name in ("due", "start"):
        if name in message:
            changes[name] = date_field(message, name)
    for name in ("due_time", "start_time"):
        if name in message:
            changes[name] = time_field(message, name)
    if not changes:
        raise ActionError("invalid_message", "Say what to change: title, description, assignees, labels, due, "
                                             "due_time, start or start_time.")
    return {"card_id": id_field(message, "card"), "version": version_field(message), "changes": changes}


def card_move(message):
    protocol.allowed_keys(message, ["card", "version", "column", "index", "lane"])
    moved = {
        "card_id": id_field(message, "card"),
        "version": version_field(message),
        "column_id": id_field(message, "column"),
        "index": index_field(message),
    }
    if "lane" in message:
        moved["lane_id"] = id_field(message, "lane")
    return moved


def lane_create(message):
    protocol.allowed_keys(message, ["title", "index"])
    return {"title": one_line_text_field(message, "title", max_length=LANE_TITLE_MAX_LENGTH),
            "index": index_field(message, required=False)}


def lane_update(message):
    protocol.allowed_keys(message, ["lane", "title", "was"])
    fields = {"title": lambda values: one_line_text_field(values, "title", max_length=LANE_TITLE_MAX_LENGTH)}
    changes = {"title": fields["title"](message)}
    return {"lane_id": id_field(message, "lane"), **changes, "was": seen_values(message, fields, changes)}


def lane_move(message):
    protocol.allowed_keys(message, ["lane", "index"])
    return {"lane_id": id_field(message, "lane"), "index": index_field(message)}


def lane_delete(message):
    protocol.allowed_keys(message, ["lane"])
    return {"lane_id": id_field(message, "lane")}


def card_delete(message):
    protocol.allowed_keys(message, ["card", "version"])
    return {"card_id": id_field(message, "card"), "version": version_field(message)}


def card_archive(message):
    protocol.allowed_keys(message, ["card", "version"])
    return {"card_id": id_field(message, "card"), "version": version_field(message)}


def card_restore(message):
    protocol.allowed_keys(message, ["card"])
    return {"card_id": id_field(message, "card")}


def target_fields(message):
    value = message.get("board")
    if not isinstance(value, str) or not value or len(value) > 100:
        raise ActionError("invalid_field", "`board` must be the slug of a board.")
    protocol.str_field(message, "board", max_length=100)  # refuses control characters and lone surrogates
    return {"target": value, "column_id": id_field(message, "column")}


def card_copy(message):
    protocol.allowed_keys(message, ["card", "board", "column"])
    return {"card_id": id_field(message, "card"), **target_fields(message)}


def card_move_to_board(message):
    protocol.allowed_keys(message, ["card", "version", "board", "column"])
    return {"card_id": id_field(message, "card"), "version": version_field(message), **target_fields(message)}


def card_lock(message):
    protocol.allowed_keys(message, ["card", "reason"])
    reason = message.get("reason", "edit")
    if reason not in ("drag", "edit"):
        raise ActionError("invalid_field", "`reason` must be “drag” or “edit”.")
    return {"card_id": id_field(message, "card"), "reason": reason}


def card_watch(message):
    protocol.allowed_keys(message, ["card", "watching"])
    if not isinstance(message.get("watching"), bool):
        raise ActionError("invalid_field", "`watching` must be true or false.")
    return {"card_id": id_field(message, "card"), "watching": message["watching"]}


def card_unlock(message):
    protocol.allowed_keys(message, ["card"])
    return {"card_id": id_field(message, "card")}


def comment_body_field(message):
    return protocol.str_field(message, "body", max_length=COMMENT_MAX_LENGTH, multiline=True)


def comment_create(message):
    protocol.allowed_keys(message, ["card", "body", "key"])
    return {
        "card_id": id_field(message, "card"),
        "body": comment_body_field(message),
        "client_key": protocol.str_field(message, "key", max_length=CLIENT_KEY_MAX_LENGTH, required=False) or "",
    }


def comment_update(message):
    protocol.allowed_keys(message, ["comment", "version", "body"])
    return {"comment_id": id_field(message, "comment"), "version": version_field(message),
            "body": comment_body_field(message)}


def attachment_command(message):
    """attachment.remove, .restore and .delete name the file."""
    protocol.allowed_keys(message, ["attachment"])
    return {"attachment_id": id_field(message, "attachment")}


def card_cover(message):
    protocol.allowed_keys(message, ["card", "attachment"])
    return {"card_id": id_field(message, "card"),
            "attachment_id": None if message.get("attachment") is None else id_field(message, "attachment")}


def comment_delete(message):
    protocol.allowed_keys(message, ["comment", "version"])
    return {"comment_id": id_field(message, "comment"), "version": version_field(message)}


def checklist_create(message):
    protocol.allowed_keys(message, ["card", "title"])
    fields = {"card_id": id_field(message, "card")}
    if "title" in message:
        fields["title"] = one_line_text_field(message, "title", max_length=CHECKLIST_TITLE_MAX_LENGTH)
    return fields


def checklist_update(message):
    protocol.allowed_keys(message, ["checklist", "title", "was"])
    fields = {"title": lambda values: one_line_text_field(values, "title", max_length=CHECKLIST_TITLE_MAX_LENGTH)}
    changes = {"title": fields["title"](message)}
    return {"checklist_id": id_field(message, "checklist"), **changes, "was": seen_values(message, fields, changes)}


def checklist_delete(message):
    protocol.allowed_keys(message, ["checklist"])
    return {"checklist_id": id_field(message, "checklist")}


def item_text_field(message):
    return one_line_text_field(message, "text", max_length=CHECKLIST_ITEM_MAX_LENGTH)


def item_create(message):
    protocol.allowed_keys(message, ["checklist", "text", "index"])
    return {"checklist_id": id_field(message, "checklist"), "text": item_text_field(message),
            "index": index_field(message, required=False)}


def item_update(message):
    protocol.allowed_keys(message, ["item", "version", "text"])
    return {"item_id": id_field(message, "item"), "version": version_field(message), "text": item_text_field(message)}


def item_check(message):
    protocol.allowed_keys(message, ["item", "done"])
    if not isinstance(message.get("done"), bool):
        raise ActionError("invalid_field", "`done` must be true or false.")
    return {"item_id": id_field(message, "item"), "done": message["done"]}


def item_move(message):
    protocol.allowed_keys(message, ["item", "checklist", "index"])
    return {"item_id": id_field(message, "item"), "checklist_id": id_field(message, "checklist"),
            "index": index_field(message)}


def item_delete(message):
    protocol.allowed_keys(message, ["item", "version"])
    return {"item_id": id_field(message, "item"), "version": version_field(message)}


def wip_limit_field(message):
    return protocol.int_field(message, "wip_limit", minimum=1, maximum=WIP_LIMIT_MAX, required=False)


def column_create(message):
    protocol.allowed_keys(message, ["title", "index", "wip_limit"])
    return {
        "title": one_line_text_field(message, "title", max_length=COLUMN_TITLE_MAX_LENGTH),
        "index": index_field(message, required=False),
        "wip_limit": wip_limit_field(message),
    }


def column_update(message):
    protocol.allowed_keys(message, ["column", "title", "wip_limit", "was"])
    fields = {
        "title": lambda values: one_line_text_field(values, "title", max_length=COLUMN_TITLE_MAX_LENGTH),
        "wip_limit": wip_limit_field,
    }
    changes = {name: parse(message) for name, parse in fields.items() if name in message}
    if not changes:
        raise ActionError("invalid_message", "Say what to change: title or wip_limit.")
    return {"column_id": id_field(message, "column"), **changes, "was": seen_values(message, fields, changes)}


def seen_values(message, fields, changes):
    """
    `was` (optional): the values the person saw of the fields they change,
    each parsed as the field itself. A change over a value someone else has
    changed since is refused as a conflict (kanban.services.check_as_seen).
    """
    if "was" not in message:
        return None
    was = message["was"]
    if not isinstance(was, dict) or not was or not set(was) <= set(changes):
        raise ActionError("invalid_field", "`was` must be an object of the values you saw of the fields you change "
                          f"({', '.join(changes)}).")
    try:
        return {name: fields[name](was) for name in was}
    except ActionError as error:
        raise ActionError(error.code, f"In `was`: {error.message}") from None


def column_move(message):
    protocol.allowed_keys(message, ["column", "index"])
    return {"column_id": id_field(message, "column"), "index": index_field(message)}


def column_archive(message):
    protocol.allowed_keys(message, ["column"])
    return {"column_id": id_field(message, "column")}


def column_delete(message):
    protocol.allowed_keys(message, ["column"])
    return {"column_id": id_field(message, "column")}


def label_create(message):
    protocol.allowed_keys(message, ["name", "colour"])
    return {
        "name": one_line_text_field(message, "name", max_length=LABEL_NAME_MAX_LENGTH),
        "colour": colour_field(message),
    }


def label_update(message):
    protocol.allowed_keys(message, ["label", "name", "colour", "was"])
    fields = {
        "name": lambda values: one_line_text_field(values, "name", max_length=LABEL_NAME_MAX_LENGTH),
        "colour": colour_field,
    }
    changes = {name: parse(message) for name, parse in fields.items() if name in message}
    if not changes:
        raise ActionError("invalid_message", "Say what to change: name or colour.")
    return {"label_id": id_field(message, "label"), **changes, "was": seen_values(message, fields, changes)}


def label_delete(message):
    protocol.allowed_keys(message, ["label"])
    return {"label_id": id_field(message, "label")}


def no_fields(message):
    protocol.allowed_keys(message, [])
    return {}
