"""
Late join: a board of many strokes reaches a new client after a restart.

The board is inserted in bulk through the project's models, drawn by a
smooth pen (bench.fixtures.smooth_pen), and once more by the white-noise
worst case; the server is then restarted (a fresh process, nothing cached)
and the client is timed from its first request for the board's data until
it holds every stroke, every point unpacked, with its socket caught up
(`synced`). Bytes are those received on the wire:
the HTTP response as sent (gzip asked for) plus the websocket's bytes
(permessage-deflate offered, as browsers do).
"""

import asyncio
import gc
import gzip
import json
import time

from bench import fixtures
from bench.chromium import CHROMIUM_PATH, in_chromium
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
    points while the server answers: (seconds, bytes, points held per stroke,
    where the time went).
    """
    started = time.monotonic()
    fetching = asyncio.create_task(asyncio.to_thread(get_snapshot, server, slug, headers))
    ws = await open_socket(f"{server.ws_url}/ws/whiteboard/{slug}/", headers=headers, compression="deflate")
    try:
        await receive_until(ws, "hello")
        response = await fetching
        arrived = time.monotonic()
        body = response.body
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        snapshot = json.loads(body)
        await ws.send(json.dumps({"type": "sync", "since": snapshot["seq"], "ref": "late"}))
        columns = snapshot["strokes"]
        unpacking = time.monotonic()
        strokes = {
            stroke_id: min(len(xs), len(ys))
            for stroke_id, (xs, ys, *_) in zip(columns["id"], unpacked_channels_many(columns["points"]), strict=True)
        }
        unpacked = time.monotonic()
        _, events = await receive_until(ws, "synced")
        apply_strokes(strokes, events)
        elapsed = time.monotonic() - started
        parts = {"until the snapshot has arrived": arrived - started, "unpacking its points": unpacked - unpacking}
        return elapsed, response.wire_bytes + ws.wire_bytes, strokes, parts
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
        return time.monotonic() - started, ws.wire_bytes, strokes, {}
    finally:
        await ws.close()


# When the page's connection status first says "live": the state holds the snapshot and the
# socket has caught up from its seq (board.js sends `sync` only once the snapshot is loaded).
RECORD_LIVE = """new MutationObserver((changes, observer) => {
  const status = document.getElementById("connection-status");
  if (status?.dataset.state === "live") {
    window.__liveAt = performance.now();
    observer.disconnect();
  }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-state"], childList: true });"""
# Milliseconds from the navigation's start (performance.now()'s origin).
TIMINGS = """() => {
  const snapshot = performance.getEntriesByType("resource").find((entry) => entry.name.includes("/snapshot.json"));
  return { requested: snapshot.startTime, arrived: snapshot.responseEnd, live: window.__liveAt };
}"""


def join_in_chromium(server, slug, cookies):
    """
    The board page in Chromium: (seconds from the navigation until its status
    is live, where the time went), or None without Chromium or Playwright.
    """
    def join(page):
        page.add_init_script(RECORD_LIVE)
        page.goto(f"{server.http_url}/whiteboard/{slug}/")
        page.wait_for_function("() => window.__liveAt !== undefined", timeout=60_000)
        return page.evaluate(TIMINGS)

    timings = in_chromium(server, cookies, join)
    if timings is None:
        return None
    return timings["live"] / 1000, {
        "until the snapshot was requested": timings["requested"] / 1000,
        "until the snapshot had arrived": timings["arrived"] / 1000,
    }


def measure_elements_board(bench, server, headers, board, what):
    """The board of every kind of element: snapshot + sync, then the page in Chromium, each after a restart."""
    server.restart()
    as_a_new_client()
    seconds, wire_bytes, strokes, _ = asyncio.run(join_with_snapshot(server, board.slug, headers))
    held = board.stored_strokes
    check = "OK" if len(strokes) == held else f"FAIL: holds {len(strokes)} of {held} elements"
    bench.add("latejoin", "project", "memory", f"ms, {what}, snapshot + sync", milliseconds(seconds), check=check)
    bench.add("latejoin", "project", "memory", f"KB on the wire, {what}, snapshot + sync", round(wire_bytes / 1000, 1),
              check=check)
    server.restart()
    joined = join_in_chromium(server, board.slug, bench.cookies(server)[1])
    label = f"ms from navigation until live, {what}, the board page in Chromium"
    if joined is None:
        bench.add("latejoin", "project", "memory", label, "not measured", check=f"no Chromium at {CHROMIUM_PATH}")
    else:
        seconds, parts = joined
        bench.add("latejoin", "project", "memory", label, milliseconds(seconds), check="OK")
        for part, part_seconds in parts.items():
            bench.add("latejoin", "project", "memory", f"of which ms {part}, elements board, in Chromium",
                      milliseconds(part_seconds), check="OK")


def apply_strokes(strokes, events):
    for event in events:
        if event.get("type") == "stroke":
            strokes[event["id"]] = strokes.get(event["id"], 0) + len(event["points"])


def as_a_new_client():
    """
    Leave the join's garbage collections with only what the join makes. This
    process holds Django, the boards it just inserted and the earlier
    scenarios' results, which a browser tab opening a board does not; a full
    collection during the join scanned all of it (about 100 of the 300 ms a
    join took, at 13c5db5). The server does the same once it has started
    (boardsite/asgi.py).
    """
    gc.collect()
    gc.freeze()


def filled_board(bench, pen):
    sizes = bench.sizes
    board = fixtures.whiteboard_board(name=bench.board_name(f"late join, {pen.__name__}"), owner=bench.owner)
    started = time.monotonic()
    fixtures.fill_whiteboard(board, strokes=sizes.late_strokes, points=sizes.late_points, author=bench.owner, pen=pen)
    bench.write(
        f"inserted {sizes.late_strokes:,} strokes of {sizes.late_points} points ({pen.__name__}) "
        f"in {time.monotonic() - started:.1f} s"
    )
    return board


def elements_board(bench):
    """
    A board of as many elements as the others have strokes, of every kind
    but images: 80 % strokes, 15 % texts and notes, 4 % shapes (issue 19's
    10,000: 8,000 strokes, 1,500 texts and notes, 400 shapes, 100 images).
    """
    sizes = bench.sizes
    board = fixtures.whiteboard_board(name=bench.board_name("late join, elements"), owner=bench.owner)
    strokes, texts, shapes = (round(sizes.late_strokes * share) for share in (0.8, 0.15, 0.04))
    fixtures.fill_whiteboard(board, strokes=strokes, points=sizes.late_points, author=bench.owner)
    fixtures.add_whiteboard_elements(board, texts=texts, shapes=shapes, author=bench.owner)
    return board, f"{strokes:,} strokes x {sizes.late_points} points, {texts:,} texts and notes, {shapes} shapes"


def run_latejoin(bench):
    """
    The smooth pen's board joined both ways, then the white-noise board
    (fixtures.jittery_pen, the worst case for the packed points) with the
    snapshot, so what such strokes cost is in the table too, then a board of
    every kind of element with the snapshot and in Chromium.
    """
    sizes = bench.sizes
    smooth = filled_board(bench, fixtures.smooth_pen)
    jittery = filled_board(bench, fixtures.jittery_pen)
    elements, elements_what = elements_board(bench)
    server = bench.start("project")
    try:
        headers = bench.headers(server, 1)  # logs in now, before the restart
        for board, label, join in (
            (smooth, "snapshot + sync", join_with_snapshot),
            (smooth, "socket sync since 0", join_with_socket),
            (jittery, "white-noise strokes, snapshot + sync", join_with_snapshot),
        ):
            server.restart()
            as_a_new_client()
            seconds, wire_bytes, strokes, parts = asyncio.run(join(server, board.slug, headers))
            complete = len(strokes) == sizes.late_strokes and all(
                count == sizes.late_points for count in strokes.values()
            )
            check = "OK" if complete else f"FAIL: holds {len(strokes)} of {sizes.late_strokes} strokes"
            what = f"{sizes.late_strokes:,} strokes x {sizes.late_points} points, {label}"
            bench.add("latejoin", "project", "memory", f"ms, {what}", milliseconds(seconds), check=check)
            bench.add("latejoin", "project", "memory", f"KB on the wire, {what}", round(wire_bytes / 1000, 1),
                      check=check)
            for part, part_seconds in parts.items():
                bench.add("latejoin", "project", "memory", f"of which ms {part}, {label}", milliseconds(part_seconds),
                          check=check)
        server.restart()
        joined = join_in_chromium(server, smooth.slug, bench.cookies(server)[1])
        what = f"{sizes.late_strokes:,} strokes x {sizes.late_points} points, the board page in Chromium"
        if joined is None:
            bench.add("latejoin", "project", "memory", f"ms from navigation until live, {what}", "not measured",
                      check=f"no Chromium at {CHROMIUM_PATH} or no Playwright")
        else:
            seconds, parts = joined
            bench.add("latejoin", "project", "memory", f"ms from navigation until live, {what}", milliseconds(seconds),
                      check="OK")
            for part, part_seconds in parts.items():
                bench.add("latejoin", "project", "memory", f"of which ms {part}, in Chromium",
                          milliseconds(part_seconds), check="OK")
        measure_elements_board(bench, server, headers, elements, elements_what)
    finally:
        bench.stop(server)
