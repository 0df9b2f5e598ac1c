"""
Kanban at size: the page and the initial `board` message of a board of many
cards, and moves within one long column.

Query counts come from the service layer run in this process under
CaptureQueriesContext; times are wall-clock, both in this process and over
HTTP and the websocket against a real server.
"""

import asyncio
import json
import statistics
import time

from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from bench import fixtures
from bench.chromium import CHROMIUM_PATH, in_chromium
from bench.load import open_socket, receive_until
from bench.session import request
from bench.strokes import milliseconds
from kanban import services
from kanban.consumers import KanbanConsumer
from kanban.models import Card

PLAIN_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def counted(function, *args, **kwargs):
    """
    (queries, seconds, result) of one call. BEGIN, COMMIT and savepoints are
    not counted: SQLite's backend logs them and PostgreSQL's does not, so the
    figure is the same on both.
    """
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        result = function(*args, **kwargs)
        seconds = time.perf_counter() - started
    queries = [query for query in captured.captured_queries if not query["sql"].startswith(TRANSACTION_CONTROL)]
    return len(queries), seconds, result


def page_in_process(board, user):
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    with override_settings(STORAGES=PLAIN_STATIC):
        queries, seconds, response = counted(client.get, f"/kanban/{board.slug}/")
    if response.status_code != 200:
        raise RuntimeError(f"the kanban page answered {response.status_code}")
    return queries, seconds


SEARCH_ROUNDS = 5


def search_in_process(board, user, word):
    """Seconds (median) for search.json to answer `word`, through Django's test client in this process."""
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    times = []
    for _ in range(SEARCH_ROUNDS):
        started = time.perf_counter()
        response = client.get(f"/kanban/{board.slug}/search.json", {"q": word})
        times.append(time.perf_counter() - started)
        if response.status_code != 200 or not response.json()["cards"]:
            raise RuntimeError(f"the search for {word!r} answered {response.status_code}, finding nothing")
    return statistics.median(times)


def board_message_in_process(board, user):
    """What the consumer computes for the `board` message (its own method, so this follows the app's changes)."""
    return counted(KanbanConsumer.opening_frames, KanbanConsumer(), board=board, user=user)[:2]


def moves_in_process(board, user, *, count):
    """Move the last cards of the column, one by one, to its middle: [(queries, seconds)]."""
    column = board.columns.get()
    total = column.cards.count()
    results = []
    for number in range(count):
        card = Card.objects.filter(column=column).order_by("-position", "-id")[0]
        queries, seconds, _ = counted(
            services.card_move, board=board, card_id=card.pk, version=card.version, column_id=column.pk,
            index=total // 2, actor=user,
        )
        results.append((queries, seconds))
    return results


async def over_the_wire(server, big, long, headers, *, moves):
    """(page ms, board message ms, [move ms])."""
    started = time.monotonic()
    page = request(server.http_url, "GET", f"/kanban/{big.slug}/", headers=headers)
    page_seconds = time.monotonic() - started
    if page.status != 200:
        raise RuntimeError(f"the kanban page answered {page.status}")
    started = time.monotonic()
    ws = await open_socket(f"{server.ws_url}/ws/kanban/{big.slug}/", headers=headers)
    try:
        await receive_until(ws, "board")
        board_seconds = time.monotonic() - started
    finally:
        await ws.close()
    ws = await open_socket(f"{server.ws_url}/ws/kanban/{long.slug}/", headers=headers)
    move_seconds = []
    try:
        board, _ = await receive_until(ws, "board")
        column = board["columns"][0]
        cards = column["cards"]
        await ws.send(json.dumps({"type": "sync", "since": board["seq"], "ref": "sync"}))
        await receive_until(ws, "synced")
        for number in range(moves):
            card = cards[number]  # the first cards, each moved once to a third of the way down
            started = time.monotonic()
            await ws.send(json.dumps({
                "type": "card.move", "ref": number, "card": card["id"], "version": card["version"],
                "column": column["id"], "index": len(cards) // 3,
            }))
            ack, _ = await receive_until(ws, "ack")
            move_seconds.append(time.monotonic() - started)
    finally:
        await ws.close()
    return page_seconds, board_seconds, move_seconds


FILTER_WORDS = ["card", "7", "", "12", ""]
FILTER_ROUNDS = 5  # each word typed this many times; the median of all is reported
# Type into the board's filter and wait for the frame after it: the filter
# hides and shows the cards synchronously, the frame lays them out.
FILTER_ONCE = """async (word) => {
  const input = document.getElementById("filter-text");
  const started = performance.now();
  input.value = word;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)));
  return performance.now() - started;
}"""


