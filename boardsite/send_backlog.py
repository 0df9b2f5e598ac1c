"""
A limit on what the server holds for a websocket client that does not read.

Daphne hands every outgoing frame to Twisted at once: ASGI has no
back-pressure, and a client that stops reading makes the connection's
transport buffer grow without bound (a board that keeps changing keeps
adding to it). After each frame daphne sends, this checks how many bytes the
transport still holds unsent, and drops the connection once that passes
REALTIME_MAX_SEND_BACKLOG_BYTES. The client's page reconnects and resyncs
when it can read again (docs/reliability.md).

The count is Twisted's own write buffer (FileDescriptor.dataBuffer from
`offset`, plus `_tempDataLen`, the frames queued since the last flush); the
kernel's socket buffer, a few MiB at most, comes on top.
"""

import logging

logger = logging.getLogger("boardsite.realtime")


def unsent_bytes(transport):
    """Bytes a Twisted TCP transport has accepted but not yet written to the socket."""
    buffered = getattr(transport, "dataBuffer", b"")
    return len(buffered) - getattr(transport, "offset", 0) + getattr(transport, "_tempDataLen", 0)


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
        backlog = unsent_bytes(self.transport)
        if backlog > limit:
            logger.warning(
                "dropping %s: %d bytes unsent, over REALTIME_MAX_SEND_BACKLOG_BYTES (%d)",
                self.request.path if getattr(self, "request", None) else "a websocket", backlog, limit,
            )
            self.dropConnection(abort=True)

    serverSend.backlog_limited = True
    WebSocketProtocol.serverSend = serverSend
