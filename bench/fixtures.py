"""
The benchmark's own data: its database (a temporary SQLite file unless
DATABASE_URL is given), users, boards, and large boards inserted in bulk
through the project's models (not through the websocket).
"""

import json
import math
import random
import secrets
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connections, transaction

from bench.strokes import PALETTE

PASSWORD = "bench-" + secrets.token_hex(8)


def prepare_database(*, database_url, work_dir):
    """Point this process at the benchmark's database, migrate it, and return its URL for the servers."""
    if not database_url:
        path = Path(work_dir) / "bench.sqlite3"
        connection = connections["default"]
        connection.close()
        connection.settings_dict["NAME"] = str(path)
        database_url = f"sqlite:///{path}"
    call_command("migrate", verbosity=0, interactive=False)
    if connections["default"].vendor == "sqlite":
        start_board_ids_at_random()
    return database_url


def start_board_ids_at_random():
    """
    A fresh SQLite file would number its boards from 1 in every run, and so
    reuse channel-layer group names (`whiteboard.board.1`) that a Redis may
    still hold from earlier runs' stopped servers. Start each run's ids
    somewhere else instead.
    """
    start = random.randrange(10**6, 10**9)
    with connections["default"].cursor() as cursor:
        for table in ("whiteboard_board", "kanban_board"):
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, start])


def make_users(count, *, tag):
    """`count` users sharing one password (hashed once: hashing is slow on purpose)."""
    password = make_password(PASSWORD)
    users = [get_user_model()(username=f"{tag}-user{number}", password=password) for number in range(count)]
    get_user_model().objects.bulk_create(users)
    return list(get_user_model().objects.filter(username__startswith=f"{tag}-user").order_by("id"))


def delete_users(*, tag):
    """Remove what a run made in a database it was given (boards go with their owner)."""
    get_user_model().objects.filter(username__startswith=f"{tag}-user").delete()


def shared_board(service, *, name, owner):
    """A board every logged-in user may open, made by the app's own service."""
    board = service(name=name, owner=owner)
    board.shared_with_all = True
    board.save(update_fields=["shared_with_all"])
    return board


def whiteboard_board(*, name, owner):
    from whiteboard.services import board_create

    return shared_board(board_create, name=name, owner=owner)


def kanban_board(*, name, owner):
    from kanban.services import board_create

    return shared_board(board_create, name=name, owner=owner)


# How the fixture's pen moves, in board fractions per pointer event (the board
# is 1920 x 1200 board pixels, docs/protocol.md).
PEN_SPEED = (0.001, 0.004)  # 2 to 8 px a pointer event: 120 to 460 px/s at 60 events a second
PEN_TURN = 0.0005  # the velocity changes by at most this much an event (about 1 px)
JITTER_STEP = 0.005  # the white-noise walk: each point up to this far from the last


def smooth_pen(rng, points):
    """
    A pen stroke as a hand draws it: the velocity is a random walk (it turns
    and speeds up a little from one pointer event to the next), so the
    position is smooth. Real strokes are smooth; what the snapshot sends
    depends on it (whiteboard.points).
    """
    x, y = rng.random(), rng.random()
    angle, speed = rng.uniform(0, 2 * math.pi), rng.uniform(*PEN_SPEED)
    vx, vy = speed * math.cos(angle), speed * math.sin(angle)
    walk = []
    for _ in range(points):
        vx += rng.uniform(-PEN_TURN, PEN_TURN)
        vy += rng.uniform(-PEN_TURN, PEN_TURN)
        x, y = min(1.0, max(0.0, x + vx)), min(1.0, max(0.0, y + vy))
        walk.append([round(x, 4), round(y, 4)])
    return walk


