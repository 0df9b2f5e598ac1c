"""
Batching of hot commands (whiteboard stroke chunks).

One transaction per stroke chunk would cap a board at what the database can
commit one by one. Instead, each board has, per server process, a batcher:
commands submitted while a batch is in the database wait, and the next
transaction takes all of them, with one seq allocation, one bulk insert and
one broadcast. Each command's answer (its seq, or the error that refused it
alone) is delivered after that transaction commits, so an `ack` still means
durable.
"""

import asyncio
import logging

from django.db import DatabaseError

from boardsite.collab.errors import ActionError

logger = logging.getLogger("boardsite.realtime")

MAX_BATCH = 500
# Before a batch starts, the event loop gets turns to hand over the commands
# it has already read (a frame takes a few turns from its socket to
# `submit`): until QUIET_TURNS turns in a row bring none, the batch is full,
# or COLLECT_AT_MOST seconds have passed.
QUIET_TURNS = 3
COLLECT_AT_MOST = 0.002


def unavailable_error():
    return ActionError("unavailable", "The change could not be saved just now; it was not applied. Try again.")


class CommandBatcher:
    """
    `await apply_batch(commands)` returns one result per command: whatever
    the command's answer is, or an ActionError (the board hub runs it in the
    database thread).
    """

    def __init__(self, apply_batch):
        self.apply_batch = apply_batch
        self.pending = []
        self.worker = None

    def submit(self, command, on_result):
        """Queue `command`; `await on_result(result)` runs once its batch has committed or failed."""
        self.pending.append((command, on_result))
        if self.worker is None:
            self.worker = asyncio.create_task(self.run())

    async def collect_received(self):
        """
        Let the commands the process has already received reach the batch:
        the batch's database work may hold the event loop
        (boardsite.collab.fanout.database_change), and what it has not
        handed over by then waits for the next batch.
        """
        loop = asyncio.get_running_loop()
        until = loop.time() + COLLECT_AT_MOST
        quiet = 0
        while quiet < QUIET_TURNS and len(self.pending) < MAX_BATCH and loop.time() < until:
            count = len(self.pending)
            await asyncio.sleep(0)
            quiet = quiet + 1 if len(self.pending) == count else 0

    async def run(self):
        try:
            while self.pending:
                await self.collect_received()
                batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
                try:
                    results = await self.apply_batch([command for command, _ in batch])
                except Exception as error:
                    # Its transaction rolled back: nothing in the batch was applied. Every command
                    # is answered, or its connection would wait for the answer for ever.
                    where = "in the database" if isinstance(error, DatabaseError) else "unexpectedly"
                    logger.exception("a batch of %d commands failed %s", len(batch), where)
                    results = [unavailable_error()] * len(batch)
                for (_, on_result), result in zip(batch, results):
                    try:
                        await on_result(result)
                    except Exception:  # a closed connection must not stop the answers to the others
                        logger.exception("answering a batched command failed")
        finally:
            self.worker = None
