"""
Rooms: one per open board per server process.

A `Room` owns the board's connections in the process (its sessions) and the
one path a change takes: sessions submit commands to the room's queue, and
the room's one task takes the next command (or a run of batchable ones,
such as stroke chunks, together), applies it in one call to the database
thread, delivers the committed events to its sessions and publishes them
once for other processes, then answers each command. docs/architecture.md
follows a stroke along that path.

The process's `RoomHub` subscribes one channel-layer channel to the group
of every board with a room in the process, and hands what arrives to the
room: a board message costs one channel-layer delivery per process, not one
per connection (Channels' own group delivery wakes every consumer's task,
with a thread hop before each message since Channels 4.2). Connections have
no channel of their own: a message for one (`PRESENCE_HERE`) goes to its
hub's channel and names the connection.
"""

import asyncio
import logging
import weakref
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import DatabaseError

from boardsite.collab import messages
from boardsite.collab.changes import run_change, unavailable_error
from boardsite.collab.errors import ActionError
from boardsite.collab.events import user_group_name

logger = logging.getLogger("boardsite.realtime")

# Well inside channels-redis's default group_expiry of a day.
GROUP_REFRESH_SECONDS = 600

# People a newcomer is told are on a board, per server process (Room.introduce).
PRESENCE_LIMIT = 50

# Batchable commands applied in one transaction at most.
MAX_BATCH = 500
# Before a batch starts, the event loop gets turns to hand over the commands
# it has already read (a frame takes a few turns from its socket to
# `submit`): until QUIET_TURNS turns in a row bring none, the batch is full,
# or COLLECT_AT_MOST seconds have passed.
QUIET_TURNS = 3
COLLECT_AT_MOST = 0.002


@dataclass(frozen=True)
class Command:
    """
    A change to a board. `apply(payloads)` runs in the database thread for
    this command's payload, with those of the commands of the same `batch`
    queued right after it (stroke chunks), and returns one result per
    payload: the command's answer, or an ActionError refusing it alone.
    `await answer(result)` then runs in the event loop (a session acks the
    command, or sends the error).
    """

    apply: Callable[[list], list]
    answer: Callable[[Any], Awaitable]
    payload: Any = None
    batch: str | None = None


