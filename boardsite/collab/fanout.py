"""
Process-local fan-out of board messages.

Channels delivers a group message by queueing it for every consumer in the
group and waking each consumer's task, with (since Channels 4.2) a thread hop
before each message. On a whiteboard that is nearly the whole cost of a
stroke. Instead, each server process subscribes one channel, its hub, to the
group of every board that has connections in the process, and hands each
message straight to those connections. A board message then costs one
channel-layer delivery per process, not one per connection.
"""

import asyncio
import concurrent.futures
import contextvars
import logging
import os
import weakref

from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections

from boardsite.collab.batching import CommandBatcher
from boardsite.collab.events import committed_broadcasts

logger = logging.getLogger("boardsite.realtime")

# Messages that carry stored events, in seq order (BoardConsumer.deliver_events).
STORED_EVENT_TYPES = frozenset({"board.event", "board.events"})

# Well inside channels-redis's default group_expiry of a day.
GROUP_REFRESH_SECONDS = 600

# People a newcomer is told are on a board, per server process (BoardHub.introduce).
PRESENCE_LIMIT = 50



class BoardHub:
    def __init__(self, layer):
        self.layer = layer
        self.channel = None
        self.listeners = {}  # group -> set of consumers in this process
        self.batchers = {}  # (group, name) -> CommandBatcher
        self.reader = None
        self.keeper = None
        self.publishing = asyncio.Lock()  # FIFO: committed changes are published in the order they committed
        self.presence = {}  # group -> the presence changes gathered for it, not yet sent
        self.presence_tasks = set()
        # One event loop, and so one hub, per server process: a process-local layer's groups hold no other hub.
        self.process_local = isinstance(layer, InMemoryChannelLayer)

    async def join(self, group, consumer):
        if self.channel is None:
            # The default prefix: channels-redis reads all of a process's "!" channels
            # through one key per prefix, and a second prefix would wait on the first.
            self.channel = await self.layer.new_channel()
        if group not in self.listeners:
            self.listeners[group] = set()
            await self.layer.group_add(group, self.channel)
        self.listeners[group].add(consumer)
        if self.reader is None or self.reader.done():
            self.reader = asyncio.create_task(self.read())
            self.keeper = asyncio.create_task(self.keep_subscribed())

    async def leave(self, group, consumer):
        listeners = self.listeners.get(group)
        if listeners is None:
            return
        listeners.discard(consumer)
        if not listeners:
            del self.listeners[group]
            for key in [key for key, batcher in self.batchers.items() if key[0] == group and batcher.worker is None]:
                del self.batchers[key]
            await self.layer.group_discard(group, self.channel)
        if not self.listeners and self.reader is not None:
            tasks = (self.reader, self.keeper)
            self.reader = self.keeper = None
            for task in tasks:
                task.cancel()
            # Wait until the reader has let go of the layer: channels-redis holds a lock while
            # it receives, and one left held by a task that never ran again would refuse the
            # next reader, in this loop or (in tests, which run a loop per test) the next one.
            await asyncio.gather(*tasks, return_exceptions=True)

    def batcher(self, group, name, apply_batch):
        """The board's batcher for one kind of command, shared by the process's connections."""
        key = (group, name)
        if key not in self.batchers:
            self.batchers[key] = CommandBatcher(database_change(apply_batch))
        return self.batchers[key]

    async def publish(self, messages):
        """
        Send committed changes' (group, message) pairs to their groups, for
        `database_change`. A layer that fails is logged, not raised: the
        change is committed, and connections catch up from the database once
        the layer is back (`ask_to_catch_up`).

        This process's own connections get stored events straight away, not
        after the layer has carried them (on Redis, a round trip and a wake-up
        of `read`); the layer's copy names this hub, and `read` skips it. The
        copy is for other processes: a process-local layer (the in-memory
        one) gets none.
        """
        async with self.publishing:
            for group, message in messages:
                delivered_here = self.channel is not None and message["type"] in STORED_EVENT_TYPES
                if delivered_here:
                    await self.deliver(copy_for_delivery(message))
                    if self.process_local:
                        continue
                    message = {**message, "hub": self.channel}
                try:
                    await self.layer.group_send(group, message)
                except Exception:
                    logger.exception("could not broadcast %s to %s", message.get("type"), group)

    def announce(self, group, *, joined=None, left=None, newcomer=None):
        """
        Queue a presence change of one of this process's connections: `joined`
        or `left` (its member frame), and a `newcomer` channel to tell who is
        there. What REALTIME_PRESENCE_BATCH_SECONDS gather goes to the board as one
        message, so a crowd joining costs each connection one frame per
        batch, not one per join (1,000 joins on one board: 482,000 frames).
        """
        batch = self.presence.get(group)
        if batch is None:
            batch = self.presence[group] = {"joined": [], "left": [], "newcomers": []}
            task = asyncio.create_task(self.send_presence(group))
            self.presence_tasks.add(task)
            task.add_done_callback(self.presence_tasks.discard)
        if joined is not None:
            batch["joined"].append(joined)
        if left is not None:
            batch["left"].append(left)
        if newcomer is not None:
            batch["newcomers"].append(newcomer)

    async def send_presence(self, group):
        await asyncio.sleep(settings.REALTIME_PRESENCE_BATCH_SECONDS)
        batch = self.presence.pop(group)
        try:
            await self.layer.group_send(group, {"type": "board.presence", "group": group, **batch})
        except Exception:  # presence is not stored: the next change, or a reconnect, sets it right
            logger.exception("could not send presence to %s", group)

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
            for group in tuple(self.listeners):
                await self.layer.group_add(group, self.channel)
        except Exception:
            logger.exception("board hub could not renew its groups; retrying later")
            return False
        return True

    async def ask_to_catch_up(self):
        """
        Board messages sent while the layer was down are lost: every connection
        reads what it missed from the database (events are stored before they
        are broadcast).
        """
        for group, listeners in tuple(self.listeners.items()):
            await self.deliver({"type": "board.catch_up", "group": group})

    async def deliver(self, message):
        listeners = tuple(self.listeners.get(message.get("group"), ()))
        for consumer in listeners:
            try:
                await consumer.receive_board_message(message)
            except Exception:  # one broken connection must not stop delivery to the others
                logger.exception("delivering %s failed", message.get("type"))
        if message["type"] == "board.presence":
            await self.introduce(message["newcomers"], listeners)

    async def introduce(self, newcomers, listeners):
        """
        Tell this batch's newcomers who is on the board in this process: one
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
        by_channel = {}
        for consumer in listeners:
            by_channel[consumer.channel_name] = consumer
            member = consumer.me()
            person = people.get(member["id"])
            if person is None:
                person = people[member["id"]] = {**member, "conns": []}
            person["conns"].append(member["conn"])
        for newcomer in newcomers:
            consumer = by_channel.get(newcomer)
            own = consumer.me() if consumer is not None else {"id": None, "conn": None}
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
                    conns = [conn for conn in person["conns"] if conn != own["conn"]]
                    person = {**person, "conn": conns[0], "conns": conns}
                members.append(person)
            if not members:
                continue
            try:
                await self.layer.send(
                    newcomer, {"type": "board.presence_here", "members": members, "more": others - len(members)}
                )
            except ChannelFull:
                logger.warning("presence for %s dropped: its channel is full", newcomer)


def copy_for_delivery(message):
    """
    A copy of a stored-event message whose events connections may annotate
    (BoardConsumer.send_events keeps the framed message in them) while the
    original still goes to the layer as it is.
    """
    if message["type"] == "board.events":
        return {**message, "events": [dict(event) for event in message["events"]]}
    return dict(message)


_hubs = weakref.WeakKeyDictionary()  # event loop -> BoardHub


def board_hub():
    """The hub of the running event loop (one per server process)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None or hub.layer is not get_channel_layer():
        hub = _hubs[loop] = BoardHub(get_channel_layer())
    return hub