def filter_in_chromium(server, slug, cookies):
    """Seconds (median) to filter the board's cards by a word in Chromium, or None without Chromium or Playwright."""
    def filter_cards(page):
        page.goto(f"{server.http_url}/kanban/{slug}/")
        page.wait_for_selector("#connection-status[data-state=live]", timeout=60_000)
        return statistics.median(page.evaluate(FILTER_ONCE, word) / 1000 for word in FILTER_WORDS * FILTER_ROUNDS)

    return in_chromium(server, cookies, filter_cards)


SHOWN_ROUNDS = 5
# Frame timestamps while a card is dragged: the longest gap between two frames is how long the page froze.
FRAME_GAPS_START = """() => {
  window.benchFrames = [];
  const tick = (time) => { window.benchFrames.push(time); if (window.benchFrames) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
}"""
FRAME_GAPS_STOP = """() => {
  const frames = window.benchFrames;
  window.benchFrames = null;
  let longest = 0;
  for (let n = 1; n < frames.length; n += 1) longest = Math.max(longest, frames[n] - frames[n - 1]);
  return longest;
}"""


def shown_and_drag_in_chromium(server, slug, cookies):
    """
    (seconds from navigation until the board is on screen, and until every
    card is drawn, those below the window too, medians of SHOWN_ROUNDS; the
    longest frame gap, in seconds, while a card is dragged from the first
    column into the second, which holds its share of the cards); None
    without Chromium or Playwright.
    """
    def measure(page):
        shown, drawn = [], []
        for _ in range(SHOWN_ROUNDS):
            page.goto(f"{server.http_url}/kanban/{slug}/")
            page.wait_for_function("() => performance.getEntriesByName('kanban:cards-drawn').length > 0", timeout=60_000)
            marks = page.evaluate("['kanban:board-shown', 'kanban:cards-drawn'].map((name) => performance.getEntriesByName(name)[0].startTime)")
            shown.append(marks[0] / 1000)
            drawn.append(marks[1] / 1000)
        page.wait_for_selector("#connection-status[data-state=live]", timeout=60_000)
        dragged = page.locator(".kanban-column").nth(0).locator(".kanban-card").first
        title = dragged.locator(".card-title").inner_text()
        source = dragged.bounding_box()
        target = page.locator(".kanban-column").nth(1).locator(".kanban-card").nth(2).bounding_box()
        page.evaluate(FRAME_GAPS_START)
        page.mouse.move(source["x"] + 20, source["y"] + 10)
        page.mouse.down()
        for step in range(1, 21):
            page.mouse.move(source["x"] + 20 + (target["x"] - source["x"]) * step / 20,
                            source["y"] + 10 + (target["y"] - source["y"]) * step / 20)
            page.wait_for_timeout(25)
        page.mouse.up()
        page.wait_for_timeout(500)
        froze = page.evaluate(FRAME_GAPS_STOP) / 1000
        landed = page.locator(".kanban-column").nth(1).locator(".card-title", has_text=title).count()
        if not landed:
            raise RuntimeError(f"the dragged card {title!r} did not land in the second column")
        return statistics.median(shown), statistics.median(drawn), froze

    return in_chromium(server, cookies, measure)


