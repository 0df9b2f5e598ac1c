"""
What a board connection takes in: counted against its rate limit as it
arrives, with a bound on what waits for the consumer.

daphne puts every frame a client sends in the connection's queue for its
consumer, without limit (ASGI has no back-pressure on receive), and the
consumer takes one frame at a time between daphne's reads. A client
flooding a board made that queue grow by tens of megabytes a second, and a
rate limit counted as the consumer took the frames saw the flood only as
fast as the consumer got through them: slower than the limit refills, so
the flood was cut off only after it stopped, and the memory stayed with
the process.

Under daphne an `Inlet` therefore counts each frame as it arrives
(`on_message`): a frame over the connection's rate limit is dropped there,
unparsed, and the consumer is told at once (`on_refused`), however long
the frames before it take. At most MAX_QUEUED_FRAMES frames or
MAX_QUEUED_BYTES (plus the read under way, 64 KiB, and one frame) wait for
the consumer: past that the server stops reading the socket (Twisted's
`pauseProducing`), the client's frames wait in its own buffers (TCP's flow
control), and reading resumes once the consumer has taken half of them.
Once the server decides to close a connection for abuse it reads nothing
more from it (`stop`): what the client still sends is never parsed, and
autobahn drops the connection after its close handshake timeout (1 s).

A frame larger than daphne accepts (--websocket-max-message-size, 1 MiB by
default) ends the connection. Autobahn would drop it without a word, which
a client cannot tell from a network failure; for an inlet's connection it
closes with 1009 (message too big) instead, so the page can say why.

Public API only: the connection's daphne protocol (found by
boardsite.collab.transport.daphne_protocol), its autobahn callback `onMessage`
(wrapped for this connection alone), `state` and option `failByDrop`, and
Twisted's producer methods. Elsewhere (a test's communicator) frames are
counted as the consumer takes them.
"""

# What may wait for the consumer before the server stops reading the socket. The
# count is above the default burst (REALTIME_RATE_BURST, 240), so a flood runs out
# of its burst, and is seen, before the server stops reading; the bytes bound big frames.
MAX_QUEUED_FRAMES = 1024
MAX_QUEUED_BYTES = 1024 * 1024


class Inlet:
    __slots__ = ("protocol", "rate_limit", "on_refused", "refused", "queued", "queued_bytes", "paused", "stopped")

    def __init__(self, protocol, *, rate_limit, on_refused):
        self.protocol = protocol
        self.rate_limit = rate_limit  # the connection's TokenBucket
        self.on_refused = on_refused  # called at the first frame refused since `collect_refused`
        self.refused = 0
        # The size of each frame waiting for the consumer, in order: a list, not a deque,
        # as an empty list holds no memory and an idle connection's stays empty.
        self.queued = []
        self.queued_bytes = 0
        self.paused = False
        self.stopped = False
        if protocol is not None:
            protocol.onMessage = self.on_message  # this connection's own: it shadows the class's
            protocol.failByDrop = False

    def on_message(self, payload, is_binary):
        """daphne's `onMessage` for a frame within the rate limit; a pause once too much waits."""
        protocol = self.protocol
        if protocol.state != protocol.STATE_OPEN:
            return  # the server is closing the connection: what the client still sends is not wanted
        if not self.admit():
            return
        type(protocol).onMessage(protocol, payload, is_binary)
        self.queued.append(len(payload))
        self.queued_bytes += len(payload)
        if not self.paused and (len(self.queued) >= MAX_QUEUED_FRAMES or self.queued_bytes >= MAX_QUEUED_BYTES):
            self.paused = True
            protocol.transport.pauseProducing()

    def admit(self):
        """Count a frame against the rate limit: False (and `on_refused`) if it is over."""
        if self.rate_limit.take():
            return True
        self.refused += 1
        if self.refused == 1:
            self.on_refused()
        return False

    def take(self):
        """
        The consumer takes a frame: False if it is over the rate limit (it
        is counted here, without daphne). Under daphne, read the socket again
        once half of what waited is handled.
        """
        if self.protocol is None:
            return self.admit()
        if self.queued:
            self.queued_bytes -= self.queued.pop(0)
        if (
            self.paused
            and not self.stopped
            and len(self.queued) <= MAX_QUEUED_FRAMES // 2
            and self.queued_bytes <= MAX_QUEUED_BYTES // 2
        ):
            self.paused = False
            self.protocol.transport.resumeProducing()
        return True

    def collect_refused(self):
        """How many frames were over the rate limit (and dropped) since the last call."""
        refused, self.refused = self.refused, 0
        return refused

    def stop(self):
        """Read nothing more from this connection: the server is closing it."""
        if self.protocol is not None and not self.stopped:
            self.stopped = True
            self.protocol.transport.pauseProducing()