def jittery_pen(rng, points):
    """
    The worst case: every point a uniform random step from the last (white
    noise, about 13 bits a point at 1/10,000 precision), which no encoding
    can shrink much. No hand draws like this; the benchmark reports it beside
    the smooth pen so the cost of such strokes is not hidden.
    """
    x, y = rng.random(), rng.random()
    walk = []
    for _ in range(points):
        x = min(1.0, max(0.0, x + rng.uniform(-JITTER_STEP, JITTER_STEP)))
        y = min(1.0, max(0.0, y + rng.uniform(-JITTER_STEP, JITTER_STEP)))
        walk.append([round(x, 4), round(y, 4)])
    return walk


def fill_whiteboard(board, *, strokes, points, author, pen=smooth_pen, batch=1000):
    """
    `strokes` strokes of `points` points each drawn by `pen`, with their
    events, as if drawn one chunk per stroke.
    """
    from whiteboard.models import BoardEvent, HistoryStep, Stroke
    from whiteboard.points import packed

    rng = random.Random(11)
    with transaction.atomic():
        for start in range(0, strokes, batch):
            stroke_rows, event_rows = [], []
            for number in range(start, min(strokes, start + batch)):
                seq = board.last_seq + number + 1
                walk = pen(rng, points)
                stroke_id = f"late-{number}"
                color = PALETTE[number % len(PALETTE)]
                stroke_rows.append(
                    Stroke(
                        board=board, client_id=stroke_id, author=author, tool="pen", color=color, width=3.0,
                        points_json=json.dumps(walk, separators=(",", ":")), points_packed=packed(walk),
                        point_count=points, chunk_seqs=[seq], created_seq=seq,
                    )
                )
                frame = {
                    "type": "stroke", "seq": seq, "id": stroke_id, "chunk": 0, "user": author.get_username(),
                    "tool": "pen", "color": color, "width": 3.0, "points": walk,
                }
                event_rows.append(BoardEvent(board=board, seq=seq, type="stroke", payload=frame, author=author))
            Stroke.objects.bulk_create(stroke_rows)
            BoardEvent.objects.bulk_create(event_rows)
        HistoryStep.objects.bulk_create(
            HistoryStep(board=board, user=author, kind="draw", stroke_ids=[f"late-{number}"])
            for number in range(strokes)
        )
        board.last_seq += strokes
        board.stored_strokes += strokes
        board.save(update_fields=["last_seq", "stored_strokes"])
    return board


def add_whiteboard_elements(board, *, texts, shapes, author):
    """
    `texts` texts and sticky notes (alternately, a few words on one to three
    lines) and `shapes` styled shapes after what the board holds, with their
    events, as if each was sent whole.
    """
    from whiteboard.models import BoardEvent, HistoryStep, Stroke
    from whiteboard.points import packed

    rng = random.Random(13)
    words = "plan ship call book pick venue bus tell review draft budget agenda notes idea".split()
    rows, events = [], []
    for number in range(texts + shapes):
        seq = board.last_seq + number + 1
        x, y = round(rng.uniform(-1, 2), 4), round(rng.uniform(-1, 2), 4)
        corners = [[x, y], [round(x + rng.uniform(0.02, 0.12), 4), round(y + rng.uniform(0.02, 0.15), 4)]]
        if number < texts:
            tool = "note" if number % 2 else "text"
            props = {
                "text": "\n".join(" ".join(rng.choices(words, k=3)) for _ in range(rng.randint(1, 3))),
                "size": 24, "align": "left", **({"fill": "#fff3bf"} if tool == "note" else {}),
            }
            frame = {"kind": tool, "color": "#1b1e2b", "points": corners, **props}
            kind, width = "text", 0.0
        else:
            tool = ("rect", "ellipse", "diamond", "arrow")[number % 4]
            props = {"dash": "dashed"} if tool == "arrow" else {"fill": PALETTE[number % len(PALETTE)], "opacity": 0.5}
            frame = {"shape": tool, "color": "#1b1e2b", "width": 4.0, "points": corners, **props}
            kind, width = "shape", 4.0
        stroke_id = f"element-{number}"
        rows.append(Stroke(
            board=board, client_id=stroke_id, author=author, tool=tool, color="#1b1e2b", width=width, props=props,
            points_json=json.dumps(corners, separators=(",", ":")), points_packed=packed(corners), point_count=2,
            chunk_seqs=[seq], created_seq=seq, min_x=corners[0][0], min_y=corners[0][1], max_x=corners[1][0],
            max_y=corners[1][1],
        ))
        payload = {"type": kind, "seq": seq, "id": stroke_id, "user": author.get_username(), **frame}
        events.append(BoardEvent(board=board, seq=seq, type=kind, payload=payload, author=author))
    with transaction.atomic():
        Stroke.objects.bulk_create(rows, batch_size=1000)
        BoardEvent.objects.bulk_create(events, batch_size=1000)
        HistoryStep.objects.bulk_create(
            HistoryStep(board=board, user=author, kind="draw", stroke_ids=[row.client_id]) for row in rows
        )
        board.last_seq += len(rows)
        board.stored_strokes += len(rows)
        board.save(update_fields=["last_seq", "stored_strokes"])
    return board


