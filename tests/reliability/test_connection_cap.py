"""
One user's connections to one board are capped (REALTIME_MAX_CONNECTIONS_PER_USER,
boardsite.collab.ratelimit), and a newcomer hears of each person on the board
once, not of every connection (boardsite.collab.rooms.Room.introduce).
"""

import asyncio
import json

import websockets
from django.conf import settings
from django.test import TransactionTestCase, override_settings

from boardsite.collab.consumers import CloseCode
from boardsite.collab.rooms import PRESENCE_LIMIT
from tests.reliability.abusers import frames_until_quiet, open_socket, session_cookies, start_board_server
from tests.support import make_user, receive_frame, websocket_for
from tests.whiteboard.helpers import join
from whiteboard import services


class CapTests(TransactionTestCase):
    """Through the ASGI stack, with the cap lowered to 3."""

    def setUp(self):
        self.alice, self.bob, self.carol = make_user("alice"), make_user("bob"), make_user("carol")
        self.board = services.board_create(name="Crowded", owner=self.alice)
        self.board.members.add(self.bob, self.carol)
        self.path = f"/ws/whiteboard/{self.board.slug}/"

    async def refused_code(self, user):
        """The close code of a connection that is refused after being accepted (so a browser sees the code)."""
        communicator = await websocket_for(self.path, user=user)
        connected, _ = await communicator.connect()
        self.assertTrue(connected, "refused at the handshake: a browser would not see the close code")
        output = await communicator.receive_output(timeout=3)
        self.assertEqual(output["type"], "websocket.close", f"got {output} instead of a close")
        return output["code"]

    @override_settings(REALTIME_MAX_CONNECTIONS_PER_USER=3)
    async def test_a_connection_over_the_cap_is_refused_with_4430_until_one_closes(self):
        tabs = [(await join(self.board, self.alice))[0] for _ in range(3)]
        self.assertEqual(await self.refused_code(self.alice), CloseCode.TOO_MANY_CONNECTIONS)
        bob, _ = await join(self.board, self.bob)  # another user is not affected
        await tabs.pop().disconnect()
        tabs.append((await join(self.board, self.alice))[0])
        for communicator in (*tabs, bob):
            await communicator.disconnect()

    async def test_a_newcomer_hears_of_each_person_once_with_all_their_connections(self):
        tabs = [(await join(self.board, self.alice))[0] for _ in range(3)]
        bob, _ = await join(self.board, self.bob)
        carol = await websocket_for(self.path, user=self.carol)
        await carol.connect()
        frames = []
        while not await carol.receive_nothing(0.3):
            frames.append(await receive_frame(carol))
        here_frames = [frame for frame in frames if frame["type"] == "presence" and "here" in frame]
        self.assertEqual(len(here_frames), 1)
        here = {member["username"]: member for member in here_frames[0]["here"]}
        self.assertEqual(len(here_frames[0]["here"]), 2)
        self.assertEqual(set(here), {"alice", "bob"})
        self.assertEqual(len(set(here["alice"]["conns"])), 3)
        self.assertIn(here["alice"]["conn"], here["alice"]["conns"])
        self.assertEqual(len(here["bob"]["conns"]), 1)
        for communicator in (*tabs, bob, carol):
            await communicator.disconnect()


class DaphneCapTests(TransactionTestCase):
    """On a real daphne, with the default cap (20) and presence limit (50 people)."""

    def setUp(self):
        self.alice, self.bob, self.carol = make_user("alice"), make_user("bob"), make_user("carol")
        self.crowd = [make_user(f"person{number}") for number in range(50)]
        board = services.board_create(name="Crowded", owner=self.alice)
        board.members.add(self.bob, self.carol, *self.crowd)
        self.path = f"/ws/whiteboard/{board.slug}/"
        self.server = start_board_server(self, "connection-cap")
        self.cookies = {user.username: session_cookies(user) for user in (self.alice, self.bob, self.carol, *self.crowd)}

    async def connected(self, username):
        """A socket that got its `hello`."""
        socket = await open_socket(self.server, self.path, self.cookies[username], max_queue=None)
        hello = json.loads(await asyncio.wait_for(socket.recv(), 10))
        self.assertEqual(hello["type"], "hello")
        return socket

    async def refused_code(self, username):
        socket = await open_socket(self.server, self.path, self.cookies[username])
        with self.assertRaises(websockets.ConnectionClosed):
            await asyncio.wait_for(socket.recv(), 10)
        return socket.close_code

    def test_the_21st_socket_of_a_user_is_refused_and_others_are_not(self):
        cap = settings.REALTIME_MAX_CONNECTIONS_PER_USER

        async def scenario():
            tabs = [await self.connected("alice") for _ in range(cap)]
            self.assertEqual(await self.refused_code("alice"), CloseCode.TOO_MANY_CONNECTIONS)
            bob = await self.connected("bob")
            await tabs.pop().close()
            # The server counts the closed tab out once it hears of the close; then there is room again.
            for _ in range(50):
                try:
                    tabs.append(await self.connected("alice"))
                    break
                except websockets.ConnectionClosed as closed:
                    self.assertEqual(closed.rcvd.code, CloseCode.TOO_MANY_CONNECTIONS)
                    await asyncio.sleep(0.1)
            self.assertEqual(len(tabs), cap, "no room for a new tab after one closed")
            for socket in (*tabs, bob):
                await socket.close()

        asyncio.run(scenario())

    def test_a_newcomer_gets_one_frame_listing_each_person_once(self):
        cap = settings.REALTIME_MAX_CONNECTIONS_PER_USER

        async def scenario():
            sockets = [await self.connected("alice") for _ in range(cap)]
            sockets += [await self.connected(user.username) for user in self.crowd]
            carol = await self.connected("carol")
            frames = await frames_until_quiet(carol)
            for socket in (*sockets, carol):
                await socket.close()
            return frames, len(sockets)

        frames, connections = asyncio.run(scenario())
        here_frames = [frame for frame in frames if frame["type"] == "presence" and "here" in frame]
        here = [member for frame in here_frames for member in frame["here"]]
        print(
            f"\nnewcomer after {connections} connections of {len(self.crowd) + 1} people: "
            f"{len(frames)} frames, {len(here_frames)} listing who is there: {len(here)} people "
            f"({sum(len(member['conns']) for member in here)} connections) and {here_frames[0]['more']} more"
        )
        self.assertEqual(len(here_frames), 1)
        self.assertEqual(len(here), PRESENCE_LIMIT)
        self.assertEqual(here_frames[0]["more"], len(self.crowd) + 1 - PRESENCE_LIMIT)
        self.assertEqual(len({member["id"] for member in here}), len(here), "a person was listed twice")
        for member in here:
            self.assertEqual(len(member["conns"]), cap if member["username"] == "alice" else 1, member)
