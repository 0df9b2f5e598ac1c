"""
The websocket conventions both apps share, in one base consumer.

A connection is authorised before it is accepted, then:
- the server sends `hello` with the board's latest seq;
- the client sends `sync` with the last seq it holds and receives every
  stored event after it, then `synced`; from then on it receives every event
  in seq order, exactly once, except its own changes, which it learns of
  through the `ack` of its command;
- presence (`presence`: who is there, who joined and who left, in batches)
  and other ephemeral frames are relayed without seq and never stored.
Subclasses map command types to handlers in `commands`, which parse the
message and submit a call of their app's service to the board's room
(boardsite.collab.rooms); they hold no business rules.
"""

import asyncio
import logging
import secrets
import time

from asgiref.sync import markcoroutinefunction
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import DatabaseError

from boardsite.collab import messages, protocol, selectors
from boardsite.collab.changes import unavailable_error
from boardsite.collab.errors import ActionError
from boardsite.collab.events import board_group_name, encode_frame
from boardsite.collab.rooms import Command, room_hub
from boardsite.collab.inbound import Inlet
from boardsite.collab.ratelimit import TokenBucket, board_connections, user_buckets
from boardsite.collab.services import ACCESS_REVOKED, user_frame
from boardsite.collab.transport import SERVER_SEND, Frame, Outlet, daphne_protocol

logger = logging.getLogger("boardsite.realtime")

# Events a connection holds back while it catches up, before it reads them from the database instead.
MAX_BACKLOG = selectors.SYNC_PAGE_SIZE


class CloseCode:
    """Websocket close codes the server uses (documented in docs/protocol.md)."""

    INVALID_MESSAGES = 4400
    NOT_AUTHENTICATED = 4401
    ACCESS_REVOKED = 4403
    BOARD_NOT_FOUND = 4404
    RATE_LIMITED = 4429
    TOO_MANY_CONNECTIONS = 4430


class WebsocketApp:
    """
    The ASGI websocket events as methods (connect, receive, disconnect),
    mounted like a Channels consumer (`as_asgi()` in a URLRouter, behind the
    same middleware). Not Channels' AsyncWebsocketConsumer: since Channels
    4.2 it runs `aclose_old_connections()` in a thread before every message,
    a thread hop for every frame a client sends, and it makes each
    connection a channel-layer channel with a reader. A board socket needs
    neither: its board's room hands it what other processes send
    (boardsite.collab.rooms), and its database work runs in the database
    thread, which closes stale connections itself (database_sync_to_async,
    boardsite.collab.changes).
    """

    @classmethod
    def as_asgi(cls):
        # Not a coroutine function of its own: it hands back the consumer's coroutine, so
        # an open socket holds no frame of this wrapper (a connection's memory, issue 17).
        def app(scope, receive, send):
            return cls()(scope, receive, send)

        return markcoroutinefunction(app)  # an ASGI 3 application, as servers and test harnesses check

    async def __call__(self, scope, receive, send):
        self.scope, self.base_send = scope, send
        while True:
            message = await receive()
            kind = message["type"]
            if kind == "websocket.connect":
                await self.connect()
            elif kind == "websocket.receive":
                if message.get("text") is not None:
                    await self.receive(text_data=message["text"])
                else:
                    await self.receive(bytes_data=message.get("bytes"))
            elif kind == "websocket.disconnect":
                await self.disconnect(message.get("code", 1000))
                return

    async def accept(self):
        await self.base_send({"type": "websocket.accept"})

    async def close(self, code=None):
        """Close the socket (before `accept`, refuse the handshake)."""
        message = {"type": "websocket.close"}
        if code is not None:
            message["code"] = code
        await self.base_send(message)


