"""
Clients that misbehave, against a real daphne serving the test database
(SQLite or PostgreSQL, whichever the run uses): the tests of what one
client may cost a server (floods, connections, frame sizes).
"""

import asyncio
import json
import time
from dataclasses import dataclass, field

import websockets
from django.test import Client
from websockets.protocol import State

from bench.session import cookie_header
from tests.reliability.faults import server_environment, shared_database_url, start_server

CURSOR = json.dumps({"type": "cursor", "x": 0.5, "y": 0.5})


def start_board_server(test, name, **environment):
    """A daphne process on the test database, stopped when the test ends."""
    return start_server(test, name, server_environment(DATABASE_URL=shared_database_url(), **environment))


def session_cookies(user):
    """A logged-in session's cookies, made in the database (a login through the server would rehash the password)."""
    client = Client()
    client.force_login(user)
    return {name: morsel.value for name, morsel in client.cookies.items()}


async def open_socket(server, path, cookies, **options):
    return await websockets.connect(
        f"{server.ws_url}{path}",
        origin=server.http_url,
        additional_headers={"Cookie": cookie_header(cookies)},
        **options,
    )


async def frames_until_quiet(socket, quiet=1.0, limit=10.0):
    """The frames a socket receives until none has come for `quiet` seconds (at most `limit` seconds in all)."""
    frames = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            frames.append(json.loads(await asyncio.wait_for(socket.recv(), quiet)))
        except TimeoutError:
            break
    return frames


@dataclass
class Flood:
    sent: int = 0  # frames the client wrote before the server closed the connection
    close_frame_after: float = None  # seconds from the first frame to the server's close frame
    closed_after: float = None  # ... to the end of the TCP connection
    close_code: int = None
    frames: list = field(default_factory=list)  # what the server sent meanwhile

    @property
    def errors(self):
        return [frame for frame in self.frames if frame["type"] == "error"]


async def flood(server, path, cookies, *, frame=CURSOR, seconds=8):
    """
    Connect, sync, then send `frame` as fast as the connection takes it
    for `seconds` or until the server closes the connection.
    """
    socket = await open_socket(server, path, cookies, max_queue=None)
    hello = json.loads(await socket.recv())
    await socket.send(json.dumps({"type": "sync", "since": hello["seq"]}))
    result = Flood()
    started = time.monotonic()

    async def read():
        try:
            async for text in socket:
                result.frames.append(json.loads(text))
        except websockets.ConnectionClosed:
            pass

    async def watch():
        while socket.state is State.OPEN:
            await asyncio.sleep(0.005)
        result.close_frame_after = time.monotonic() - started

    tasks = [asyncio.create_task(read()), asyncio.create_task(watch())]
    try:
        while time.monotonic() - started < seconds:
            await socket.send(frame)
            result.sent += 1
            if result.sent % 100 == 0:
                await asyncio.sleep(0)  # let the reader see what the server sends
    except websockets.ConnectionClosed:
        pass
    await socket.close()
    result.closed_after = time.monotonic() - started
    await asyncio.gather(*tasks)
    result.close_code = socket.close_code
    return result
