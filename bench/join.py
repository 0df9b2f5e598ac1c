"""
Join storm: `Sizes.join_connections` logged-in clients open their sockets
at once, all to one board and then spread over `Sizes.join_boards` boards,
each counted when it is `synced` (the project: hello, sync, synced; the
plain relay answers `sync` with `synced`). The clients are the same for
both, spread over the load processes with `Sizes.join_in_flight` of each
process's connections between their connect and their `synced` at a time.

Every frame the clients receive is counted, whatever its type: on one
board every join is announced to everyone already there, and that traffic
is what the figures show. Beside the wall-clock time, the CPU seconds the
server and the load processes spent: the generator shares the cores, and
its share grows with the frames it has to read. A connection daphne does
not see accepted within its handshake timeout (5 s by default) is dropped
and counted as not synced.
"""

from bench import fixtures
from bench.load import JoinPool
from bench.servers import cpu_seconds, wait_until_idle

TARGET_RATIO = 2.0  # issue 17: synced within twice the relay's time


def run_join(bench):
    sizes = bench.sizes
    for boards in (1, sizes.join_boards):
        layout = "one board" if boards == 1 else f"{boards:,} boards"
        # The project first: its server logs the users in, and the relay's clients send the same cookies.
        project = {layer: measure(bench, "project", layer, boards) for layer in bench.layers}
        relay = measure(bench, "relay", "-", boards)
        add_join(bench, "plain ASGI relay", "-", layout, relay, relay)
        for layer, joined in project.items():
            add_join(bench, "project", layer, layout, joined, relay)


def measure(bench, kind, layer, boards):
    """One join storm on a fresh server: a counted Joined."""
    sizes = bench.sizes
    count = sizes.join_connections
    server = bench.start(kind, layer)
    try:
        if kind == "project":
            slugs = [
                fixtures.whiteboard_board(name=bench.board_name(f"join {boards}"), owner=bench.owner).slug
                for _ in range(boards)
            ]
            urls = [f"{server.ws_url}/ws/whiteboard/{slug}/" for slug in slugs]
        else:
            urls = [f"{server.ws_url}/ws/relay/"]
        # Round robin over the boards, the same cookies for both servers (the relay ignores them).
        targets = [
            (urls[number % len(urls)], bench.headers(server, number), kind == "project") for number in range(count)
        ]
        with JoinPool(targets, in_flight=sizes.join_in_flight, processes=sizes.processes,
                      timeout=sizes.timeout + count / 10) as pool:
            pool.start()
            wait_until_idle([server.pid])
            cpu_before = cpu_seconds(server.pid)
            joined = pool.join()
            joined.server_cpu = cpu_seconds(server.pid) - cpu_before
            wait_until_idle([server.pid])  # what the join left to do, sent after the last `synced`
            return pool.count(joined)
    finally:
        bench.stop(server)


def add_join(bench, label, layer, layout, joined, relay):
    count = bench.sizes.join_connections
    failures = joined.failures
    if failures:
        check = f"FAIL: {count - len(failures):,} of {count:,} synced; {failures[0]}"
    elif label == "plain ASGI relay" or joined.seconds <= TARGET_RATIO * relay.seconds:
        check = "OK"
    else:
        check = f"above the {TARGET_RATIO:g}x target"
    bench.add("join", label, layer, f"s until {count:,} connections synced, {layout}", joined.seconds,
              baseline=relay.seconds, check=check)
    bench.add("join", label, layer, f"server CPU s until the last synced, {layout}", joined.server_cpu,
              baseline=relay.server_cpu)
    bench.add("join", label, layer, f"load generator CPU s until the last synced, {layout}", joined.client_cpu,
              baseline=relay.client_cpu)
    bench.add("join", label, layer, f"frames received until the last synced, {layout}", joined.frames_until,
              baseline=relay.frames_until)
    bench.add("join", label, layer, f"frames received after it, until the server was idle, {layout}",
              joined.frames - joined.frames_until)
