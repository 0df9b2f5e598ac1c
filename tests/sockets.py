"""A board websocket of a real server (daphne started by the test), as the tests drive it."""

import asyncio
import json
import time

import websockets

from bench.session import cookie_header

TIMEOUT = 20

# Frames that are neither an answer nor a stored event.
NOT_EVENTS = frozenset({"hello", "synced", "ack", "error", "presence", "history", "board", "cursor"})


class BoardSocket:
    """
    A logged-in websocket, synced on `open`: records every frame the server
    sends, the answers to commands by `ref`, and when and with which code
    the server closed it. Use `async with BoardSocket(...) as socket`, or
    `await BoardSocket(...).open()` and `close()`.
    """

    def __init__(self, server, path, cookies):
        self.server, self.path, self.cookies = server, path, cookies
        self.frames = []
        self.answers = {}  # ref -> its ack or error
        self.changed = asyncio.Event()
        self.closed = asyncio.Event()
        self.closed_at = None
        self.close_code = None

    async def open(self):
        self.socket = await websockets.connect(
            f"{self.server.ws_url}{self.path}",
            origin=self.server.http_url,
            additional_headers={"Cookie": cookie_header(self.cookies)},
        )
        self.reader = asyncio.create_task(self.read())
        hello = await self.wait_for(lambda frame: frame["type"] == "hello")
        await self.send({"type": "sync", "since": hello["seq"], "ref": "sync"})
        await self.wait_for(lambda frame: frame["type"] == "synced")
        return self

    async def __aenter__(self):
        return await self.open()

    async def __aexit__(self, *exc):
        await self.close()

    async def close(self):
        await self.socket.close()
        await self.reader

    async def read(self):
        try:
            async for text in self.socket:
                frame = json.loads(text)
                self.frames.append(frame)
                if frame["type"] in ("ack", "error") and frame.get("ref") is not None:
                    self.answers[frame["ref"]] = frame
                self.changed.set()
        except websockets.ConnectionClosed:
            pass
        self.closed_at = time.monotonic()
        self.close_code = self.socket.close_code
        self.closed.set()
        self.changed.set()

    async def send(self, message):
        await self.socket.send(json.dumps(message))

    async def wait_for(self, predicate, timeout=TIMEOUT):
        """The first frame `predicate` accepts, once it has arrived."""

        async def found():
            while True:
                for frame in self.frames:
                    if predicate(frame):
                        return frame
                if self.closed.is_set():
                    raise websockets.ConnectionClosed(None, None)
                self.changed.clear()
                await self.changed.wait()

        return await asyncio.wait_for(found(), timeout)

    async def command(self, message):
        """Send a command (with its `ref`) and wait for its answer; None if the server closed the socket first."""
        ref = message["ref"]
        self.answers.pop(ref, None)
        await self.send(message)

        async def answered():
            while ref not in self.answers and not self.closed.is_set():
                self.changed.clear()
                await self.changed.wait()
            return self.answers.get(ref)

        return await asyncio.wait_for(answered(), TIMEOUT)

    async def wait_closed(self):
        """The code the server closed the socket with, once it has."""
        await asyncio.wait_for(self.closed.wait(), TIMEOUT)
        return self.close_code

    @property
    def acks(self):
        return [frame for frame in self.frames if frame["type"] == "ack"]

    @property
    def errors(self):
        return [frame for frame in self.frames if frame["type"] == "error"]

    @property
    def events(self):
        """The stored events received (not the socket's own changes: those are acked)."""
        return [frame for frame in self.frames if frame["type"] not in NOT_EVENTS and "seq" in frame]

    def people_here(self):
        """The usernames the presence frames received say are on the board (besides this socket's own)."""
        here = set()
        for frame in self.frames:
            if frame["type"] != "presence":
                continue
            here |= {member["username"] for member in frame.get("here", [])}
            here |= {member["username"] for member in frame.get("joined", [])}
            here -= {member["username"] for member in frame.get("left", [])}
        return here

    async def wait_until(self, condition, timeout=TIMEOUT):
        """Wait until `condition()` holds, checked at each frame; a timeout leaves it to the caller's assertion."""

        async def holds():
            while not condition() and not self.closed.is_set():
                self.changed.clear()
                await self.changed.wait()

        try:
            await asyncio.wait_for(holds(), timeout)
        except asyncio.TimeoutError:
            pass

    def seen_seqs(self):
        """Every seq this socket has learnt of, as an event or an ack, in order."""
        return sorted([event["seq"] for event in self.events] + [ack["seq"] for ack in self.acks if ack["seq"] is not None])

    async def wait_for_seqs(self, first_seq, last_seq):
        """Wait until every seq from first_seq to last_seq has arrived, as an event or an ack."""
        wanted = set(range(first_seq, last_seq + 1))

        async def caught_up():
            while not wanted <= set(self.seen_seqs()):
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(caught_up(), TIMEOUT)
