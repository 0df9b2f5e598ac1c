"""
Django's database session engine, except that a session cookie holding a
key Django could not have made (its keys are letters and digits) counts as
no key at all: the visitor is simply not logged in.

Django looks the cookie's key up as it comes, so `sessionid="\\000..."` (a
cookie value may spell characters in octal) put a NUL into the query:
PostgreSQL refused it, and every page, and the websocket handshake, which
reads the same cookie, failed with a DataError before any view ran.
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

KEY_CHARACTERS = frozenset(VALID_KEY_CHARS)


class SessionStore(DatabaseSessionStore):
    def __init__(self, session_key=None):
        if session_key is not None and not KEY_CHARACTERS.issuperset(session_key):
            session_key = None
        super().__init__(session_key)
