"""
The one rule for text that comes from outside: websocket fields
(boardsite.collab.protocol), HTTP query strings and form fields
(boardsite.text_middleware) and what the services store.

Text may not hold control characters (C0, DEL and C1) or unpaired
surrogates; with `multiline` it may hold tab, line feed and carriage return
(a card's description keeps them, a kanban title makes them spaces), while
text that names something (a username, a key, a ref) may not.

PostgreSQL refuses NUL in text (a DataError, which the consumer answered as
`unavailable` and views as 500), a lone surrogate (what a JSON `\\ud800`
escape decodes to) cannot be encoded as UTF-8 by psycopg, sqlite3 or the
Redis layer, and the other control characters are invisible or rearrange
what a reader sees. Refusing them where the text comes in keeps every
database and every reader working with what was stored.
"""

import re

from boardsite.collab.errors import ActionError

_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_REFUSED_IN_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def text_problem(value, *, multiline=False):
    """What is wrong with the string `value`, as words to follow its name, or None if nothing is."""
    found = (_REFUSED_IN_MULTILINE if multiline else _REFUSED).search(value)
    if found is None:
        return None
    character = found.group()
    code_point = f"U+{ord(character):04X}"
    if "\ud800" <= character <= "\udfff":
        return f"contains an unpaired surrogate ({code_point}), which is not text"
    if character in "\t\n\r":
        return f"contains a tab or line break ({code_point}) but must be one line"
    return f"contains a control character ({code_point})"


def check_text(value, *, field, multiline=False, code="invalid_field"):
    """`value` if it follows the rule; otherwise ActionError `code`, naming `field`."""
    problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise ActionError(code, f"`{field}` {problem}.")
    return value
