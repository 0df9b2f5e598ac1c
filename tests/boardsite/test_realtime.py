"""
The websocket conventions both apps share (boardsite.collab.consumers),
exercised through the whiteboard's route on the full ASGI stack.
"""

import asyncio

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.test import TransactionTestCase, override_settings

from boardsite.channel_layers import channel_layers_config
from boardsite.collab import services as collab_services
from boardsite.collab.consumers import CloseCode
from boardsite.collab.events import board_group_name
from boardsite.collab.selectors import SYNC_PAGE_SIZE
from tests.support import make_user, receive_frame, receive_until, require_redis, websocket_for
from tests.whiteboard.helpers import command, join, stroke_message
from whiteboard.models import Board, BoardEvent


async def presence_frame(communicator, key):
    """The next `presence` frame that has `key` (here, joined or left)."""
    while True:
        frame, _ = await receive_until(communicator, "presence")
        if key in frame:
            return frame


class RealtimeTestCase(TransactionTestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.bob = make_user("bob")
        self.mallory = make_user("mallory")
        self.board = Board.objects.create(name="Plans", owner=self.alice)
        self.board.members.add(self.bob)
        self.path = f"/ws/whiteboard/{self.board.slug}/"

    async def connect(self, user, path=None, *, skip_initial_state=True):
        communicator = await websocket_for(path or self.path, user=user)
        connected, code = await communicator.connect()
        self.assertTrue(connected, f"refused with {code}")
        hello = await receive_frame(communicator)
        self.assertEqual(hello["type"], "hello")
        # Skip the app's own initial state (the whiteboard's undo state, the kanban's board).
        while skip_initial_state and not await communicator.receive_nothing(0.1):
            await communicator.receive_output()
        return communicator, hello


class ConnectTests(RealtimeTestCase):
    async def test_hello_names_the_user_and_the_latest_seq(self):
        communicator, hello = await self.connect(self.alice)
        self.assertEqual(hello["user"]["username"], "alice")
        self.assertEqual(hello["seq"], 0)
        self.assertEqual(hello["board"], {"slug": self.board.slug, "name": "Plans"})

    async def test_anonymous_is_refused_before_any_data(self):
        communicator = await websocket_for(self.path)
        connected, code = await communicator.connect()
        self.assertFalse(connected)
        self.assertEqual(code, CloseCode.NOT_AUTHENTICATED)

    async def test_non_member_is_refused_before_any_data(self):
        communicator = await websocket_for(self.path, user=self.mallory)
        connected, code = await communicator.connect()
        self.assertFalse(connected)
        self.assertEqual(code, CloseCode.BOARD_NOT_FOUND)

    async def test_unknown_board_is_refused(self):
        communicator = await websocket_for("/ws/whiteboard/no-such-board/", user=self.alice)
        connected, code = await communicator.connect()
        self.assertFalse(connected)

    async def test_other_origins_are_refused(self):
        # The site is http://localhost (tests.support.websocket_for): another host, port or scheme is refused.
        for origin in ("https://evil.example", "http://localhost:8001", "https://localhost", None):
            with self.subTest(origin=origin):
                communicator = await websocket_for(self.path, user=self.alice, origin=origin)
                connected, _ = await communicator.connect()
                self.assertFalse(connected)

    async def test_board_shared_with_everyone_admits_any_logged_in_user(self):
        await database_sync_to_async(collab_services.board_set_shared)(board=self.board, shared=True, actor=self.alice)
        communicator, hello = await self.connect(self.mallory)
        self.assertEqual(hello["seq"], 1)


class PresenceTests(RealtimeTestCase):
    async def test_join_here_and_leave(self):
        alice, alice_hello = await self.connect(self.alice)
        bob, bob_hello = await self.connect(self.bob, skip_initial_state=False)
        joined = await receive_frame(alice)
        self.assertEqual(joined, {"type": "presence", "joined": [bob_hello["user"]], "left": []})
        here = await presence_frame(bob, "here")
        self.assertEqual(here, {"type": "presence", "here": [{**alice_hello["user"], "conns": [alice_hello["user"]["conn"]]}],
                                "more": 0})
        await bob.disconnect()
        left = await receive_frame(alice)
        self.assertEqual(left, {"type": "presence", "joined": [], "left": [bob_hello["user"]]})

    @override_settings(REALTIME_PRESENCE_BATCH_SECONDS=2.0)
    async def test_a_crowd_joining_at_once_is_announced_in_one_frame(self):
        alice, _ = await self.connect(self.alice)
        await asyncio.sleep(2.5)  # alice's own arrival has gone out, to the others only
        crowd = [await database_sync_to_async(make_user)(f"crowd{number}") for number in range(5)]
        await database_sync_to_async(self.board.members.add)(*crowd)
        sockets = [await self.connect(user, skip_initial_state=False) for user in crowd]
        joined = await receive_frame(alice)
        self.assertEqual(sorted(member["username"] for member in joined["joined"]), [user.username for user in crowd])
        self.assertTrue(await alice.receive_nothing(0.2))
        for socket, _ in sockets:
            await socket.disconnect()


class SyncTests(RealtimeTestCase):
    async def rename(self, name):
        await database_sync_to_async(collab_services.board_rename)(board=self.board, name=name, actor=self.alice)

    async def test_sync_sends_what_was_missed_then_live_events_once_in_order(self):
        await self.rename("One")
        await self.rename("Two")
        communicator, hello = await self.connect(self.bob)
        self.assertEqual(hello["seq"], 2)
        await communicator.send_json_to({"type": "sync", "since": 1, "ref": "s1"})
        frame = await receive_frame(communicator)
        self.assertEqual(frame, {"type": "board.renamed", "seq": 2, "name": "Two"})
        self.assertEqual(await receive_frame(communicator), {"type": "synced", "ref": "s1", "seq": 2})
        await self.rename("Three")
        self.assertEqual(await receive_frame(communicator), {"type": "board.renamed", "seq": 3, "name": "Three"})
        self.assertTrue(await communicator.receive_nothing(0.2))

    async def test_no_events_before_the_first_sync(self):
        communicator, _ = await self.connect(self.bob)
        await self.rename("Before sync")
        self.assertTrue(await communicator.receive_nothing(0.3))
        await communicator.send_json_to({"type": "sync", "since": 0})
        self.assertEqual((await receive_frame(communicator))["name"], "Before sync")

    def store_renames(self, count):
        """`count` stored events, inserted at once (a thousand through the service would take seconds)."""
        first = self.board.last_seq + 1
        BoardEvent.objects.bulk_create(
            BoardEvent(board=self.board, seq=seq, type="board.renamed",
                       payload={"type": "board.renamed", "seq": seq, "name": f"Name {seq}"})
            for seq in range(first, first + count)
        )
        Board.objects.filter(pk=self.board.pk).update(last_seq=first + count - 1)
        self.board.refresh_from_db()

    async def test_sync_reads_page_after_page_and_misses_nothing_at_a_page_boundary(self):
        for stored in (SYNC_PAGE_SIZE, SYNC_PAGE_SIZE + 2):
            with self.subTest(stored=stored):
                since = self.board.last_seq
                await database_sync_to_async(self.store_renames)(stored)
                communicator, hello = await self.connect(self.bob)
                await communicator.send_json_to({"type": "sync", "since": since, "ref": "s"})
                seqs = [(await receive_frame(communicator))["seq"] for _ in range(stored)]
                self.assertEqual(seqs, list(range(since + 1, hello["seq"] + 1)))
                synced = await receive_frame(communicator)
                self.assertEqual(synced, {"type": "synced", "ref": "s", "seq": hello["seq"]})
                await self.rename("Live")
                self.assertEqual((await receive_frame(communicator))["seq"], hello["seq"] + 1)
                await communicator.disconnect()

    async def test_since_beyond_the_latest_seq_is_an_error(self):
        communicator, _ = await self.connect(self.bob)
        await communicator.send_json_to({"type": "sync", "since": 5, "ref": 7})
        error = await receive_frame(communicator)
        self.assertEqual((error["type"], error["ref"], error["code"]), ("error", 7, "out_of_range"))


class BadFrameTests(RealtimeTestCase):
    async def test_each_bad_frame_gets_an_error(self):
        communicator, _ = await self.connect(self.bob)
        cases = [
            ("not json", "invalid_json"),
            ("[1, 2]", "invalid_message"),
            ('{"type": 3}', "invalid_message"),
            ('{"type": "sync", "since": NaN}', "invalid_json"),
            ('{"type": "sync", "since": Infinity}', "invalid_json"),
            ('{"type": "nope"}', "unknown_type"),
            ('{"type": "sync", "since": "0"}', "invalid_field"),
            ('{"type": "sync", "since": 0, "ref": {"a": 1}}', "invalid_ref"),
            ("x" * 70000, "frame_too_large"),
        ]
        for text, code in cases:
            with self.subTest(code=code):
                await communicator.send_to(text_data=text)
                frame = await receive_frame(communicator)
                self.assertEqual((frame["type"], frame["code"]), ("error", code))
        await communicator.send_to(bytes_data=b"\x00\x01")
        self.assertEqual((await receive_frame(communicator))["code"], "binary_frame")

    @override_settings(REALTIME_MAX_INVALID_PER_MINUTE=5)
    async def test_a_client_that_keeps_sending_garbage_is_disconnected(self):
        communicator, _ = await self.connect(self.bob)
        for _ in range(6):
            await communicator.send_to(text_data="garbage")
        output = None
        for _ in range(7):
            output = await communicator.receive_output(timeout=2)
            if output["type"] == "websocket.close":
                break
        self.assertEqual(output, {"type": "websocket.close", "code": CloseCode.INVALID_MESSAGES})

    @override_settings(REALTIME_RATE_PER_SECOND=1, REALTIME_RATE_BURST=5)
    async def test_a_flooding_client_is_throttled_then_disconnected(self):
        communicator, _ = await self.connect(self.bob)
        for _ in range(12):
            await communicator.send_json_to({"type": "sync", "since": 0})
        outputs = []
        while True:
            output = await communicator.receive_output(timeout=2)
            outputs.append(output)
            if output["type"] == "websocket.close":
                break
        self.assertEqual(outputs[-1]["code"], CloseCode.RATE_LIMITED)
        self.assertTrue(any('"code":"rate_limited"' in o.get("text", "") for o in outputs))


class AccessChangeTests(RealtimeTestCase):
    async def test_a_removed_member_loses_the_open_socket_at_once(self):
        bob, _ = await self.connect(self.bob)
        alice, _ = await self.connect(self.alice)
        await database_sync_to_async(collab_services.board_remove_member)(
            board=self.board, username="bob", actor=self.alice
        )
        output = None
        for _ in range(5):
            output = await bob.receive_output(timeout=2)
            if output["type"] == "websocket.close":
                break
        self.assertEqual(output, {"type": "websocket.close", "code": CloseCode.ACCESS_REVOKED})
        # The owner stays connected.
        await alice.send_json_to({"type": "sync", "since": 0})
        synced, _ = await receive_until(alice, "synced")
        self.assertEqual(synced["seq"], 1)

    async def test_deleting_the_board_closes_every_socket(self):
        bob, _ = await self.connect(self.bob)
        await database_sync_to_async(collab_services.board_delete)(board=self.board, actor=self.alice)
        output = None
        for _ in range(5):
            output = await bob.receive_output(timeout=2)
            if output["type"] == "websocket.close":
                break
        self.assertEqual(output, {"type": "websocket.close", "code": CloseCode.BOARD_NOT_FOUND})


class RedisLayerTests(RealtimeTestCase):
    """
    The channels-redis layer as configured: idle sockets must survive
    redis-py's timeouts, and every other process's hub gets the board's events.
    """

    def setUp(self):
        super().setUp()
        settings_override = override_settings(CHANNEL_LAYERS=channel_layers_config(redis_url=require_redis()))
        settings_override.enable()
        self.addCleanup(settings_override.disable)

    async def test_a_websocket_stays_open_and_working_after_12_seconds_idle(self):
        alice, _ = await self.connect(self.alice)
        await alice.send_json_to({"type": "sync", "since": 0})
        await receive_until(alice, "synced")
        await asyncio.sleep(12)
        # Still connected: no close frame arrived while idle, and events still flow through Redis.
        self.assertTrue(await alice.receive_nothing(0.1))
        bob, _ = await self.connect(self.bob)
        joined = await receive_frame(alice, timeout=5)
        self.assertEqual([member["username"] for member in joined["joined"]], ["bob"])
        await database_sync_to_async(collab_services.board_rename)(board=self.board, name="After idle", actor=self.alice)
        renamed = await receive_frame(alice, timeout=5)
        self.assertEqual((renamed["type"], renamed["name"]), ("board.renamed", "After idle"))

    async def test_strokes_reach_the_hub_of_another_process_on_the_board(self):
        alice, _ = await join(self.board, self.alice)
        layer = get_channel_layer()
        group, other_hub = board_group_name(self.board), await layer.new_channel()
        await layer.group_add(group, other_hub)  # what a second server process subscribes
        try:
            acks = [await command(alice, stroke_message("s1", chunk=chunk, ref=f"c{chunk}")) for chunk in range(3)]
            self.assertEqual([ack["type"] for ack in acks], ["ack"] * 3)
            received = []
            while len(received) < 3:
                message = await asyncio.wait_for(layer.receive(other_hub), timeout=5)
                events = message.get("events", [message]) if message["type"].startswith("board.event") else []
                received.extend(event["seq"] for event in events)
            self.assertEqual(received, [ack["seq"] for ack in acks])
        finally:
            await layer.group_discard(group, other_hub)