class Room:
    def __init__(self, hub, group):
        self.hub = hub
        self.group = group
        self.sessions = set()
        self.queue = []
        self.worker = None
        self.presence = None  # the presence changes gathered for the next batch, not yet sent
        # The board, as the first session read it: its sessions share this one copy (a crowd
        # of 1,000 holds one, not 1,000), and the room's changes are applied to it in turn.
        self.board = None

    # Sessions

    def join(self, session):
        self.sessions.add(session)
        if self.board is None:
            self.board = session.board

    def leave(self, session):
        self.sessions.discard(session)

    @property
    def idle(self):
        return not self.sessions and self.worker is None

    # The one path for a change

    def submit(self, command):
        """Queue `command`: commands are applied, published and answered in the order submitted."""
        self.queue.append(command)
        if self.worker is None:
            self.worker = asyncio.create_task(self.run())

    async def run(self):
        try:
            while self.queue:
                if self.queue[0].batch is not None:
                    await self.collect_received()
                commands = self.take_next()
                try:
                    results = await self.apply(commands)
                except Exception:  # a bug after the database: still answer, or the senders wait for ever
                    logger.exception("%d command(s) on %s could not be published", len(commands), self.group)
                    results = [unavailable_error()] * len(commands)
                for command, result in zip(commands, results):
                    try:
                        await command.answer(result)
                    except Exception:  # a closed connection must not stop the answers to the others
                        logger.exception("answering a command on %s failed", self.group)
        finally:
            self.worker = None
            self.hub.forget_if_idle(self)

    async def change(self, function, **arguments):
        """
        Apply `function(**arguments)`, a change of the server's own (no
        session's command), in turn with the room's commands; returns its
        result, or the ActionError that refused it.
        """
        done = asyncio.get_running_loop().create_future()

        async def answer(result):
            done.set_result(result)

        self.submit(Command(apply=lambda _: [function(**arguments)], answer=answer))
        return await done

    async def collect_received(self):
        """Let the batchable commands the process has already read reach the batch."""
        loop = asyncio.get_running_loop()
        until = loop.time() + COLLECT_AT_MOST
        quiet = 0
        while quiet < QUIET_TURNS and len(self.queue) < MAX_BATCH and loop.time() < until:
            count = len(self.queue)
            await asyncio.sleep(0)
            quiet = quiet + 1 if len(self.queue) == count else 0

    def take_next(self):
        """The next command, with the commands of its batch queued right after it."""
        first = self.queue[0]
        count = 1
        if first.batch is not None:
            while count < min(len(self.queue), MAX_BATCH) and self.queue[count].batch == first.batch:
                count += 1
        taken, self.queue = self.queue[:count], self.queue[count:]
        return taken

    async def apply(self, commands):
        """
        One call to the database thread for `commands`, and their committed
        events delivered and published; one result per command. A failed
        transaction rolled back: each of its commands is answered, or its
        connection would wait for the answer for ever.
        """
        results, error, broadcasts = await run_change(commands[0].apply, [command.payload for command in commands])
        if broadcasts:
            await self.hub.publish(broadcasts)
        if error is None:
            return results
        if isinstance(error, ActionError):
            return [error] * len(commands)
        if isinstance(error, DatabaseError):  # the database is down or refused the transaction
            logger.warning("%d command(s) on %s failed in the database", len(commands), self.group, exc_info=error)
        else:
            logger.error("%d command(s) on %s failed unexpectedly", len(commands), self.group, exc_info=error)
        return [unavailable_error()] * len(commands)

    # Delivery to the sessions

    async def deliver(self, message):
        sessions = tuple(self.sessions)
        if message["type"] == messages.PRESENCE_HERE:  # for one newcomer of this room
            sessions = [session for session in sessions if session.connection_id == message["conn"]]
        for session in sessions:
            try:
                await session.receive_board_message(message)
            except Exception:  # one broken connection must not stop delivery to the others
                logger.exception("delivering %s failed", message.get("type"))
        if message["type"] == messages.PRESENCE:
            await self.introduce(message["newcomers"], sessions)

    # Presence

    def announce(self, *, joined=None, left=None, newcomer=None):
        """
        Queue a presence change of one of this room's sessions: `joined` or
        `left` (its member frame), and a `newcomer` ([its hub's channel, its
        connection id]) to tell who is there. What REALTIME_PRESENCE_BATCH_SECONDS gather goes to the board
        as one message, so a crowd joining costs each connection one frame
        per batch, not one per join (1,000 joins on one board: 482,000 frames).
        """
        if self.presence is None:
            self.presence = {"joined": [], "left": [], "newcomers": []}
            self.hub.run_in_background(self.send_presence())
        if joined is not None:
            self.presence["joined"].append(joined)
        if left is not None:
            self.presence["left"].append(left)
        if newcomer is not None:
            self.presence["newcomers"].append(newcomer)

    async def send_presence(self):
        await asyncio.sleep(settings.REALTIME_PRESENCE_BATCH_SECONDS)
        batch, self.presence = self.presence, None
        try:
            await self.hub.layer.group_send(self.group, {"type": messages.PRESENCE, "group": self.group, **batch})
        except Exception:  # presence is not stored: the next change, or a reconnect, sets it right
            logger.exception("could not send presence to %s", self.group)

    async def introduce(self, newcomers, sessions):
        """
        Tell a batch's newcomers who is on the board in this process: one
        message per process rather than one per connection, so fifty people
        joining at once do not flood the layer with 2,500 replies. Each
        person is listed once, with all their connections (`conns`), and at
        most PRESENCE_LIMIT people: one person with many tabs, or a crowd, is
        not a frame per connection to every newcomer. The list is made once
        per batch, not once per newcomer: on a board of 1,000 that was a
        million member frames for a crowd joining.
        """
        if not newcomers:
            return
        people = {}  # user id -> member, with the person's connections in `conns`
        by_conn = {}
        for session in sessions:
            by_conn[session.connection_id] = session
            member = session.me()
            person = people.get(member["id"])
            if person is None:
                person = people[member["id"]] = {**member, "conns": []}
            person["conns"].append(member["conn"])
        for hub_channel, conn in newcomers:
            session = by_conn.get(conn)
            own = session.me() if session is not None else {"id": None, "conn": None}
            own_person = people.get(own["id"])
            own_only = own_person is not None and own_person["conns"] == [own["conn"]]
            others = len(people) - own_only  # the people besides the newcomer
            members = []
            for person in people.values():
                if len(members) == PRESENCE_LIMIT:
                    break
                if person is own_person:
                    if own_only:
                        continue
                    conns = [other for other in person["conns"] if other != own["conn"]]
                    person = {**person, "conn": conns[0], "conns": conns}
                members.append(person)
            if not members:
                continue
            try:
                await self.hub.layer.send(hub_channel, {
                    "type": messages.PRESENCE_HERE, "group": self.group, "conn": conn,
                    "members": members, "more": others - len(members),
                })
            except ChannelFull:
                logger.warning("presence for %s dropped: its hub's channel is full", conn)