def run_kanban(bench):
    sizes = bench.sizes
    # As the board: 3 lanes, each card with 3 comments, a checklist of 5 items and one attachment record.
    depth = {"comments_per_card": 3, "checklist_items": 5, "attachments": True, "author": bench.owner}
    big = fixtures.kanban_board(name=bench.board_name("kanban"), owner=bench.owner)
    fixtures.fill_kanban(big, cards=sizes.kanban_cards, columns=sizes.kanban_columns, lanes=3, **depth)
    small = fixtures.kanban_board(name=bench.board_name("kanban small"), owner=bench.owner)
    fixtures.fill_kanban(small, cards=sizes.kanban_small_cards, columns=sizes.kanban_columns, lanes=3, **depth)
    long = fixtures.kanban_board(name=bench.board_name("kanban long column"), owner=bench.owner)
    fixtures.fill_kanban(long, cards=sizes.kanban_cards, columns=1, **depth)
    user = bench.owner
    cards = f"{sizes.kanban_cards:,} cards in 3 lanes (3 comments, 5 checklist items, 1 file each)"

    page_in_process(small, user)  # warm up: one-time work (templates, caches) is no per-page cost
    board_message_in_process(small, user)
    page_queries, page_seconds = page_in_process(big, user)
    small_page_queries, _ = page_in_process(small, user)
    board_queries, board_seconds = board_message_in_process(big, user)
    small_board_queries, _ = board_message_in_process(small, user)
    constant = "OK" if (page_queries, board_queries) == (small_page_queries, small_board_queries) else (
        f"FAIL: not constant ({small_page_queries}+{small_board_queries} queries with {sizes.kanban_small_cards} cards)"
    )
    add = bench.add
    add("kanban", "project", "-", f"queries, page ({cards}, in process)", page_queries, check=constant)
    add("kanban", "project", "-", f"queries, board message ({cards}, in process)", board_queries, check=constant)
    add("kanban", "project", "-", f"ms, page ({cards}, in process)", milliseconds(page_seconds))
    add("kanban", "project", "-", f"ms, board message ({cards}, in process)", milliseconds(board_seconds))

    for word, what in [("logs", "a word in every comment"), (f"{big.cards.order_by('-pk').first().pk})", "a word in one card's comments")]:
        seconds = search_in_process(big, user, word)
        add("kanban", "project", "-", f"ms, search {cards} for {what} (in process, median of {SEARCH_ROUNDS})",
            milliseconds(seconds), check="OK" if seconds < 0.1 else "above the 100 ms target")

    moves = moves_in_process(long, user, count=sizes.kanban_moves)
    most = max(queries for queries, _ in moves)
    add("kanban", "project", "-", f"queries per move, column of {cards} (max of {len(moves)})", most,
        check="OK" if most <= 10 else "above the 10-query target")
    add("kanban", "project", "-", f"ms per move in process (median of {len(moves)})",
        milliseconds(statistics.median(seconds for _, seconds in moves)))
    add("kanban", "project", "-", f"ms per move in process (max of {len(moves)})",
        milliseconds(max(seconds for _, seconds in moves)))

    server = bench.start("project")
    try:
        headers = bench.headers(server, 0)
        page_wire, board_wire, move_wire = asyncio.run(
            over_the_wire(server, big, long, headers, moves=sizes.kanban_moves)
        )
        filtered = filter_in_chromium(server, big.slug, bench.cookies(server)[0])
        shown_and_drag = shown_and_drag_in_chromium(server, big.slug, bench.cookies(server)[0])
    finally:
        bench.stop(server)
    per_column = f"{sizes.kanban_cards // sizes.kanban_columns}-card column"
    for what, value, target in [
        (f"ms from navigation until the board ({cards}) is on screen, in Chromium (median of {SHOWN_ROUNDS})",
         shown_and_drag and shown_and_drag[0], 0.3),
        (f"ms from navigation until every card is drawn, those below the window too (median of {SHOWN_ROUNDS})",
         shown_and_drag and shown_and_drag[1], None),
        (f"ms the page froze at most while a card was dragged into a {per_column}, in Chromium (longest frame gap)",
         shown_and_drag and shown_and_drag[2], 0.05),
    ]:
        if value is None:
            add("kanban", "project", "memory", what, "not measured", check=f"no Chromium at {CHROMIUM_PATH} or no Playwright")
        elif target is None:
            add("kanban", "project", "memory", what, milliseconds(value))
        else:
            add("kanban", "project", "memory", what, milliseconds(value),
                check="OK" if value < target else f"above the {target * 1000:.0f} ms target")
    runs = len(FILTER_WORDS) * FILTER_ROUNDS
    what = f"ms to filter {cards} by a word, typed until the next frame, in Chromium (median of {runs})"
    if filtered is None:
        add("kanban", "project", "memory", what, "not measured", check=f"no Chromium at {CHROMIUM_PATH} or no Playwright")
    else:
        add("kanban", "project", "memory", what, milliseconds(filtered),
            check="OK" if filtered < 0.1 else "above the 100 ms target")
    add("kanban", "project", "memory", f"ms, page over HTTP ({cards})", milliseconds(page_wire))
    add("kanban", "project", "memory", f"ms, connect to board message ({cards})", milliseconds(board_wire))
    add("kanban", "project", "memory", f"ms per move over the websocket (median of {len(move_wire)})",
        milliseconds(statistics.median(move_wire)))
    add("kanban", "project", "memory", f"ms per move over the websocket (max of {len(move_wire)})",
        milliseconds(max(move_wire)))
