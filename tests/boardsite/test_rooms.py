"""A room applies its commands in the order they came, batches what may be batched, and answers every one."""

import asyncio

from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer
from django.db import OperationalError
from django.test import SimpleTestCase, TransactionTestCase, override_settings

from boardsite.collab import services as collab_services

from boardsite.collab.errors import ActionError
from boardsite.collab.rooms import Command, Room, RoomHub
from tests.support import make_user, websocket_for
from tests.whiteboard.helpers import join
from whiteboard import services as whiteboard_services


class QuietHub(RoomHub):
    """A hub whose rooms publish nothing (these changes broadcast nothing anyway)."""

    def __init__(self):
        super().__init__(layer=None)


class RoomQueueTests(SimpleTestCase):
    def run_commands(self, submissions, *, expect_errors=False):
        """
        Submit `submissions` [(name, apply, batch), ...] to one room, each a
        turn of the event loop after the one before (as frames read from
        sockets arrive); returns each command's answer, in answering order.
        """
        answers = []

        async def scenario():
            room = Room(QuietHub(), "test.board.1")
            all_answered = asyncio.Event()

            def answer_for(name):
                async def answer(result):
                    answers.append((name, result))
                    if len(answers) == len(submissions):
                        all_answered.set()

                return answer

            for name, apply, batch in submissions:
                room.submit(Command(apply=apply, answer=answer_for(name), payload=name, batch=batch))
                await asyncio.sleep(0)
            await asyncio.wait_for(all_answered.wait(), timeout=5)

        if expect_errors:
            with self.assertLogs("boardsite.realtime", "WARNING") as logs:
                asyncio.run(scenario())
            return answers, logs.output
        asyncio.run(scenario())
        return answers, []

    def test_a_run_of_batchable_commands_is_applied_in_one_call_and_others_alone_in_order(self):
        calls = []

        def chunks(payloads):
            calls.append(("chunks", list(payloads)))
            return [f"stored {name}" for name in payloads]

        def single(payloads):
            calls.append(("single", list(payloads)))
            return [f"did {payloads[0]}"]

        answers, _ = self.run_commands([
            ("a", chunks, "stroke"), ("b", chunks, "stroke"), ("c", chunks, "stroke"),
            ("undo", single, None), ("d", chunks, "stroke"),
        ])

        self.assertEqual(calls, [("chunks", ["a", "b", "c"]), ("single", ["undo"]), ("chunks", ["d"])])
        self.assertEqual([name for name, _ in answers], ["a", "b", "c", "undo", "d"])
        self.assertEqual(dict(answers)["undo"], "did undo")

    def test_a_command_refused_by_its_service_gets_the_error_and_the_next_still_applies(self):
        def refuse(payloads):
            raise ActionError("nothing_to_undo", "Nothing to undo.")

        answers, _ = self.run_commands([("undo", refuse, None), ("a", lambda payloads: ["ok"], None)])

        self.assertIsInstance(dict(answers)["undo"], ActionError)
        self.assertEqual(dict(answers)["undo"].code, "nothing_to_undo")
        self.assertEqual(dict(answers)["a"], "ok")

    def test_a_batch_that_fails_unexpectedly_is_refused_and_the_commands_after_it_still_apply(self):
        def chunks(payloads):
            if "a1" in payloads:
                raise RuntimeError("a bug in the service")
            return [f"applied {name}" for name in payloads]

        answers, logs = self.run_commands(
            [("a1", chunks, "stroke"), ("a2", chunks, "stroke"), ("x", lambda p: ["x"], None), ("b1", chunks, "stroke")],
            expect_errors=True,
        )

        answers = dict(answers)
        for name in ("a1", "a2"):
            self.assertIsInstance(answers[name], ActionError)
            self.assertEqual(answers[name].code, "unavailable")
            self.assertIn("not applied", answers[name].message)
        self.assertEqual((answers["x"], answers["b1"]), ("x", "applied b1"))
        self.assertIn("2 command(s) on test.board.1 failed unexpectedly", logs[0])
        self.assertIn("RuntimeError: a bug in the service", logs[0])

    def test_a_change_the_database_refuses_is_answered_unavailable(self):
        def down(payloads):
            raise OperationalError("the database went away")

        answers, logs = self.run_commands([("a1", down, "stroke"), ("b1", down, None)], expect_errors=True)

        self.assertEqual({name: answer.code for name, answer in answers}, {"a1": "unavailable", "b1": "unavailable"})
        self.assertIn("failed in the database", logs[0])

    def test_a_change_of_the_servers_own_waits_its_turn_and_returns_its_result(self):
        order = []

        def slow(payloads):
            order.append("command")
            return ["answered"]

        def release(*, connection):
            order.append(f"release {connection}")
            return ["card 1"]

        async def scenario():
            room = Room(QuietHub(), "test.board.1")
            answered = asyncio.Event()

            async def answer(result):
                answered.set()

            room.submit(Command(apply=slow, answer=answer))
            released = await room.change(release, connection="c1")
            self.assertTrue(answered.is_set())
            return released

        self.assertEqual(asyncio.run(scenario()), ["card 1"])
        self.assertEqual(order, ["command", "release c1"])


class SlowSubscriptionLayer(InMemoryChannelLayer):
    """A layer whose subscriptions take a round trip, as Redis's do over a network."""

    async def group_add(self, group, channel):
        await asyncio.sleep(0.2)
        await super().group_add(group, channel)


@override_settings(
    CHANNEL_LAYERS={"default": {"BACKEND": "tests.boardsite.test_rooms.SlowSubscriptionLayer"}},
    REALTIME_PRESENCE_BATCH_SECONDS=0.05,
)
class HandshakeTests(TransactionTestCase):
    async def test_a_connection_gets_nothing_before_its_handshake_is_accepted(self):
        # Alice's presence batch goes out while bob's connection is still subscribing:
        # it must not reach bob's socket before its accept (daphne refuses a send there).
        alice, bob = await database_sync_to_async(make_user)("alice"), await database_sync_to_async(make_user)("bob")
        board = await database_sync_to_async(self.shared_board)(alice, bob)
        first, _ = await join(board, alice)
        second = await websocket_for(f"/ws/whiteboard/{board.slug}/", user=bob)
        await second.send_input({"type": "websocket.connect"})
        opening = await second.receive_output(timeout=2)
        self.assertEqual(opening["type"], "websocket.accept", opening)
        for socket in (first, second):
            await socket.disconnect()

    @staticmethod
    def shared_board(owner, member):
        board = whiteboard_services.board_create(name="Handshake", owner=owner)
        collab_services.board_add_member(board=board, username=member.username, actor=owner)
        return board