class RoomHub:
    """The process's rooms, and its one subscription to the channel layer."""

    def __init__(self, layer):
        self.layer = layer
        self.channel = None
        self.rooms = {}  # group -> Room
        self.users = {}  # user id -> how many of its connections are in this process (its group is joined meanwhile)
        self.reader = None
        self.keeper = None
        self.publishing = asyncio.Lock()  # FIFO: committed changes are published in the order they committed
        self.background_tasks = set()
        # One event loop, and so one hub, per server process: a process-local layer's groups hold no other hub.
        self.process_local = isinstance(layer, InMemoryChannelLayer)

    async def join(self, group, session):
        """Add `session` to its board's room (made, and subscribed, on the first); returns the room."""
        if self.channel is None:
            # The default prefix: channels-redis reads all of a process's "!" channels
            # through one key per prefix, and a second prefix would wait on the first.
            self.channel = await self.layer.new_channel()
        room = self.rooms.get(group)
        if room is None:
            room = self.rooms[group] = Room(self, group)
            await self.layer.group_add(group, self.channel)
        room.join(session)
        user_id = session.user.pk
        self.users[user_id] = self.users.get(user_id, 0) + 1
        if self.users[user_id] == 1:
            await self.layer.group_add(user_group_name(user_id), self.channel)
        if self.reader is None or self.reader.done():
            self.reader = asyncio.create_task(self.read())
            self.keeper = asyncio.create_task(self.keep_subscribed())
        return room

    async def leave(self, room, session):
        room.leave(session)
        if self.forget_if_idle(room):
            await self.layer.group_discard(room.group, self.channel)
        user_id = session.user.pk
        self.users[user_id] -= 1
        if not self.users[user_id]:
            del self.users[user_id]
            await self.layer.group_discard(user_group_name(user_id), self.channel)
        if not self.rooms and self.reader is not None:
            tasks = (self.reader, self.keeper)
            self.reader = self.keeper = None
            for task in tasks:
                task.cancel()
            # Wait until the reader has let go of the layer: channels-redis holds a lock while
            # it receives, and one left held by a task that never ran again would refuse the
            # next reader, in this loop or (in tests, which run a loop per test) the next one.
            await asyncio.gather(*tasks, return_exceptions=True)

    def forget_if_idle(self, room):
        """Drop a room with no sessions and no change under way; True if it was dropped."""
        if room.idle and self.rooms.get(room.group) is room:
            del self.rooms[room.group]
            return True
        return False

    def run_in_background(self, coroutine):
        task = asyncio.create_task(coroutine)
        self.background_tasks.add(task)
        task.add_done_callback(self.background_tasks.discard)

    async def publish(self, broadcasts):
        """
        Send committed changes' (group, message) pairs to their groups. A
        layer that fails is logged, not raised: the change is committed, and
        connections catch up from the database once the layer is back
        (`ask_to_catch_up`).

        This process's own sessions get stored events straight away, not
        after the layer has carried them (on Redis, a round trip and a
        wake-up of `read`); the layer's copy names this hub, and `read` skips
        it. The copy is for other processes: a process-local layer (the
        in-memory one) gets none.
        """
        async with self.publishing:
            for group, message in broadcasts:
                delivered_here = self.channel is not None and message["type"] in messages.STORED
                if delivered_here:
                    await self.deliver(copy_for_delivery(message))
                    if self.process_local:
                        continue
                    message = {**message, "hub": self.channel}
                try:
                    await self.layer.group_send(group, message)
                except Exception:
                    logger.exception("could not broadcast %s to %s", message.get("type"), group)

    async def read(self):
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except Exception:  # the layer's backend failed (e.g. Redis restarting): retry
                logger.exception("board hub could not read from the channel layer; retrying")
                await asyncio.sleep(1)
                if await self.subscribe_again():
                    await self.ask_to_catch_up()
                continue
            if message.get("hub") != self.channel:  # this hub's own events were delivered by `publish`
                await self.deliver(message)

    async def deliver(self, message):
        if message["type"] == messages.USER:
            await self.deliver_to_user(message)
            return
        room = self.rooms.get(message.get("group"))
        if room is not None:
            await room.deliver(message)

    async def deliver_to_user(self, message):
        """A user's frame, to each of their connections in this process, whatever the board."""
        for room in tuple(self.rooms.values()):
            for session in tuple(room.sessions):
                if session.user.pk == message["user"]:
                    try:
                        await session.receive_board_message(message)
                    except Exception:  # one broken connection must not stop delivery to the others
                        logger.exception("delivering %s failed", message["type"])

    async def keep_subscribed(self):
        while True:
            await asyncio.sleep(GROUP_REFRESH_SECONDS)
            await self.subscribe_again()

    async def subscribe_again(self):
        """
        Renew the hub's group memberships: channels-redis expires them after
        its group_expiry (a day), and a restarted Redis has forgotten them.
        """
        try:
            for group in (*self.rooms, *map(user_group_name, self.users)):
                await self.layer.group_add(group, self.channel)
        except Exception:
            logger.exception("board hub could not renew its groups; retrying later")
            return False
        return True

    async def ask_to_catch_up(self):
        """
        Board messages sent while the layer was down are lost: every session
        reads what it missed from the database (events are stored before they
        are broadcast).
        """
        for group in tuple(self.rooms):
            await self.deliver({"type": messages.CATCH_UP, "group": group})


def copy_for_delivery(message):
    """
    A copy of a stored-event message whose events sessions may annotate
    (BoardConsumer.send_events keeps the framed message in them) while the
    original still goes to the layer as it is.
    """
    if message["type"] == messages.EVENTS:
        return {**message, "events": [dict(event) for event in message["events"]]}
    return dict(message)


_hubs = weakref.WeakKeyDictionary()  # event loop -> RoomHub


def room_hub():
    """The hub of the running event loop (one per server process)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None or hub.layer is not get_channel_layer():
        hub = _hubs[loop] = RoomHub(get_channel_layer())
    return hub


def database_change(function):
    """
    `await database_change(function)(*args)`: run a board change that is no
    session's command (tests, tools) in the database thread, and publish what
    its commits broadcast, as a room does for its commands.
    """

    async def change(*args, **kwargs):
        result, error, broadcasts = await run_change(function, *args, **kwargs)
        if broadcasts:
            await room_hub().publish(broadcasts)
        if error is not None:
            raise error
        return result

    return change
