"""
Card descriptions (issue 18): the CPU time to render adversarial Markdown
of the allowed length, and what members notice while one is saved.

In process: each description of ADVERSARIAL is rendered (kanban.descriptions,
parsing and sanitising) a few times and its best process CPU time kept; the
worst of them is held to the 50 ms target, and the worst one is rendered
again at an eighth of its length, whose ratio says how the time grows
(8x for linear). Against a real server: a card.update with 10,000 `[` on one
board, and a card.move on another board sent right after it, each timed to
its ack; and the preview endpoint answering for the same text.
"""

import asyncio
import json
import statistics
import time
from urllib.parse import urlencode

from bench import fixtures
from bench.load import open_board_client, receive_until
from bench.session import request
from bench.strokes import milliseconds
from kanban import services
from kanban.descriptions import render_description
from kanban.models import CARD_DESCRIPTION_MAX_LENGTH

LIMIT = CARD_DESCRIPTION_MAX_LENGTH
TARGET_MS = 50


def filled(unit):
    """`unit` repeated to the allowed length."""
    return (unit * (LIMIT // len(unit) + 1))[:LIMIT]


def lines(make, count):
    return "".join(make(number) for number in range(count))[:LIMIT]


ADVERSARIAL = {
    "10,000 [": filled("["),
    "5,000 ![": filled("!["),
    "nested brackets": "[" * (LIMIT // 2) + "]" * (LIMIT // 2),
    "unclosed links [a](": filled("[a]("),
    "*_ runs": filled("*_"),
    "*a runs": filled("*a"),
    "**a_ runs": filled("**a_"),
    "~a runs": filled("~a"),
    "backtick ladder": lines(lambda number: "`" * (number + 1) + "a", 140),
    "link reference definitions": lines(lambda number: f"[{number}]: /u{number}\n", 500)[: LIMIT // 2]
    + lines(lambda number: f"[{number}]", 1000)[: LIMIT // 2],
    "one reference used 2,000 times": "[a]: /" + "u" * 2000 + "\n\n" + filled("[a]")[: LIMIT - 2010],
    "unclosed < runs": filled("<"),
    "unclosed <a runs": filled("<a "),
    "entities &#": filled("&#"),
    "backslashes": filled("\\"),
    "one long line": filled("word "),
    "10,000 >": filled(">"),
    "> lines, deeper each": lines(lambda number: ">" * (number % 32) + " a\n", 1000),
    "> blocks 31 deep": filled(">" * 31 + "a\n\n"),
    "> - blocks": filled("> - " * 10 + "a\n\n"),
    "lists nested by indentation": lines(lambda number: "  " * (number % 15) + "- a\n", 1000),
    "- on one line": filled("- ") + "a",
    "task list": filled("- [ ] a\n"),
    "table, filled": "|a|b|c|d|e|\n|-|-|-|-|-|\n" + filled("|a|b|c|d|e|\n")[: LIMIT - 24],
    "table, wide header over short rows": "|a" * 100 + "|\n" + "|-" * 100 + "|\n" + filled("x\n")[:LIMIT - 404],
    "table, empty cells": ("|" * 100 + "\n" + "|-" * 99 + "|\n" + ("|" * 100 + "\n") * 98)[:LIMIT],
    "autolinks www.": filled("www."),
    "autolinks http://": filled("http://a.b "),
    "emails": filled("a@b.c "),
    "mixed [*`_~<](": filled("[*`_~<]("),
}


def cpu_milliseconds(text, *, repeats):
    """The least process CPU time of `repeats` renderings (the others lost time to the machine, not to the text)."""
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        render_description(text)
        best = min(best, time.process_time() - started)
    return best * 1000


async def over_the_wire(server, *, headers, csrf_token, board, card, other, other_card, columns, tries):
    """([update ack ms], [other board's move ack ms], problems)."""
    writer = await open_board_client(f"{server.ws_url}/ws/kanban/{board.slug}/", headers=headers)
    mover = await open_board_client(f"{server.ws_url}/ws/kanban/{other.slug}/", headers=headers)
    updates, moves, problems = [], [], []
    version, other_version = card["version"], other_card["version"]
    try:
        for number in range(tries):
            text = filled("[") if number % 2 == 0 else filled("![")
            started = time.monotonic()
            await writer.send(json.dumps({"type": "card.update", "ref": f"u{number}", "card": card["id"],
                                          "version": version, "description": text}))
            await mover.send(json.dumps({"type": "card.move", "ref": f"m{number}", "card": other_card["id"],
                                         "version": other_version, "column": columns[number % 2], "index": 0}))
            moved, _ = await receive_until(mover, "ack")
            moves.append(time.monotonic() - started)
            updated, _ = await receive_until(writer, "ack")
            updates.append(time.monotonic() - started)
            version, other_version = updated["card"]["version"], moved["card"]["version"]
            if updated["card"]["description_html"] != f"<p>{text}</p>\n":
                problems.append(f"the description came back as {updated['card']['description_html'][:40]}…")
    finally:
        await writer.close()
        await mover.close()
    started = time.monotonic()
    preview = request(
        server.http_url, "POST", f"/kanban/{board.slug}/preview/", body=urlencode({"description": filled("[")}),
        headers={**headers, "X-CSRFToken": csrf_token, "Content-Type": "application/x-www-form-urlencoded"},
    )
    preview_seconds = time.monotonic() - started
    if preview.status != 200 or json.loads(preview.body)["html"] != f"<p>{filled('[')}</p>\n":
        problems.append(f"the preview answered {preview.status}")
    return updates, moves, preview_seconds, problems


def run_markdown(bench):
    quick = bench.quick
    repeats = 1 if quick else 3
    add = bench.add
    cases = dict(list(ADVERSARIAL.items())[:4]) if quick else ADVERSARIAL
    render_description("warm up: **a**")
    times = {name: cpu_milliseconds(text, repeats=repeats) for name, text in cases.items()}
    worst = max(times, key=times.get)
    check = "OK" if times[worst] < TARGET_MS else f"above the {TARGET_MS} ms target"
    add("markdown", "project", "-", f"CPU ms to render, worst of {len(times)} adversarial descriptions ({worst})",
        round(times[worst], 1), check=check)
    add("markdown", "project", "-", f"CPU ms to render, median of {len(times)}", round(statistics.median(times.values()), 1))
    eighth = cpu_milliseconds(cases[worst][: LIMIT // 8], repeats=repeats)
    add("markdown", "project", "-", f"CPU for 8x the text ({worst}; 8x is linear)",
        f"{times[worst] / max(eighth, 0.001):.1f}x")

    board = fixtures.kanban_board(name=bench.board_name("markdown"), owner=bench.owner)
    other = fixtures.kanban_board(name=bench.board_name("markdown, another board"), owner=bench.owner)
    card = services.card_create(board=board, column_id=board.columns.order_by("position")[0].pk, title="brackets",
                                actor=bench.owner).details["card"]
    columns = list(other.columns.order_by("position").values_list("pk", flat=True))
    other_card = services.card_create(board=other, column_id=columns[0], title="moved meanwhile",
                                      actor=bench.owner).details["card"]
    server = bench.start("project")
    try:
        headers = bench.headers(server, 0)
        csrf_token = bench.cookies(server)[0]["csrftoken"]
        updates, moves, preview_seconds, problems = asyncio.run(over_the_wire(
            server, headers=headers, csrf_token=csrf_token, board=board, card=card, other=other,
            other_card=other_card, columns=columns[1:3], tries=2 if quick else 10,
        ))
    finally:
        bench.stop(server)
    check = "OK" if not problems else f"FAIL: {problems[0]}"
    add("markdown", "project", "memory", f"ms, card.update of 10,000 [ or 5,000 ![ to its ack (max of {len(updates)})",
        milliseconds(max(updates)), check=check)
    add("markdown", "project", "memory", f"ms, a move on another board sent right after, to its ack (max of {len(moves)})",
        milliseconds(max(moves)), check=check)
    add("markdown", "project", "memory", "ms, preview of 10,000 [ over HTTP", milliseconds(preview_seconds), check=check)
