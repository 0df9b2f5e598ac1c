"""
A websocket client with the browser's recovery logic (the pages'
static/js/connection.js): commands wait in an outbox until acked; when the connection
drops it reconnects by itself, sends `sync` with the last seq it holds
without a gap, and re-sends every unacked command in order. It keeps the
board as it knows it, so a test can compare it with the database.
"""

import asyncio
import json

import websockets

from bench.session import cookie_header

RECONNECT_DEADLINE = 30  # seconds a client keeps trying before it gives up
RECONNECT_PAUSE = 0.2


class ReconnectingClient:
    def __init__(self, server, path, cookies):
        self.server, self.path, self.cookies = server, path, cookies  # server.ws_url is read at each reconnect
        self.outbox = {}  # ref -> message, in the order sent, until acked
        self.answers = {}  # ref -> ack or error
        self.applied = set()  # seqs applied (events and own acks)
        self.base_seq = None  # the seq of the state the client started from
        self.connections = 0
        self.socket = None
        self.live = asyncio.Event()
        self.changed = asyncio.Event()
        self.stopping = False
        self.runner = None

    # The board as this client knows it: apps override these.

    def load(self, frame):
        """The app's initial state frame (kanban `board`), if it sends one."""

    def apply_event(self, frame):
        raise NotImplementedError

    def apply_own(self, message, answer):
        raise NotImplementedError

    # Connection handling

    def contiguous_seq(self):
        seq = self.base_seq or 0
        while seq + 1 in self.applied:
            seq += 1
        return seq

    async def start(self):
        self.runner = asyncio.create_task(self.run())
        await asyncio.wait_for(self.live.wait(), RECONNECT_DEADLINE)
        return self

    async def run(self):
        while not self.stopping:
            try:
                await self.connect_once()
            except (OSError, websockets.ConnectionClosed, websockets.InvalidHandshake, asyncio.TimeoutError):
                pass
            self.live.clear()
            if not self.stopping:
                await asyncio.sleep(RECONNECT_PAUSE)

    async def connect_once(self):
        async with websockets.connect(
            f"{self.server.ws_url}{self.path}",
            origin=self.server.http_url,
            additional_headers={"Cookie": cookie_header(self.cookies)},
            open_timeout=5,
        ) as socket:
            self.socket = socket
            self.connections += 1
            hello = json.loads(await socket.recv())
            assert hello["type"] == "hello", hello
            if self.base_seq is None:
                self.base_seq = hello["seq"]
            await socket.send(json.dumps({"type": "sync", "since": self.contiguous_seq(), "ref": "sync"}))
            for ref, message in list(self.outbox.items()):
                await socket.send(json.dumps({**message, "ref": ref}))
            async for text in socket:
                self.receive(json.loads(text))

    def receive(self, frame):
        kind = frame["type"]
        if kind == "synced":
            self.live.set()
        elif kind == "board":
            if self.base_seq is None or not self.applied:
                self.base_seq = frame["seq"]
            self.load(frame)
        elif kind in ("ack", "error") and frame.get("ref") in self.outbox:
            message = self.outbox.pop(frame["ref"])
            self.answers[frame["ref"]] = frame
            if kind == "ack" and frame.get("seq") is not None:
                self.applied.add(frame["seq"])
            self.apply_own(message, frame)
        elif frame.get("seq") is not None and not kind.startswith("presence"):
            self.applied.add(frame["seq"])
            self.apply_event(frame)
        self.changed.set()

    async def send(self, ref, message):
        """Queue a command; sent now if connected, else on reconnect."""
        self.outbox[ref] = message
        if self.live.is_set():
            try:
                await self.socket.send(json.dumps({**message, "ref": ref}))
            except websockets.ConnectionClosed:
                pass  # re-sent from the outbox on reconnect

    async def command(self, ref, message):
        await self.send(ref, message)
        await self.wait_until(lambda: ref in self.answers)
        return self.answers[ref]

    async def wait_until(self, condition, timeout=RECONNECT_DEADLINE):
        async def satisfied():
            while not condition():
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(satisfied(), timeout)

    async def stop(self):
        self.stopping = True
        if self.socket is not None:
            await self.socket.close()
        self.runner.cancel()


class WhiteboardClient(ReconnectingClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.strokes = {}  # id -> {chunk: points}
        self.offsets = {}  # id -> [dx, dy]: how far its moves took it
        self.moves_applied = set()  # each move id once, as the page applies them

    def apply_event(self, frame):
        if frame["type"] == "stroke":
            self.strokes.setdefault(frame["id"], {})[frame["chunk"]] = frame["points"]
        elif frame["type"] == "move":
            self.moved(frame)

    def apply_own(self, message, answer):
        if answer["type"] == "ack" and message["type"] == "stroke":
            self.strokes.setdefault(message["id"], {})[message["chunk"]] = message["points"]
        elif answer["type"] == "ack" and message["type"] == "move":
            self.moved(message)

    def moved(self, move):
        if move["id"] in self.moves_applied:
            return
        self.moves_applied.add(move["id"])
        for stroke_id in move["ids"]:
            offset = self.offsets.setdefault(stroke_id, [0.0, 0.0])
            offset[0] = round(offset[0] + move["dx"], 4)
            offset[1] = round(offset[1] + move["dy"], 4)

    def board(self):
        return {stroke_id: [p for _, points in sorted(chunks.items()) for p in points] for stroke_id, chunks in self.strokes.items()}


class KanbanClient(ReconnectingClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cards = {}  # id -> (version, column)

    def load(self, frame):
        for column in frame["columns"]:
            for card in column["cards"]:
                self.learn(card)

    def learn(self, card):
        if isinstance(card, dict) and "version" in card:
            known = self.cards.get(card["id"])
            if known is None or known[0] <= card["version"]:
                self.cards[card["id"]] = (card["version"], card["column"])

    def apply_event(self, frame):
        self.learn(frame.get("card"))

    def apply_own(self, message, answer):
        self.learn(answer.get("card"))  # an ack, or a conflict carrying the card as it is

    def board(self):
        return dict(self.cards)
