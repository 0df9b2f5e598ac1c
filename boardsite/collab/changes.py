"""
Running a board change in the database thread, from the event loop.

A change's commits broadcast board messages (boardsite.collab.events); run
here, those are collected rather than sent from the database thread, and
handed back with the result, for the process's rooms to deliver and publish
from the event loop (boardsite.collab.rooms).
"""

import asyncio
import concurrent.futures
import contextvars
import os

from channels.db import database_sync_to_async
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections

from boardsite.collab.errors import ActionError
from boardsite.collab.events import committed_broadcasts


def unavailable_error():
    return ActionError("unavailable", "The change could not be saved just now; it was not applied. Try again.")


_database_writer = None


def database_writer():
    """The thread that makes the process's board changes on SQLite (one per process, started on first use)."""
    global _database_writer
    if _database_writer is None:
        _database_writer = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="database-writer")
    return _database_writer


def _forget_database_writer():
    """
    A forked child (the live test server, ChannelsLiveServerTestCase, is
    forked from the test process by multiprocessing) inherits the parent's
    executor but not its thread, and the executor, counting that thread as
    its one worker, never starts another: the child's changes would queue for
    ever. The child starts its own writer on first use instead.
    """
    global _database_writer
    _database_writer = None


os.register_at_fork(after_in_child=_forget_database_writer)


def database_is_sqlite():
    return connections[DEFAULT_DB_ALIAS].vendor == "sqlite"


def _collecting(function, args, kwargs):
    collected = []
    token = committed_broadcasts.set(collected)
    try:
        return function(*args, **kwargs), None, collected
    except Exception as error:
        return None, error, collected
    finally:
        committed_broadcasts.reset(token)


def _in_writer(function, args, kwargs):
    close_old_connections()  # as database_sync_to_async does: CONN_MAX_AGE and health checks
    return _collecting(function, args, kwargs)


async def run_change(function, *args, **kwargs):
    """
    Run `function` in the database thread; returns its result (or None), the
    exception it raised (or None) and the (group, message) pairs its commits
    broadcast: what committed before an exception is still to be announced.

    On SQLite every change runs in the process's database writer thread, so
    the process's changes take SQLite's write lock one after the other:
    threads that wait for it sleep in SQLite's busy handler (1, 2, 5, 10 ms
    and more between tries), and kanban moves made in another thread while
    a board was drawn on waited up to 116 ms for it. PostgreSQL has row
    locks and takes changes from any thread.
    """
    if database_is_sqlite():
        future = database_writer().submit(contextvars.copy_context().run, _in_writer, function, args, kwargs)
        return await asyncio.wrap_future(future)
    return await database_sync_to_async(_collecting)(function, args, kwargs)
