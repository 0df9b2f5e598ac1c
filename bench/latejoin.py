"""
Late join: a board of many strokes reaches a new client after a restart.

The board is inserted in bulk through the project's models; the server is
then restarted (a fresh process, nothing cached) and the client is timed
from its first request for the board's data until it holds every stroke
with its socket caught up (`synced`). Bytes are those received on the wire:
the HTTP response as sent (gzip asked for) plus the websocket's bytes
(permessage-deflate offered, as browsers do).
"""

import asyncio
import gzip
import json
import time

from bench import fixtures
from bench.load import open_socket, receive_until
from bench.session import request
from bench.strokes import milliseconds
from whiteboard.points import unpacked_channels_many


def get_snapshot(server, slug, headers):
    response = request(
        server.http_url, "GET", f"/whiteboard/{slug}/snapshot.json",
        headers={**headers, "Accept-Encoding": "gzip"},
    )
    if response.status != 200:
        raise RuntimeError(f"the snapshot answered HTTP {response.status}")
    return response


async def join_with_snapshot(server, slug, headers):
    """
    GET the snapshot while the socket connects (as board.js does); once both
    are there, `sync` since the snapshot's seq and unpack every stroke's
    points while the server answers: (seconds, bytes, points held per stroke).
    """
    started = time.monotonic()
    fetching = asyncio.create_task(asyncio.to_thread(get_snapshot, server, slug, headers))
    ws = await open_socket(f"{server.ws_url}/ws/whiteboard/{slug}/", headers=headers, compression="deflate")
    try:
        await receive_until(ws, "hello")
        response = await fetching
        body = response.body
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        snapshot = json.loads(body)
        await ws.send(json.dumps({"type": "sync", "since": snapshot["seq"], "ref": "late"}))
        columns = snapshot["strokes"]
        strokes = {
            stroke_id: min(len(xs), len(ys))
            for stroke_id, (xs, ys, *_) in zip(columns["id"], unpacked_channels_many(columns["points"]), strict=True)
        }
        _, events = await receive_until(ws, "synced")
        apply_strokes(strokes, events)
        elapsed = time.monotonic() - started
        return elapsed, response.wire_bytes + ws.wire_bytes, strokes
    finally:
        await ws.close()


async def join_with_socket(server, slug, headers):
    """The socket alone: `sync` since 0 replays every stored event."""
    started = time.monotonic()
    ws = await open_socket(f"{server.ws_url}/ws/whiteboard/{slug}/", headers=headers, compression="deflate")
    try:
        await receive_until(ws, "hello")
        await ws.send(json.dumps({"type": "sync", "since": 0, "ref": "late"}))
        _, events = await receive_until(ws, "synced", timeout=120)
        strokes = {}
        apply_strokes(strokes, events)
        return time.monotonic() - started, ws.wire_bytes, strokes
    finally:
        await ws.close()


def apply_strokes(strokes, events):
    for event in events:
        if event.get("type") == "stroke":
            strokes[event["id"]] = strokes.get(event["id"], 0) + len(event["points"])


def run_latejoin(bench):
    sizes = bench.sizes
    board = fixtures.whiteboard_board(name=bench.board_name("late join"), owner=bench.owner)
    started = time.monotonic()
    fixtures.fill_whiteboard(board, strokes=sizes.late_strokes, points=sizes.late_points, author=bench.owner)
    bench.write(f"inserted {sizes.late_strokes:,} strokes of {sizes.late_points} points in {time.monotonic() - started:.1f} s")
    server = bench.start("project")
    try:
        headers = bench.headers(server, 1)  # logs in now, before the restart
        for label, join in (("snapshot + sync", join_with_snapshot), ("socket sync since 0", join_with_socket)):
            server.restart()
            seconds, wire_bytes, strokes = asyncio.run(join(server, board.slug, headers))
            complete = len(strokes) == sizes.late_strokes and all(
                count == sizes.late_points for count in strokes.values()
            )
            check = "OK" if complete else f"FAIL: holds {len(strokes)} of {sizes.late_strokes} strokes"
            what = f"{sizes.late_strokes:,} strokes x {sizes.late_points} points, {label}"
            bench.add("latejoin", "project", "memory", f"ms, {what}", milliseconds(seconds), check=check)
            bench.add("latejoin", "project", "memory", f"KB on the wire, {what}", round(wire_bytes / 1000, 1),
                      check=check)
    finally:
        bench.stop(server)