_database_writer = None


def database_writer():
    """The thread that makes the process's board changes on SQLite (one per process, started on first use)."""
    global _database_writer
    if _database_writer is None:
        _database_writer = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="database-writer")
    return _database_writer


def _forget_database_writer():
    """
    A forked child (the live test server, ChannelsLiveServerTestCase, is
    forked from the test process by multiprocessing) inherits the parent's
    executor but not its thread, and the executor, counting that thread as
    its one worker, never starts another: the child's changes would queue for
    ever. The child starts its own writer on first use instead.
    """
    global _database_writer
    _database_writer = None


os.register_at_fork(after_in_child=_forget_database_writer)


def database_is_sqlite():
    return connections[DEFAULT_DB_ALIAS].vendor == "sqlite"


def database_change(function):
    """
    Like `database_sync_to_async(function)`, for functions that change
    boards: the board messages their commits broadcast are sent from the
    event loop once the function returns (or raises: what committed before is
    still announced), in commit order, by this process's board hub.

    On SQLite every change runs in the process's database writer thread, so
    the process's changes take SQLite's write lock one after the other:
    threads that wait for it sleep in SQLite's busy handler (1, 2, 5, 10 ms
    and more between tries), and kanban moves made in another thread while
    a board was drawn on waited up to 116 ms for it. PostgreSQL has row
    locks and takes changes from any thread.
    """

    def collecting(*args, **kwargs):
        collected = []
        token = committed_broadcasts.set(collected)
        try:
            return function(*args, **kwargs), None, collected
        except Exception as error:
            return None, error, collected
        finally:
            committed_broadcasts.reset(token)

    run = database_sync_to_async(collecting)

    def writing(*args, **kwargs):
        close_old_connections()  # as database_sync_to_async does: CONN_MAX_AGE and health checks
        return collecting(*args, **kwargs)

    async def in_writer(*args, **kwargs):
        future = database_writer().submit(contextvars.copy_context().run, writing, *args, **kwargs)
        return await asyncio.wrap_future(future)

    async def change(*args, **kwargs):
        result, error, collected = await (in_writer if database_is_sqlite() else run)(*args, **kwargs)
        if collected:
            await board_hub().publish(collected)
        if error is not None:
            raise error
        return result

    return change
