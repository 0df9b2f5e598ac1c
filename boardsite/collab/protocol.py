"""
Websocket message validation shared by both apps. Every helper raises
ActionError with a stable code, which the consumer sends back as an `error`
frame; nothing is changed for a message that fails validation.

Every string a message carries into the server is read by `str_field` (free
text), `message_ref`, or checked against a fixed list or pattern of ASCII
words (tools, colours, ids, dates): none lets through what
boardsite.collab.text refuses.
"""

import json
import math

from boardsite.collab.errors import ActionError
from boardsite.collab.text import check_text

# The protocol's version, sent in `hello`: a page of another version asks to be reloaded.
PROTOCOL_VERSION = 5

REF_MAX_LENGTH = 64

# The largest seq a client may name: what a JavaScript number holds exactly.
MAX_SEQ = 2**53 - 1


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def check_frame_size(text, *, limit):
    """
    Refuse a frame over `limit` bytes as sent (UTF-8), before it is parsed.
    A character takes one to four bytes: only a frame that could be either
    side of the limit is encoded to count them (a lone surrogate, which no
    UTF-8 frame holds but a test's communicator may send, as three).
    """
    if len(text) > limit or (len(text) * 4 > limit and len(text.encode("utf-8", "surrogatepass")) > limit):
        raise ActionError("frame_too_large", f"Frames are limited to {limit} bytes.")


def parse_frame(text):
    """Decode a client frame into a dict with a string `type`."""
    try:
        message = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise ActionError("invalid_json", "The message is not valid JSON.") from None
    if not isinstance(message, dict):
        raise ActionError("invalid_message", "A message must be a JSON object.")
    if not isinstance(message.get("type"), str):
        raise ActionError("invalid_message", "A message needs a string `type`.")
    return message


def message_ref(message):
    """The client's `ref`, echoed in the answer: a short string, an integer or absent."""
    ref = message.get("ref")
    if ref is None or (isinstance(ref, int) and not isinstance(ref, bool) and abs(ref) < 2**53):
        return ref
    if isinstance(ref, str) and len(ref) <= REF_MAX_LENGTH:
        return check_text(ref, field="ref", code="invalid_ref")
    raise ActionError("invalid_ref", f"`ref` must be an integer or a string of at most {REF_MAX_LENGTH} characters.")


def allowed_keys(message, keys):
    extra = set(message) - set(keys) - {"type", "ref"}
    if extra:
        raise ActionError("unknown_field", f"Unexpected field(s): {', '.join(sorted(extra))}.")


def int_field(message, name, *, minimum, maximum, required=True):
    value = message.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ActionError("invalid_field", f"`{name}` must be an integer.")
    if not minimum <= value <= maximum:
        raise ActionError("out_of_range", f"`{name}` must be between {minimum} and {maximum}.")
    return value


def number_field(message, name, *, minimum, maximum):
    value = message.get(name)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise ActionError("invalid_field", f"`{name}` must be a number.")
    if not minimum <= value <= maximum:
        raise ActionError("out_of_range", f"`{name}` must be between {minimum} and {maximum}.")
    return value


def str_field(message, name, *, max_length, required=True, allow_blank=False, multiline=False):
    """Text: one line unless `multiline`, and never what boardsite.collab.text refuses."""
    value = message.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ActionError("invalid_field", f"`{name}` must be a string.")
    check_text(value, field=name, multiline=multiline)
    if not allow_blank and not value.strip():
        raise ActionError("invalid_field", f"`{name}` must not be empty.")
    if len(value) > max_length:
        raise ActionError("too_long", f"`{name}` is longer than {max_length} characters.")
    return value


# The frames the server sends that both apps share (docs/protocol.md); each app's events are its own.


def hello_frame(*, seq, user, board):
    return {"type": "hello", "protocol": PROTOCOL_VERSION, "seq": seq, "user": user, "board": board}


def synced_frame(ref, seq):
    return {"type": "synced", "ref": ref, "seq": seq}


def ack_frame(ref, seq, **extra):
    return {"type": "ack", "ref": ref, "seq": seq, **extra}


def error_frame(ref, error):
    return {"type": "error", "ref": ref, "code": error.code, "message": error.message, **error.details}


def presence_frame(*, joined=(), left=()):
    """Who joined and who left the board lately."""
    return {"type": "presence", "joined": joined, "left": left}


def presence_here_frame(*, members, more):
    """To a newcomer: who was there (`members`), and how many more it does not list."""
    return {"type": "presence", "here": members, "more": more}
