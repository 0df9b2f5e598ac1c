"""
/healthz of a real daphne on the Redis channel layer, its Redis reached
through a TcpProxy that can cut it off: the probe answers 200 while 1,000
board sockets are open (it answered 503 whenever one was), and follows Redis
going away and coming back within seconds (it stayed 503 for 75 s after a
4 s restart while the boards worked).

The probe times are printed, not asserted: each probe only has to answer
within PROBE_TIMEOUT.
"""

import http.client
import statistics
import time
from urllib.parse import urlsplit

from django.test import TransactionTestCase

from bench import fixtures
from bench.load import ReceiverPool
from bench.servers import HOST, wait_until_idle
from bench.session import cookie_header, login
from tests.reliability.faults import TcpProxy, server_environment, shared_database_url, start_server
from tests.support import PASSWORD, make_user, require_redis

CONNECTIONS = 1000
PER_BOARD = 25  # every join is announced to the board's others: many small boards, as in bench/idle.py
USERS = 4
PROBES = 10
PROBE_TIMEOUT = 5
RECOVERY_SECONDS = 5


def through_proxy(redis_url, port):
    """`redis_url` with its host and port replaced by the proxy's (credentials and db kept)."""
    parsed = urlsplit(redis_url)
    credentials = parsed.netloc.rpartition("@")[0]
    return parsed._replace(netloc=f"{credentials}@{HOST}:{port}" if credentials else f"{HOST}:{port}").geturl()


class HealthzOnRedisTests(TransactionTestCase):
    def setUp(self):
        redis_url = require_redis()
        parsed = urlsplit(redis_url)
        self.proxy = TcpProxy(parsed.port or 6379, parsed.hostname or HOST).start()
        self.addCleanup(self.proxy.stop)
        environment = server_environment(
            DATABASE_URL=shared_database_url(), REDIS_URL=through_proxy(redis_url, self.proxy.port)
        )
        self.server = start_server(self, "healthz-redis", environment)
        users = [make_user(f"user{number}") for number in range(USERS)]
        self.owner = users[0]
        self.headers = [{"Cookie": cookie_header(login(self.server.http_url, user.username, PASSWORD))} for user in users]

    def open_sockets(self, count):
        """`count` synced board sockets, users taking turns, PER_BOARD to a board; closed when the test ends."""
        boards = [
            fixtures.whiteboard_board(name=f"Board {number}", owner=self.owner) for number in range(-(-count // PER_BOARD))
        ]
        targets = [
            (f"{self.server.ws_url}/ws/whiteboard/{boards[number // PER_BOARD].slug}/", self.headers[number % USERS], True)
            for number in range(count)
        ]
        pool = ReceiverPool(targets, processes=2)
        self.addCleanup(pool.close)
        started = time.monotonic()
        pool.start(timeout=300)
        opened = time.monotonic() - started
        settled = wait_until_idle([self.server.pid])  # the joins' presence frames sent
        print(f"\n[healthz] {count:,} board sockets open and synced in {opened:.1f} s, idle {settled:.1f} s later")
        return pool

    def probe(self):
        """(status, seconds) of one GET /healthz."""
        started = time.monotonic()
        connection = http.client.HTTPConnection(HOST, self.server.port, timeout=PROBE_TIMEOUT)
        try:
            connection.request("GET", "/healthz")
            status = connection.getresponse().status
        finally:
            connection.close()
        return status, time.monotonic() - started

    def test_answers_200_with_1000_board_sockets_open(self):
        self.open_sockets(CONNECTIONS)
        times = []
        for _ in range(PROBES):
            status, seconds = self.probe()
            self.assertEqual(status, 200)
            times.append(seconds)
        self.assertIsNone(self.server.process.poll(), "the server died")
        print(
            f"[healthz] {PROBES} probes with {CONNECTIONS:,} sockets open: "
            f"median {statistics.median(times) * 1000:.0f} ms, slowest {max(times) * 1000:.0f} ms"
        )

    def test_503_while_redis_is_cut_off_and_200_within_seconds_of_its_return(self):
        self.open_sockets(PER_BOARD)
        self.assertEqual(self.probe()[0], 200)

        self.proxy.cut()
        cut_at = time.monotonic()
        statuses = []
        while time.monotonic() - cut_at < 2:
            statuses.append(self.probe()[0])
            time.sleep(0.1)
        self.assertEqual(set(statuses), {503}, "a probe passed while Redis was cut off")

        self.proxy.restore()
        restored_at = time.monotonic()
        status = None
        while status != 200 and time.monotonic() - restored_at < RECOVERY_SECONDS:
            status = self.probe()[0]
            if status != 200:
                time.sleep(0.1)
        recovered = time.monotonic() - restored_at
        self.assertEqual(status, 200, f"still {status} {RECOVERY_SECONDS} s after Redis came back")
        print(f"\n[healthz] 200 again {recovered * 1000:.0f} ms after Redis came back")
