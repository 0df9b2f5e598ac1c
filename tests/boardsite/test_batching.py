"""The batcher answers every command it was given, whatever its batch ran into."""

import asyncio

from django.db import OperationalError
from django.test import SimpleTestCase

from boardsite.collab.batching import CommandBatcher
from boardsite.collab.errors import ActionError


class CommandBatcherTests(SimpleTestCase):
    def run_batches(self, apply_batch, *, first, then):
        """Submit `first`, then `then` while the first batch is still running; returns each command's answer."""
        answers = {}

        started = asyncio.Event()

        async def starting(commands):
            started.set()
            return await apply_batch(commands)

        async def scenario():
            batcher = CommandBatcher(starting)
            answered = asyncio.Event()

            def answer_for(command):
                async def on_result(result):
                    answers[command] = result
                    if len(answers) == len(first) + len(then):
                        answered.set()

                return on_result

            for command in first:
                batcher.submit(command, answer_for(command))
            await started.wait()  # the first batch is running
            for command in then:
                batcher.submit(command, answer_for(command))
            await asyncio.wait_for(answered.wait(), timeout=5)

        with self.assertLogs("boardsite.realtime", "ERROR") as logs:
            asyncio.run(scenario())
        return answers, logs.output

    def test_a_batch_that_fails_unexpectedly_is_refused_and_the_commands_after_it_still_apply(self):
        async def apply_batch(commands):
            await asyncio.sleep(0.01)
            if "a1" in commands:
                raise RuntimeError("a bug in the service")
            return [f"applied {command}" for command in commands]

        answers, logs = self.run_batches(apply_batch, first=["a1", "a2"], then=["b1", "b2"])

        for command in ("a1", "a2"):
            self.assertIsInstance(answers[command], ActionError)
            self.assertEqual(answers[command].code, "unavailable")
            self.assertIn("not applied", answers[command].message)
        self.assertEqual((answers["b1"], answers["b2"]), ("applied b1", "applied b2"))
        self.assertIn("a batch of 2 commands failed unexpectedly", logs[0])
        self.assertIn("RuntimeError: a bug in the service", logs[0])

    def test_a_batch_the_database_refuses_is_answered_unavailable(self):
        async def apply_batch(commands):
            raise OperationalError("the database went away")

        answers, logs = self.run_batches(apply_batch, first=["a1"], then=["b1"])

        codes = {command: answer.code for command, answer in answers.items()}
        self.assertEqual(codes, {"a1": "unavailable", "b1": "unavailable"})
        self.assertIn("failed in the database", logs[0])

    def test_commands_received_while_a_batch_is_forming_join_it(self):
        batches = []

        async def apply_batch(commands):
            batches.append(list(commands))
            return commands

        async def answered(result):
            pass

        async def scenario():
            batcher = CommandBatcher(apply_batch)
            batcher.submit("a", answered)
            for command in ("b", "c"):  # each a turn of the loop later, as frames read meanwhile arrive
                await asyncio.sleep(0)
                batcher.submit(command, answered)
            while batcher.worker is not None:
                await asyncio.sleep(0)
            batcher.submit("d", answered)
            while batcher.worker is not None:
                await asyncio.sleep(0)

        asyncio.run(scenario())
        self.assertEqual(batches, [["a", "b", "c"], ["d"]])
