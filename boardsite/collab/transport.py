"""
How a board connection's frames reach its socket: in order, framed once per
process, and with a bound on what is held for a client that does not read.

ASGI has no back-pressure: under daphne, `send` hands each frame to Twisted,
which buffers without limit for a client that stops reading. An `Outlet`
keeps its own queue instead: Twisted's producer API tells it when the
socket's buffer is full (`pauseProducing`) and when it has drained
(`resumeProducing`); meanwhile frames wait in the outlet, counted, and the
connection is dropped once they pass REALTIME_MAX_SEND_BACKLOG_BYTES. A
catch-up waits for the outlet to drain before it reads the next page, so a
client catching up on any amount gets all of it, at the pace it reads.

This is the one module that looks behind the ASGI `send`, and once it has
found the connection's daphne protocol it uses only public API of Twisted
and autobahn (`registerProducer`, `unregisterProducer`, the factory's
`prepareMessage`, `sendPreparedMessage`, `dropConnection`). Finding it is
the one reliance on an implementation detail: daphne binds `send` as
`functools.partial(server.handle_reply, protocol)`. It is checked against
the daphne versions it was written for (`DAPHNE_VERSIONS`); under another
version or server, or in a test's communicator, the outlet sends through
the standard ASGI `send`, unbounded as ASGI is.
"""

import asyncio
import logging
from functools import partial

from asgiref.sync import markcoroutinefunction
from zope.interface import implementer
from twisted.internet.interfaces import IPushProducer

logger = logging.getLogger("boardsite.realtime")

# Major.minor versions of daphne whose `send` is known to be bound as above.
DAPHNE_VERSIONS = ("4.1", "4.2")

# The scope key under which `ServerSendMiddleware` keeps the server's own `send`.
SERVER_SEND = "boardsite.server_send"


class ServerSendMiddleware:
    """
    Keep the server's `send` in a websocket's scope, for the connection's
    Outlet: the middleware inside (sessions, auth) wrap `send` in their own
    callables, and the outlet needs the server's to find the connection.
    It returns the inner application's coroutine rather than awaiting it,
    so an open socket holds no frame of it.
    """

    def __init__(self, app):
        self.app = app

    @markcoroutinefunction  # an ASGI 3 application, as servers and test harnesses check
    def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            scope = {**scope, SERVER_SEND: send}
        return self.app(scope, receive, send)


def _daphne_protocol_class():
    """daphne's WebSocketProtocol if this daphne is one the outlet was written for, else None."""
    try:
        import daphne
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:
        return None
    if not daphne.__version__.startswith(tuple(f"{version}." for version in DAPHNE_VERSIONS)):
        logger.warning("daphne %s is not one of %s: board frames go through ASGI send, without a send limit",
                       daphne.__version__, ", ".join(DAPHNE_VERSIONS))
        return None
    return WebSocketProtocol


DAPHNE_PROTOCOL = _daphne_protocol_class()


def daphne_protocol(send):
    """The daphne websocket protocol behind an ASGI `send`, or None (another server, or a test's communicator)."""
    if DAPHNE_PROTOCOL is None or not isinstance(send, partial) or not send.args:
        return None
    protocol = send.args[0]
    return protocol if isinstance(protocol, DAPHNE_PROTOCOL) else None


class Frame:
    """
    A text frame for the board's connections: its text, and, once an outlet
    under daphne has needed it, the websocket message framed from it, shared
    by every connection of the process that sends it.
    """

    __slots__ = ("text", "prepared")

    def __init__(self, text):
        self.text = text
        self.prepared = None

    def __len__(self):
        return len(self.text)


@implementer(IPushProducer)
class Outlet:
    """
    One connection's way out. `write(frames)` sends or queues them in order;
    `await drained()` returns once nothing is queued and the socket takes
    more (or the connection is gone). A client that lets more than `budget`
    bytes queue up is dropped; its page reconnects and catches up.
    """

    __slots__ = ("asgi_send", "protocol", "budget", "name", "queue", "queued_bytes", "paused", "gone", "_drained")

    def __init__(self, send, *, budget, name="a websocket"):
        self.asgi_send = send
        self.protocol = daphne_protocol(send)
        self.budget = budget
        self.name = name
        # Lists and an event made only while someone waits: an idle connection's outlet holds
        # no buffer (a deque or an asyncio.Event costs some 700 bytes even when empty).
        self.queue = []
        self.queued_bytes = 0
        self.paused = False
        self.gone = False
        self._drained = None  # the event `drained` waits on, while frames are queued
        if self.protocol is not None:
            try:
                # Daphne leaves the upgraded HTTP request's channel registered as the
                # transport's producer; it has nothing to produce on a websocket.
                self.protocol.unregisterProducer()
                self.protocol.registerProducer(self, True)
            except RuntimeError:  # another producer holds the transport: send, unbounded
                logger.warning("%s: the transport has another producer; no send limit", name)
                self.protocol = None

    @property
    def bounded(self):
        """Whether the outlet sees the socket's back-pressure (under daphne)."""
        return self.protocol is not None

    async def write(self, frames):
        """Send `frames` (Frame or str) to the client, after whatever is queued."""
        if self.protocol is None:
            for frame in frames:
                await self.asgi_send({"type": "websocket.send", "text": getattr(frame, "text", frame)})
            return
        if self.gone:
            return
        for frame in frames:
            if not isinstance(frame, Frame):
                frame = Frame(frame)
            if self.paused or self.queue:
                self.queue.append(frame)
                self.queued_bytes += len(frame)
            else:
                self._send_now(frame)
        if self.queue:
            # One frame may always wait, whatever its size: a paced catch-up sends one at a time.
            if 0 < self.budget < self.queued_bytes and len(self.queue) > 1:
                self._drop()

    async def drained(self):
        """Wait until the client has taken what was queued for it (at once outside daphne)."""
        if not self.queue:
            return
        if self._drained is None:
            self._drained = asyncio.Event()
        await self._drained.wait()

    def _set_drained(self):
        """Nothing is queued any more: wake whoever waits in `drained`."""
        if self._drained is not None:
            self._drained.set()
            self._drained = None

    def _send_now(self, frame):
        if self.protocol.state != self.protocol.STATE_OPEN:
            return  # closing: the frames still sent before the consumer hears of it go nowhere
        if frame.prepared is None:
            # Daphne negotiates no permessage-deflate: the framed message is what goes on the wire.
            frame.prepared = self.protocol.factory.prepareMessage(frame.text.encode(), doNotCompress=True)
        self.protocol.sendPreparedMessage(frame.prepared)

    def _drop(self):
        logger.warning("dropping %s: %d bytes queued, over REALTIME_MAX_SEND_BACKLOG_BYTES (%d)",
                       self.name, self.queued_bytes, self.budget)
        self.protocol.dropConnection(abort=True)
        self.stopProducing()

    # IPushProducer: called by the transport (in the event loop's thread).

    def pauseProducing(self):
        self.paused = True

    def resumeProducing(self):
        self.paused = False
        sent = 0
        while sent < len(self.queue) and not self.paused and not self.gone:
            frame = self.queue[sent]
            sent += 1
            self.queued_bytes -= len(frame)
            self._send_now(frame)
        del self.queue[:sent]
        if not self.queue:
            self._set_drained()

    def stopProducing(self):
        """The connection is closed: nothing more is sent, and nobody waits for it to drain."""
        self.gone = True
        self.queue.clear()
        self.queued_bytes = 0
        self._set_drained()
