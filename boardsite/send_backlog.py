"""
A limit on what the server holds for a websocket client that does not read.

Daphne hands every outgoing frame to Twisted at once: ASGI has no
back-pressure, and a client that stops reading makes the connection's
transport buffer grow without bound (a board that keeps changing keeps
adding to it). After each frame daphne sends, this checks how many bytes the
transport still holds unsent, and drops the connection once that passes
REALTIME_MAX_SEND_BACKLOG_BYTES. The client's page reconnects and resyncs
when it can read again (docs/reliability.md).

Board events go to many connections at once: `send_prepared` frames each
once (autobahn's broadcast API) and writes them to each connection, under
the same limit, straight to its socket when Twisted holds nothing unsent
for it (`write_now`).

The count is Twisted's own write buffer (FileDescriptor.dataBuffer from
`offset`, plus `_tempDataLen`, the frames queued since the last flush); the
kernel's socket buffer, a few MiB at most, comes on top.
"""

import logging
from functools import partial

from django.conf import settings
from twisted.internet import tcp

logger = logging.getLogger("boardsite.realtime")


def unsent_bytes(transport):
    """Bytes a Twisted TCP transport has accepted but not yet written to the socket."""
    buffered = getattr(transport, "dataBuffer", b"")
    return len(buffered) - getattr(transport, "offset", 0) + getattr(transport, "_tempDataLen", 0)


def drop_if_backlogged(protocol, limit):
    """Drop the daphne websocket `protocol` if it holds more than `limit` bytes unsent."""
    backlog = unsent_bytes(protocol.transport)
    if backlog > limit:
        logger.warning(
            "dropping %s: %d bytes unsent, over REALTIME_MAX_SEND_BACKLOG_BYTES (%d)",
            protocol.request.path if getattr(protocol, "request", None) else "a websocket", backlog, limit,
        )
        protocol.dropConnection(abort=True)


def install(limit):
    """Wrap daphne's websocket send with the check; a no-op outside daphne or when `limit` <= 0."""
    if limit <= 0:
        return
    try:
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:
        return
    if getattr(WebSocketProtocol.serverSend, "backlog_limited", False):
        return
    send = WebSocketProtocol.serverSend

    def serverSend(self, content, binary=False):
        if self.state in (self.STATE_CLOSING, self.STATE_CLOSED):
            return  # closing or dropped: the frames its consumer still sends before it hears of it go nowhere
        send(self, content, binary)
        drop_if_backlogged(self, limit)

    serverSend.backlog_limited = True
    WebSocketProtocol.serverSend = serverSend


# Board events: framed once, written to each connection.


def daphne_protocol(send):
    """
    The daphne websocket protocol behind an ASGI `send` (daphne binds it as
    `partial(server.handle_reply, protocol)`), or None: another server, or a
    test's communicator.
    """
    try:
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:
        return None
    if isinstance(send, partial) and send.args and isinstance(send.args[0], WebSocketProtocol):
        return send.args[0]
    return None


def prepared_text(protocol, text):
    """
    `text` framed once as a websocket message, for `send_prepared` to any of
    this process's connections. Daphne negotiates no permessage-deflate, so
    the frame is what goes on the wire (`doNotCompress`: autobahn would
    otherwise compress it per connection if a connection had negotiated it).
    """
    return protocol.factory.prepareMessage(text.encode(), doNotCompress=True)


def send_prepared(protocol, prepared_messages):
    """
    Write prepared messages to one connection, one after the other, in one
    write: what autobahn's broadcast API (`sendPreparedMessage`) writes for
    each, without its per-message overhead (a commit of ten stroke chunks to
    a board of fifty is 500 messages; written this way, `bench fanout` went
    from 76k-116k to 120k-153k deliveries/s). The same checks as daphne's
    send above.
    """
    if protocol.state != protocol.STATE_OPEN:
        return
    write_now(protocol, b"".join(prepared.payloadHybi for prepared in prepared_messages))
    if settings.REALTIME_MAX_SEND_BACKLOG_BYTES > 0:
        drop_if_backlogged(protocol, settings.REALTIME_MAX_SEND_BACKLOG_BYTES)


def write_now(protocol, data):
    """
    Write `data` to the connection's socket now, when Twisted holds nothing
    unsent for it; the part the kernel does not take, and everything while
    something is pending, goes through the transport, which keeps the order.

    Twisted's transport only buffers a write and asks the reactor to watch the
    socket; the send happens on the reactor's next turn, and the watch is
    added and removed again (two epoll_ctl calls) around every write. For a
    board's events, written to every connection on every commit, that was
    most of the cost of delivering them, and the wait for the next turn was
    added to every stroke's latency. TLS transports are not plain sockets and
    always go through Twisted.
    """
    transport = protocol.transport
    if (
        not isinstance(transport, tcp.Connection)
        or not transport.connected
        or transport.disconnecting
        or protocol.send_queue
        or unsent_bytes(transport)
    ):
        protocol.sendData(data)
        return
    try:
        sent = transport.socket.send(data)
    except OSError:  # the socket is full (EAGAIN), or broken: Twisted's own write deals with it
        sent = 0
    if sent < len(data):
        transport.write(data[sent:])
