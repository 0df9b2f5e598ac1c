"""Changes run from the event loop (boardsite.collab.changes, boardsite.collab.rooms.database_change)."""

import asyncio
import multiprocessing
import threading
import time

from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import SimpleTestCase, TransactionTestCase

from boardsite.collab.errors import ActionError
from boardsite.collab.changes import database_is_sqlite
from boardsite.collab.rooms import database_change
from tests.support import make_user
from whiteboard.models import Board
from whiteboard.services import board_create


class ChangeTests(SimpleTestCase):
    def test_a_change_gives_its_result_or_its_error(self):
        def store(*, commands):
            if "bad" in commands:
                raise ActionError("invalid", "refused")
            return [f"stored {command}" for command in commands]

        async def scenario():
            change = database_change(store)
            self.assertEqual(await change(commands=["a", "b"]), ["stored a", "stored b"])
            with self.assertRaises(ActionError):
                await change(commands=["bad"])

        asyncio.run(scenario())

    def test_a_slow_change_does_not_hold_the_loop(self):
        # A batch kept waiting (say, for SQLite's lock) must not freeze every connection of the process.
        running = threading.Event()
        turns_while_running = 0

        def slow():
            running.set()
            time.sleep(0.1)
            running.clear()
            return "stored"

        async def ticker():
            nonlocal turns_while_running
            while True:
                await asyncio.sleep(0.001)
                turns_while_running += running.is_set()

        async def scenario():
            ticks = asyncio.create_task(ticker())
            await asyncio.sleep(0)
            result = await database_change(slow)()
            ticks.cancel()
            return result

        self.assertEqual(asyncio.run(scenario()), "stored")
        self.assertGreater(turns_while_running, 10)


    def test_on_sqlite_every_change_is_made_by_one_writer_thread(self):
        # Two threads writing to SQLite wait for each other's lock in its busy handler, by sleeping.
        if not database_is_sqlite():
            self.skipTest("only SQLite's changes go through the writer thread")

        def thread():
            return threading.get_ident()

        async def scenario():
            return {
                await database_change(thread)(),
                await database_change(thread)(),
                await database_change(thread)(),
            }

        (writer,) = asyncio.run(scenario())
        self.assertNotEqual(writer, threading.get_ident())


def change_and_read_after_the_fork(owner_id):
    """
    Run in the forked process: a change through `database_change` and a read
    through `database_sync_to_async`, as the live server's consumers make them.
    """

    def create():
        return board_create(name="After the fork", owner=get_user_model().objects.get(pk=owner_id))

    async def change_and_read():
        await database_change(create)()
        return await database_sync_to_async(Board.objects.count)()

    assert asyncio.run(asyncio.wait_for(change_and_read(), timeout=10)) == 2


class ForkedProcessTests(TransactionTestCase):
    """
    The browser tests' live server (ChannelsLiveServerTestCase) runs in a
    process that multiprocessing forks from the test process, after earlier
    tests have used the test process's database threads: on SQLite the
    writer thread (boardsite.collab.changes), and asgiref's thread for
    `database_sync_to_async` outside a request (boardsite.test_runner).
    """

    def test_a_process_forked_after_a_change_and_a_read_makes_its_own(self):
        owner = make_user("owner")

        async def change_and_read():
            await database_change(board_create)(name="Before the fork", owner=owner)
            count = await database_sync_to_async(Board.objects.count)()
            # The thread keeps its connection (CONN_MAX_AGE); PostgreSQL's test database can't be dropped while it is open.
            await database_sync_to_async(connections.close_all)()
            return count

        self.assertEqual(asyncio.run(change_and_read()), 1)

        child = multiprocessing.get_context("fork").Process(target=change_and_read_after_the_fork, args=(owner.pk,))
        child.start()
        child.join(timeout=30)
        if child.is_alive():
            child.kill()
            child.join()
        self.assertEqual(child.exitcode, 0, "the forked process's change and read did not complete")
        self.assertCountEqual(Board.objects.values_list("name", flat=True), ["Before the fork", "After the fork"])