class BoardConsumer(WebsocketApp):
    board_model = None
    commands = {}  # message type -> name of the handler method: `async def handler(message, ref)`
    # Refusals that are a normal outcome of collaborating, not a faulty client: not counted as invalid.
    benign_error_codes = frozenset({"conflict", "locked", "wip_limit", "unavailable", "board_full"})

    async def connect(self):
        user = self.scope["user"]
        self.board = None
        self.closing = False  # once True, frames still arriving are dropped unread
        if not user.is_authenticated:
            await self.close(code=CloseCode.NOT_AUTHENTICATED)
            return
        board, opening_frames = await database_sync_to_async(self.open_board)(
            slug=self.scope["url_route"]["kwargs"]["slug"], user=user
        )
        if board is None:
            await self.close(code=CloseCode.BOARD_NOT_FOUND)
            return
        if not board_connections.join(user.pk, board_group_name(board), self):
            logger.info("%s has too many connections to %s; refused one", user.get_username(), board_group_name(board))
            # Accepted, then closed: a browser sees a handshake refused as 1006, without its code.
            self.closing = True
            await self.accept()
            await self.close(code=CloseCode.TOO_MANY_CONNECTIONS)
            return
        self.board = board
        self.user = user
        self.session_key = self.scope["session"].session_key  # its logout ends this connection (check_access)
        self.group = board_group_name(board)
        self.connection_id = secrets.token_hex(6)
        self.member = None
        self.cursor = None  # the last seq this connection has been given; None until its first sync
        self.catching_up = False  # while True, events wait in `backlog` for the catch-up to send them
        self.backlog = []
        self.backlog_dropped = False  # the backlog grew too long and was dropped: the catch-up reads on
        self.catch_up_lock = asyncio.Lock()
        self.background_tasks = None  # a set of them, once there are any (run_in_background)
        self.user_rate_limit = user_buckets.join(user.pk)
        self.throttled_count = 0
        self.invalid_times = []  # when its invalid messages of the last minute came
        server_send = self.scope.get(SERVER_SEND, self.base_send)
        self.outlet = Outlet(
            server_send,
            budget=settings.REALTIME_MAX_SEND_BACKLOG_BYTES,
            name=f"{user.get_username()} on {self.group}",
        )
        self.inlet = Inlet(
            daphne_protocol(server_send),
            rate_limit=TokenBucket(rate=settings.REALTIME_RATE_PER_SECOND, burst=settings.REALTIME_RATE_BURST),
            on_refused=self.frames_refused,
        )
        # Accepted and greeted before it enters the room: the room hands its sessions
        # presence and other frames at any time, and nothing may precede `accept` and
        # `hello`. Events committed meanwhile come with the client's first sync.
        await self.accept()
        logger.info("%s connected to %s", user.get_username(), self.group)
        await self.send_frame(
            protocol.hello_frame(
                seq=self.board.last_seq, user=self.me(), board={"slug": self.board.slug, "name": self.board.name}
            )
        )
        for frame in opening_frames:
            await self.send_frame(frame)
        self.room = await room_hub().join(self.group, self)
        self.board = self.room.board  # one copy per room, not per connection (Room.board)
        # Names this connection in the events it makes (it gets acks, not its own events).
        self.origin = f"{self.room.hub.channel}#{self.connection_id}"
        self.room.announce(joined=self.me(), newcomer=[self.room.hub.channel, self.connection_id])

    def open_board(self, *, slug, user):
        """
        The board `user` may open (None if none) and the frames that follow
        `hello`, in one trip to the database thread: every connection makes
        it, and a crowd reconnecting after a restart makes it at once.
        """
        board = selectors.board_for_user(board_model=self.board_model, slug=slug, user=user, with_owner=False)
        return board, ([] if board is None else self.opening_frames(board=board, user=user))

    def opening_frames(self, *, board, user):
        """Hook: the state an app sends right after `hello` (runs in the database thread)."""
        return []

    async def disconnect(self, code):
        if self.board is None:
            return
        user_buckets.leave(self.user.pk)
        board_connections.leave(self.user.pk, self.group, self)
        await self.room.hub.leave(self.room, self)
        for task in self.background_tasks or ():
            task.cancel()
        self.room.announce(left=self.me())
        await self.on_leave()
        logger.info("%s left %s (code %s)", self.user.get_username(), self.group, code)

    async def on_leave(self):
        """Hook for apps to release what a connection held (locks, ...)."""

    def me(self):
        """This connection's member frame (presence, hello); made once, read by every presence batch."""
        if self.member is None:
            self.member = {**user_frame(self.user), "conn": self.connection_id}
        return self.member

    # Client frames

    async def receive(self, text_data=None, bytes_data=None):
        if self.closing:
            return  # what a connection being closed still sent: dropped before any work
        if not self.inlet.take():
            return
        ref = None
        try:
            if text_data is None:
                raise ActionError("binary_frame", "Send JSON text frames, not binary frames.")
            protocol.check_frame_size(text_data, limit=settings.REALTIME_MAX_FRAME_BYTES)
            if not self.user_rate_limit.take():
                await self.throttled(1)
                return
            message = protocol.parse_frame(text_data)
            ref = protocol.message_ref(message)
            if message["type"] == "sync":
                await self.handle_sync(message, ref)
                return
            handler_name = self.commands.get(message["type"])
            if handler_name is None:
                raise ActionError("unknown_type", f"Unknown message type “{message['type'][:40]}”.")
            await getattr(self, handler_name)(message, ref)
        except ActionError as error:
            await self.send_error(ref, error)
        except DatabaseError:
            # The database is down (a sync reads it): the client sends it again (docs/reliability.md).
            logger.warning("%s: a sync failed in the database", self.group, exc_info=True)
            await self.send_error(ref, unavailable_error())

    async def send_error(self, ref, error):
        await self.send_frame(protocol.error_frame(ref, error))
        if error.code == ACCESS_REVOKED:  # the user lost access since connecting: nothing more they send applies
            await self.close(code=CloseCode.ACCESS_REVOKED)
        elif error.code not in self.benign_error_codes:
            await self.count_invalid()

    def submit(self, ref, apply, *, payload=None, batch=None):
        """
        Submit a change to the board's room: `apply(payloads)` runs in the
        database thread (boardsite.collab.rooms.Command) and returns an
        Applied per payload, acknowledged once it is durable; or the command
        gets its `error`. A connection's commands apply in the order it sent
        them.
        """

        async def answer(result):
            if isinstance(result, ActionError):
                await self.send_error(ref, result)
            else:
                await self.send_frame(protocol.ack_frame(ref, result.seq, **result.details))

        self.room.submit(Command(apply=apply, answer=answer, payload=payload, batch=batch))

    def call(self, ref, service, **arguments):
        """Submit a call of `service` on this board, by this connection's user, with `arguments`."""
        board, actor, origin = self.board, self.user, self.origin
        self.submit(ref, lambda _: [service(board=board, actor=actor, origin=origin, **arguments)])

    def frames_refused(self):
        """Frames over the connection's rate limit are being dropped (boardsite.collab.inbound)."""
        self.run_in_background(self.count_refused())

    async def count_refused(self):
        await self.throttled(self.inlet.collect_refused())

    async def throttled(self, count):
        """
        `count` messages were dropped over a rate limit: say so (for the
        first, then every 50th), and cut the connection off if it keeps flooding.
        """
        if self.closing:
            return
        before = self.throttled_count
        self.throttled_count += count
        if before == 0 or before // 50 != self.throttled_count // 50:
            await self.send_frame(
                protocol.error_frame(None, ActionError("rate_limited", "Too many messages; slow down."))
            )
        if self.throttled_count > settings.REALTIME_RATE_BURST:
            logger.warning("%s flooded %s; closing", self.user.get_username(), self.group)
            await self.close_for_abuse(CloseCode.RATE_LIMITED)

    async def count_invalid(self):
        if self.closing:
            return
        now = time.monotonic()
        self.invalid_times = [then for then in self.invalid_times if now - then <= 60] + [now]
        if len(self.invalid_times) > settings.REALTIME_MAX_INVALID_PER_MINUTE:
            logger.warning("%s sent too many invalid messages to %s; closing", self.user.get_username(), self.group)
            await self.close_for_abuse(CloseCode.INVALID_MESSAGES)

    async def close_for_abuse(self, code):
        """
        Close now, and do no more work for this connection: the server stops
        reading its socket (boardsite.collab.inbound), and the frames already
        queued for it are dropped as `receive` takes them, so the close and
        the disconnect do not wait behind a flood.
        """
        self.closing = True
        self.inlet.stop()
        await self.close(code=code)

    async def handle_sync(self, message, ref):
        protocol.allowed_keys(message, ["since"])
        since = protocol.int_field(message, "since", minimum=0, maximum=protocol.MAX_SEQ)
        await self.catch_up(since=since)  # refused if `since` is past the board's latest seq
        await self.send_frame(protocol.synced_frame(ref, self.cursor))

    async def catch_up(self, *, since=None):
        """
        Send the stored events after `since` (or after the cursor: board
        messages may have been lost, boardsite.collab.rooms), page by page,
        each once the client has taken the one before: a catch-up of any size
        completes, holding at most a page for the client. Live events wait in
        the backlog meanwhile.
        """
        if since is None and self.cursor is None:
            return  # its sync, still to come, will send them
        async with self.catch_up_lock:
            self.catching_up = True
            try:
                cursor = self.cursor if since is None else since
                while True:
                    self.backlog_dropped = False
                    if since is not None:  # a sync: its first page, with the latest seq to check `since` against
                        latest, page = await database_sync_to_async(selectors.sync_start)(board=self.board, since=since)
                        if page is None:
                            raise ActionError("out_of_range", f"`since` must be between 0 and {latest}.")
                        since = None
                    else:
                        page = await database_sync_to_async(selectors.event_texts_after)(board=self.board, since=cursor)
                    if page:
                        cursor = page[-1][0]
                    await self.send_paced([text for _, text in page])
                    # A short page was the last: what commits after it reaches the backlog,
                    # unless the backlog was dropped meanwhile.
                    if len(page) < selectors.SYNC_PAGE_SIZE and not self.backlog_dropped:
                        break
                self.cursor = max(cursor, self.cursor or 0)
                await self.send_backlog()
            finally:
                self.catching_up = False

    async def send_paced(self, texts):
        """Send frames one after the other, each once the client has taken what came before."""
        for text in texts:
            await self.outlet.write([text])
            await self.outlet.drained()

    async def send_frame(self, payload):
        await self.send_texts([encode_frame(payload)])

    async def send_texts(self, texts):
        """Send text frames to this client, in order (boardsite.collab.transport.Outlet)."""
        await self.outlet.write(texts)

    async def relay_ephemeral(self, payload):
        """Send an unstored frame to everyone else on the board."""
        await self.room.hub.layer.group_send(
            self.group,
            {"type": messages.EPHEMERAL, "group": self.group, "text": encode_frame(payload), "origin": self.origin},
        )

    def run_in_background(self, coroutine):
        """Run work that must not hold up the board's other connections; cancelled on disconnect."""
        task = asyncio.create_task(coroutine)
        if self.background_tasks is None:
            self.background_tasks = set()
        self.background_tasks.add(task)
        task.add_done_callback(self.background_tasks.discard)

    # Board messages, handed over by the board's room (boardsite.collab.rooms)

    async def receive_board_message(self, message):
        kind = message["type"]
        if kind == messages.EVENT:
            await self.deliver_events([message])
        elif kind == messages.EVENTS:
            await self.deliver_events(message["events"])
        elif kind == messages.EPHEMERAL:
            await self.board_ephemeral(message)
        elif kind == messages.USER:
            await self.send_texts([message["text"]])
        elif kind == messages.PRESENCE:
            await self.board_presence(message)
        elif kind == messages.PRESENCE_HERE:
            await self.board_presence_here(message)
        elif kind == messages.ACCESS_CHANGED:
            self.run_in_background(self.check_access(message))
        elif kind == messages.CATCH_UP:
            self.run_in_background(self.catch_up())

    async def deliver_events(self, messages):
        """Send stored events (of one commit, in seq order) exactly once and in order, written to the client at once."""
        to_send = [message for message in messages if self.takes_event(message)]
        if to_send:
            await self.send_events(to_send)

    def takes_event(self, message):
        """
        Move the cursor past a stored event; True if its frame is to be sent
        now. An event before the cursor was sent already; one after a gap
        waits in the backlog while the gap is filled from the database.
        """
        if self.catching_up:
            self.hold_back(message)
            return False
        if self.cursor is None:
            return False  # the client has not synced yet: its sync will include this event
        seq = message["seq"]
        if seq <= self.cursor:
            return False
        if seq > self.cursor + 1:
            self.hold_back(message)
            self.catching_up = True
            self.run_in_background(self.fill_gap())
            return False
        self.cursor = seq
        return message["origin"] != self.origin

    def hold_back(self, message):
        """
        Keep an event for the catch-up under way to send after what it reads.
        A catch-up the client reads slowly while the board is busy would make
        the backlog grow without end: past MAX_BACKLOG it is dropped, and the
        catch-up reads those events from the database instead (where a
        change of this connection's own is read as an event as well as
        acked: the page ignores the second, by its seq).
        """
        if len(self.backlog) >= MAX_BACKLOG:
            self.backlog.clear()
            self.backlog_dropped = True
        self.backlog.append(message)

    async def send_events(self, messages):
        """
        Send stored events' frames. Every connection of the process on the
        board gets the same message objects, so each event's text is framed
        once per process (`Frame`), not once per connection.
        """
        frames = []
        for message in messages:
            if "frame" not in message:
                message["frame"] = Frame(message["text"])
            frames.append(message["frame"])
        await self.outlet.write(frames)

    async def fill_gap(self):
        """
        Send the events between the cursor and the backlog from the database,
        then the backlog. Only the gap is read: it holds other processes'
        events that came late, never this connection's own (they are
        published in this process in commit order), which it learns of by
        their acks, not as events.
        """
        async with self.catch_up_lock:
            try:
                await self.send_backlog()
            finally:
                self.catching_up = False

    async def send_backlog(self):
        """Send the events held back during a catch-up, reading any that are missing from the database."""
        while self.backlog:
            self.backlog.sort(key=lambda message: message["seq"])
            message = self.backlog[0]
            seq = message["seq"]
            if seq > self.cursor + 1:
                missing = await database_sync_to_async(selectors.event_frames_between)(
                    board=self.board, after=self.cursor, before=seq
                )
                await self.send_paced([encode_frame(frame) for frame in missing])
                if missing:
                    self.cursor = missing[-1]["seq"]
                if self.cursor < seq - 1:
                    logger.error("events %s to %s of %s are missing", self.cursor + 1, seq - 1, self.group)
                    self.cursor = seq - 1
                continue
            self.backlog.pop(0)
            if seq == self.cursor + 1:
                self.cursor = seq
                if message["origin"] != self.origin:
                    await self.send_events([message])

    async def board_ephemeral(self, message):
        if message.get("origin") != self.origin:
            await self.send_texts([message["text"]])

    async def board_presence(self, message):
        """
        Who joined and left the board lately: one frame, framed once for the
        process's connections; not sent to a connection it says nothing new
        to (its own arrival or departure alone).
        """
        if all(member["conn"] == self.connection_id for member in (*message["joined"], *message["left"])):
            return
        if "frame" not in message:
            message["frame"] = Frame(encode_frame(protocol.presence_frame(joined=message["joined"],
                                                                          left=message["left"])))
        await self.outlet.write([message["frame"]])

    async def board_presence_here(self, message):
        """
        Who was on the board before this connection joined: one message from
        each process's hub, each person listed once (Room.introduce), and
        how many more there are that it does not list.
        """
        await self.send_frame(protocol.presence_here_frame(members=message["members"], more=message.get("more", 0)))

    async def check_access(self, message):
        """Close the connection if it lost access; a message naming `users` concerns only theirs."""
        if "users" in message and self.user.pk not in message["users"]:
            return
        code = await database_sync_to_async(self.lost_access)()
        if code is not None:
            await self.close(code=code)

    def lost_access(self):
        """
        None while the connection may stay, else the code to close it with:
        the board is gone; the user was deactivated, deleted, or may no
        longer open the board; or the session it was opened with has ended
        (logged out: the user's other sessions keep their connections).
        """
        board = self.board_model.objects.filter(pk=self.board.pk).first()
        if board is None:
            return CloseCode.BOARD_NOT_FOUND
        if not selectors.user_may_change(board=board, user=self.user):
            return CloseCode.ACCESS_REVOKED
        if not selectors.session_is_current(session_key=self.session_key, user=self.user):
            return CloseCode.NOT_AUTHENTICATED
        return None
