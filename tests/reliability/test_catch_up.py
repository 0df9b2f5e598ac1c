"""
A catch-up of any size completes: a client syncing from 0 on a board whose
event log holds 50 MB, reading slowly through a small socket buffer, gets
every event once and in order, and is not dropped by the send limit
(1 MiB here), because the server sends each page once the client has taken
the one before (boardsite.collab.consumers.BoardConsumer.catch_up). The
server's memory for it stays far below the size of the log.
"""

import asyncio
import json
import socket
import threading
import time

import websockets
from django.db import transaction
from django.test import TransactionTestCase

from bench.servers import HOST, UNLIMITED_RATE, rss_bytes
from bench.session import cookie_header, login
from boardsite.collab.events import NewEvent, record_events
from tests.reliability.faults import shared_database_url, server_environment, start_server
from tests.support import PASSWORD, make_user
from whiteboard import services as whiteboard_services

LIMIT = 1024 * 1024
POINTS = [[round(n / 2000, 4), round(1 - n / 2000, 4)] for n in range(2000)]  # about 28 KB of JSON
EVENTS = 1850  # 50 MB in all
MB = 1024 * 1024


class PeakRss:
    """The highest resident size of a process, sampled in a thread while the block runs."""

    def __init__(self, pid):
        self.pid = pid
        self.peak = 0
        self.running = True

    def sample(self):
        while self.running:
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.02)

    def __enter__(self):
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()


class LargeCatchUpTests(TransactionTestCase):
    def setUp(self):
        self.reader = make_user("reader")
        self.board = whiteboard_services.board_create(name="Big log", owner=self.reader)
        for start in range(0, EVENTS, 200):
            with transaction.atomic():
                record_events(board=self.board, events=[
                    NewEvent(type="stroke", actor=self.reader, payload={
                        "id": f"s{number}", "chunk": 0, "tool": "pen", "color": "#112233", "width": 3,
                        "points": POINTS,
                    })
                    for number in range(start, min(start + 200, EVENTS))
                ])
        self.log_bytes = sum(len(json.dumps(payload, separators=(",", ":"))) for payload in self.board.events.values_list("payload", flat=True))
        environment = server_environment(
            DATABASE_URL=shared_database_url(), REALTIME_MAX_SEND_BACKLOG_BYTES=str(LIMIT), **UNLIMITED_RATE
        )
        self.server = start_server(self, "catch-up", environment)
        self.cookies = login(self.server.http_url, "reader", PASSWORD)

    async def sync_from_zero_reading_slowly(self):
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        raw.connect((HOST, self.server.port))
        seqs = []
        async with websockets.connect(
            f"{self.server.ws_url}/ws/whiteboard/{self.board.slug}/", sock=raw, max_queue=4,
            origin=self.server.http_url, additional_headers={"Cookie": cookie_header(self.cookies)},
        ) as client:
            hello = json.loads(await client.recv())
            await client.send(json.dumps({"type": "sync", "since": 0, "ref": "sync"}))
            async with asyncio.timeout(240):
                while True:
                    frame = json.loads(await client.recv())
                    if frame["type"] == "stroke":
                        seqs.append(frame["seq"])
                        if len(seqs) % 100 == 0:
                            await asyncio.sleep(0.05)  # a slow reader
                    elif frame["type"] == "synced":
                        return hello, seqs, frame

    def test_a_client_syncing_a_50_mb_log_from_zero_gets_every_event_once_in_order(self):
        self.assertGreater(self.log_bytes, 48 * MB)
        before = rss_bytes(self.server.pid)
        with PeakRss(self.server.pid) as rss:
            hello, seqs, synced = asyncio.run(self.sync_from_zero_reading_slowly())
        print(f"\n  catch-up of {self.log_bytes / MB:.1f} MB: server RSS {before / MB:.0f} MB before, "
              f"peak {rss.peak / MB:.0f} MB (+{(rss.peak - before) / MB:.0f} MB)")
        self.assertEqual(hello["seq"], EVENTS)
        self.assertEqual(seqs, list(range(1, EVENTS + 1)))
        self.assertEqual(synced["seq"], EVENTS)
        # It held pages, not the log: well under the 50 MB it sent.
        self.assertLess(rss.peak - before, 25 * MB)
        self.server.stop()
        log = self.server.log_path.read_text()
        self.assertNotIn("over REALTIME_MAX_SEND_BACKLOG_BYTES", log)
        self.assertNotIn(" ERROR ", log)
