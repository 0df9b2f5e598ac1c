"""Changes run from the event loop (boardsite.collab.fanout.database_change), holding the loop or not."""

import asyncio
import threading
import time

from django.test import SimpleTestCase

from boardsite.collab.errors import ActionError
from boardsite.collab.fanout import HOLD_LOOP_AT_MOST, database_change, database_is_sqlite


class HeldChangeTests(SimpleTestCase):
    def test_a_held_change_gives_its_result_or_its_error(self):
        def store(*, commands):
            if "bad" in commands:
                raise ActionError("invalid", "refused")
            return [f"stored {command}" for command in commands]

        async def scenario():
            change = database_change(store, hold_loop=True)
            self.assertEqual(await change(commands=["a", "b"]), ["stored a", "stored b"])
            with self.assertRaises(ActionError):
                await change(commands=["bad"])

        asyncio.run(scenario())

    def test_a_slow_change_does_not_hold_the_loop_for_longer_than_the_hold(self):
        # A batch kept waiting (say, for SQLite's lock) must not freeze every connection of the process.
        running = threading.Event()
        turns_while_running = 0

        def slow():
            running.set()
            time.sleep(HOLD_LOOP_AT_MOST * 20)
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
            result = await database_change(slow, hold_loop=True)()
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
                await database_change(thread, hold_loop=True)(),
                await database_change(thread)(),
            }

        (writer,) = asyncio.run(scenario())
        self.assertNotEqual(writer, threading.get_ident())
