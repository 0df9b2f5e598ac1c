"""
Idle connections: how much memory one server process holds per open,
synced websocket. Connections are spread over boards of `idle_per_board`
(a realistic spread: every join is announced to the board's others).
"""

import time

from bench import fixtures
from bench.load import ReceiverPool

SETTLE_SECONDS = 2


def run_idle(bench):
    sizes = bench.sizes
    count = sizes.idle_connections
    relay_per_connection = None
    for kind in ("relay", "project"):
        server = bench.start(kind)
        try:
            if kind == "project":
                boards = [
                    fixtures.whiteboard_board(name=bench.board_name("idle"), owner=bench.owner)
                    for _ in range(-(-count // sizes.idle_per_board))
                ]
                bench.headers(server, 0)  # log in (and warm up) before the first reading
                targets = [
                    (f"{server.ws_url}/ws/whiteboard/{boards[number // sizes.idle_per_board].slug}/",
                     bench.headers(server, number), True)
                    for number in range(count)
                ]
            else:
                targets = [(f"{server.ws_url}/ws/relay/", {}, False)] * count
            time.sleep(SETTLE_SECONDS)
            before = server.rss_bytes()
            started = time.monotonic()
            with ReceiverPool(targets, processes=sizes.processes) as pool:
                pool.start(sizes.timeout + count / 10)
                connect_seconds = time.monotonic() - started
                time.sleep(SETTLE_SECONDS)
                after = server.rss_bytes()
                alive = server.process.poll() is None
        finally:
            bench.stop(server)
        label = "plain ASGI relay" if kind == "relay" else "project"
        layer = "-" if kind == "relay" else "memory"
        check = "OK" if alive else "FAIL: the server died"
        per_connection = (after - before) / count
        if kind == "relay":
            relay_per_connection = per_connection
        bench.add("idle", label, layer, "RSS MB before", round(before / 1e6, 1))
        bench.add("idle", label, layer, f"RSS MB with {count:,} idle connections", round(after / 1e6, 1), check=check)
        bench.add("idle", label, layer, "KB per connection", round(per_connection / 1e3, 1),
                  baseline=relay_per_connection and relay_per_connection / 1e3, check=check)
        bench.add("idle", label, layer, f"s to open {count:,} connections", round(connect_seconds, 1))
