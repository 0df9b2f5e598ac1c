"""
Websocket limits: a token bucket per connection and one per user, and a cap
on the connections a user has open to one board.

The per-user bucket and the connection counts are process-local: they are
kept for the user's connections served by this process, and forgotten when
the last of them closes. With several daphne processes behind a balancer, a
user whose tabs land on N processes gets up to N times the per-user rate and
N times the connection cap; the per-connection limit still holds for each
tab. docs/protocol.md gives the defaults and why.
"""

import time
import weakref

from django.conf import settings


class TokenBucket:
    """`rate` messages a second on average, bursts of up to `burst`."""

    __slots__ = ("rate", "burst", "clock", "tokens", "updated")  # one per connection: no instance dict

    def __init__(self, *, rate, burst, clock=time.monotonic):
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.tokens = float(burst)
        self.updated = clock()

    def take(self):
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class UserBuckets:
    """One TokenBucket per user id, kept while the user has a connection in this process."""

    def __init__(self):
        self.buckets = {}  # user id -> [bucket, number of connections]

    def join(self, user_id):
        entry = self.buckets.get(user_id)
        if entry is None:
            bucket = TokenBucket(rate=settings.REALTIME_USER_RATE_PER_SECOND, burst=settings.REALTIME_USER_RATE_BURST)
            entry = self.buckets[user_id] = [bucket, 0]
        entry[1] += 1
        return entry[0]

    def leave(self, user_id):
        entry = self.buckets.get(user_id)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del self.buckets[user_id]


user_buckets = UserBuckets()


class BoardConnections:
    """
    The connections each user has open to each board in this process, held
    to REALTIME_MAX_CONNECTIONS_PER_USER: every connection costs the board's
    others a presence frame, and a newcomer a line of presence. Weakly held:
    a connection whose consumer ended without leaving is forgotten with it.
    """

    def __init__(self):
        self.connections = {}  # (user id, board group) -> WeakSet of the user's consumers on the board

    def join(self, user_id, group, consumer):
        """Count a new connection; False, counting nothing, if the user has as many as allowed."""
        connections = self.connections.setdefault((user_id, group), weakref.WeakSet())
        if len(connections) >= settings.REALTIME_MAX_CONNECTIONS_PER_USER:
            return False
        connections.add(consumer)
        return True

    def leave(self, user_id, group, consumer):
        connections = self.connections.get((user_id, group))
        if connections is None:
            return
        connections.discard(consumer)
        if not connections:
            del self.connections[(user_id, group)]


board_connections = BoardConnections()