def fill_kanban(board, *, cards, columns, lanes=0, comments_per_card=0, checklist_items=0, attachments=False,
                author=None):
    """
    Replace the board's columns with `columns` columns holding `cards` cards
    between them, in `lanes` swimlanes (in turn) when asked; each card with
    `comments_per_card` comments by `author`,
    one checklist of `checklist_items` items (two fifths ticked) and
    (`attachments`) one attachment record, when asked. The records name a
    file that is not stored: the board's page and messages never read files.
    """
    from kanban.descriptions import render_description
    from kanban.models import Attachment, Card, Checklist, ChecklistItem, Column, Comment, Lane
    from kanban.services import POSITION_GAP

    ticked = checklist_items * 2 // 5
    with transaction.atomic():
        board.columns.all().delete()
        made = Column.objects.bulk_create(
            Column(board=board, title=f"Column {number + 1}", position=number) for number in range(columns)
        )
        made = list(board.columns.order_by("position"))
        board.lanes.all().delete()
        rows = Lane.objects.bulk_create(Lane(board=board, title=f"Lane {number + 1}", position=number)
                                        for number in range(lanes))
        rows = list(board.lanes.order_by("position")) if rows else [None]
        per_column = -(-cards // columns)
        Card.objects.bulk_create(
            (
                Card(
                    board=board, column=made[number // per_column], lane=rows[number % len(rows)],
                    title=f"Card {number + 1}",
                    position=(number % per_column + 1) * POSITION_GAP, comment_count=comments_per_card,
                    checklist_items=checklist_items, checklist_done=ticked, attachment_count=int(attachments),
                )
                for number in range(cards)
            ),
            batch_size=500,
        )
        card_ids = list(board.cards.order_by("pk").values_list("pk", flat=True))
        if comments_per_card:
            body = "Checked the **logs**: nothing new since yesterday."
            html = render_description(body)
            Comment.objects.bulk_create(
                (Comment(board=board, card_id=card_id, author=author, body=f"{body} (note {n + 1} on card {card_id})",
                         body_html=html) for card_id in card_ids for n in range(comments_per_card)),
                batch_size=1000,
            )
        if checklist_items:
            Checklist.objects.bulk_create((Checklist(board=board, card_id=card_id, title="Steps") for card_id in card_ids),
                                          batch_size=1000)
            ChecklistItem.objects.bulk_create(
                (ChecklistItem(board=board, checklist=checklist, text=f"Step {n + 1}", done=n < ticked, position=n)
                 for checklist in Checklist.objects.filter(board=board) for n in range(checklist_items)),
                batch_size=1000,
            )
        if attachments:
            Attachment.objects.bulk_create(
                (Attachment(board=board, card_id=card_id, uploaded_by=author, name="minutes.pdf",
                            content_type="application/pdf", file=f"kanban/{board.pk}/bench/minutes.pdf", size=48_000)
                 for card_id in card_ids),
                batch_size=1000,
            )
    return made
