"""
Soak: many people on many boards for a while, at human rates plus bursts,
against one project server with the default rate limits.

Half the boards are whiteboards, half kanban boards. A whiteboard client
draws a stroke (a chunk per animation frame for half a second) every 3 to
10 s; a kanban client moves one of its own cards every 4 to 12 s. Every
`burst_every` seconds, everyone on one board acts at once (a one-second
stroke, or three moves back to back). Each client checks that every command
is acked, and that it received every seq of its board exactly once, counting
its own acks; the database is checked against the acks; the server's memory
is sampled every second, and should be flat after the warm-up.
"""

import asyncio
import json
import random
import time
from dataclasses import dataclass

import websockets
from django.contrib.auth import get_user_model

from bench import fixtures
from bench.servers import UNLIMITED_RATE, Server
from bench.session import cookie_header, login

SETTLE_TIMEOUT = 60


@dataclass(frozen=True)
class SoakSizes:
    clients: int = 200
    boards: int = 10
    users: int = 40  # each with a few tabs on one board (client n is user n % users, on board n % boards)
    seconds: float = 60.0
    warmup: float = 15.0
    burst_every: float = 6.0
    cards_per_client: int = 2


FULL = SoakSizes()
QUICK = SoakSizes(clients=12, boards=2, users=4, seconds=6.0, warmup=2.0, burst_every=2.0)


class SoakClient:
    def __init__(self, *, url, origin, headers, kind, number, rng):
        self.url, self.origin, self.headers = url, origin, headers
        self.kind, self.number, self.rng = kind, number, rng
        self.sent = {}  # ref -> message, until answered
        self.acked = {}  # ref -> seq
        self.errors = []
        self.seqs = []  # every seq received: events and own acks
        self.first_seq = None
        self.cards = {}  # own card id -> version (kanban)
        self.columns = []
        self.strokes = 0
        self.changed = asyncio.Event()

    async def open(self, cards=()):
        self.socket = await websockets.connect(
            self.url, origin=self.origin, additional_headers=self.headers, max_size=2**24, open_timeout=30
        )
        hello = json.loads(await self.socket.recv())
        self.first_seq = hello["seq"]
        if self.kind == "kanban":
            board = json.loads(await self.socket.recv())
            self.columns = [column["id"] for column in board["columns"]]
            every_card = {card["id"]: card["version"] for column in board["columns"] for card in column["cards"]}
            self.cards = {card: every_card[card] for card in cards}
            self.first_seq = board["seq"]
        await self.socket.send(json.dumps({"type": "sync", "since": self.first_seq, "ref": "sync"}))
        self.reader = asyncio.create_task(self.read())

    async def read(self):
        async for text in self.socket:
            frame = json.loads(text)
            kind = frame["type"]
            if kind in ("ack", "error") and frame.get("ref") in self.sent:
                message = self.sent.pop(frame["ref"])
                if kind == "ack":
                    self.acked[frame["ref"]] = frame["seq"]
                    if frame.get("seq") is not None:
                        self.seqs.append(frame["seq"])
                    if message["type"] == "card.move":
                        self.cards[message["card"]] = frame["card"]["version"]
                else:
                    self.errors.append(frame)
            elif kind == "error":
                self.errors.append(frame)
            elif frame.get("seq") is not None and kind not in ("hello", "board", "synced"):
                self.seqs.append(frame["seq"])
            self.changed.set()

    async def send(self, ref, message):
        self.sent[ref] = message
        await self.socket.send(json.dumps({**message, "ref": ref}))

    async def draw(self, seconds):
        stroke_id = f"c{self.number}s{self.strokes}"
        self.strokes += 1
        x, y = self.rng.random(), self.rng.random()
        for chunk in range(int(seconds * 60)):
            points = []
            for _ in range(3):
                x = min(1.0, max(0.0, x + self.rng.uniform(-0.01, 0.01)))
                y = min(1.0, max(0.0, y + self.rng.uniform(-0.01, 0.01)))
                points.append([round(x, 4), round(y, 4)])
            await self.send(f"{stroke_id}-{chunk}", {
                "type": "stroke", "id": stroke_id, "chunk": chunk, "tool": "pen", "color": "#1f6feb",
                "width": 3, "points": points,
            })
            await asyncio.sleep(1 / 60)

    async def move(self, step):
        card = self.rng.choice(sorted(self.cards))
        try:
            await self.wait_until(lambda: not self.sent, SETTLE_TIMEOUT)  # its version is known once the last is acked
        except TimeoutError:
            return  # the unanswered command is reported
        await self.send(f"m{step}", {
            "type": "card.move", "card": card, "version": self.cards[card],
            "column": self.rng.choice(self.columns), "index": 0,
        })

    async def act(self, *, burst):
        if self.kind == "whiteboard":
            await self.draw(1.0 if burst else 0.5)
        else:
            for _ in range(3 if burst else 1):
                await self.move(len(self.acked) + len(self.sent) + len(self.errors))

    async def play(self, *, started, seconds, bursts):
        """Act at human intervals, and at each of `bursts` (times since `started`), until `seconds` have passed."""
        pending_bursts = sorted(bursts)
        low, high = (3, 10) if self.kind == "whiteboard" else (4, 12)
        next_action = started + self.rng.uniform(0, high)
        while True:
            now = time.monotonic()
            if now - started >= seconds:
                return
            if pending_bursts and started + pending_bursts[0] <= now:
                pending_bursts.pop(0)
                await self.act(burst=True)
            elif next_action <= now:
                await self.act(burst=False)
                next_action = time.monotonic() + self.rng.uniform(low, high)
            else:
                wake = min([next_action, started + seconds] + [started + b for b in pending_bursts[:1]])
                await asyncio.sleep(max(0.0, min(wake - now, 0.5)))

    async def wait_until(self, condition, timeout):
        async def satisfied():
            while not condition():
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(satisfied(), timeout)

    def seen_up_to(self, last_seq):
        return len(set(self.seqs)) >= last_seq - self.first_seq

    async def close(self):
        self.reader.cancel()
        await self.socket.close()


def rss_sampler(server, samples, stop):
    async def sample():
        started = time.monotonic()
        while not stop.is_set():
            samples.append((time.monotonic() - started, server.rss_bytes()))
            await asyncio.sleep(1)

    return sample()


async def soak(*, server, boards, cards, headers, sizes, rng):
    clients = []
    for number in range(sizes.clients):
        board = boards[number % len(boards)]
        client = SoakClient(
            url=f"{server.ws_url}/ws/{board['kind']}/{board['slug']}/", origin=server.http_url,
            headers=headers(number), kind=board["kind"], number=number, rng=random.Random(rng.random()),
        )
        await client.open(cards.get(number, ()))
        client.board = board
        clients.append(client)
    bursts = {}
    for number in range(int(sizes.seconds // sizes.burst_every)):
        bursts.setdefault(number % len(boards), []).append(sizes.burst_every * (number + 0.5))
    samples, stop = [], asyncio.Event()
    sampler = asyncio.create_task(rss_sampler(server, samples, stop))
    started = time.monotonic()
    await asyncio.gather(*(
        client.play(started=started, seconds=sizes.seconds, bursts=bursts.get(boards.index(client.board), []))
        for client in clients
    ))
    for client in clients:
        try:
            await client.wait_until(lambda client=client: not client.sent, SETTLE_TIMEOUT)
        except TimeoutError:
            pass  # reported as unanswered
    stop.set()
    await sampler
    took = time.monotonic() - started
    last_seqs = await asyncio.to_thread(stored_last_seqs, boards)
    await catch_up(clients, last_seqs)
    for client in clients:
        await client.close()
    return clients, samples, took, last_seqs


def run_soak(bench, sizes=None):
    sizes = sizes or (QUICK if bench.quick else FULL)
    try:
        for layer in bench.layers:
            soak_on(bench, layer, sizes, random.Random(2026))
    finally:
        if bench.given_database_url:
            fixtures.delete_users(tag=f"{bench.tag}soak")


def soak_on(bench, layer, sizes, rng):
    """One project server on `layer`, with the default rate limits, and the soak against it."""
    environment = bench.environment(layer)
    for name in UNLIMITED_RATE:  # the defaults: people at human rates must not be throttled
        environment.pop(name)
    server = Server(name=f"soak-{layer}", application="boardsite.asgi:application", environment=environment,
                    log_dir=bench.work_dir)
    bench.servers.append(server)
    server.start()
    try:
        boards, cards = make_boards(bench, sizes)
        headers = soak_users(bench, server, sizes)
        clients, samples, took, last_seqs = asyncio.run(
            soak(server=server, boards=boards, cards=cards, headers=lambda n: headers[n % len(headers)],
                 sizes=sizes, rng=rng)
        )
        report_soak(bench, layer, sizes, clients, samples, took, boards, last_seqs)
        alive = server.process.poll() is None
        if not alive:
            bench.add("soak", "project", layer, "server", "died", check="FAIL: the server died")
    finally:
        bench.stop(server)


def soak_users(bench, server, sizes):
    """
    The soak's own users, logged in through the server (once per layer): with
    the benchmark's 10 users, each board would be one person in 20 tabs, and
    a burst of 20 tabs drawing at once is more than the per-user limit is for.
    """
    tag = f"{bench.tag}soak"
    if not get_user_model().objects.filter(username__startswith=f"{tag}-user").exists():
        fixtures.make_users(sizes.users, tag=tag)
    users = get_user_model().objects.filter(username__startswith=f"{tag}-user").order_by("id")
    started = time.monotonic()
    headers = [
        {"Cookie": cookie_header(login(server.http_url, user.get_username(), fixtures.PASSWORD))} for user in users
    ]
    bench.write(f"logged {len(headers)} soak users in in {time.monotonic() - started:.1f} s")
    return headers


def make_boards(bench, sizes):
    """`sizes.boards` boards, half of each app; each kanban client owns `cards_per_client` cards on its board."""
    from kanban import services as kanban_services

    boards = []
    for number in range(sizes.boards):
        if number % 2 == 0:
            board = fixtures.whiteboard_board(name=bench.board_name("soak"), owner=bench.owner)
            boards.append({"kind": "whiteboard", "slug": board.slug, "model": board})
        else:
            board = fixtures.kanban_board(name=bench.board_name("soak"), owner=bench.owner)
            boards.append({"kind": "kanban", "slug": board.slug, "model": board})
    cards = {}
    for number in range(sizes.clients):
        board = boards[number % len(boards)]
        if board["kind"] == "kanban":
            column = board["model"].columns.order_by("position").first()
            cards[number] = [
                kanban_services.card_create(board=board["model"], column_id=column.pk, title=f"card {number}.{n}",
                                            actor=bench.owner).details["card"]["id"]
                for n in range(sizes.cards_per_client)
            ]
    return boards, cards


def stored_last_seqs(boards):
    """Read in a worker thread; its database connection is closed before it returns."""
    from django.db import connection

    try:
        return {board["slug"]: type(board["model"]).objects.get(pk=board["model"].pk).last_seq for board in boards}
    finally:
        connection.close()


def report_soak(bench, layer, sizes, clients, samples, took, boards, last_seqs):
    from kanban.models import BoardEvent as KanbanEvent
    from whiteboard.models import BoardEvent as WhiteboardEvent

    sent = sum(len(client.acked) + len(client.errors) for client in clients)
    errors = [error for client in clients for error in client.errors]
    lost = duplicated = 0
    for client in clients:
        expected = set(range(client.first_seq + 1, last_seqs[client.board["slug"]] + 1))
        lost += len(expected - set(client.seqs))
        duplicated += len(client.seqs) - len(set(client.seqs))
    gaps = 0
    stored_commands = 0
    for board in boards:
        model = WhiteboardEvent if board["kind"] == "whiteboard" else KanbanEvent
        seqs = list(model.objects.filter(board=board["model"]).order_by("seq").values_list("seq", flat=True))
        gaps += len(set(range(1, last_seqs[board["slug"]] + 1)) - set(seqs))
        kinds = ("stroke",) if board["kind"] == "whiteboard" else ("card.moved",)
        stored_commands += model.objects.filter(board=board["model"], type__in=kinds).count()
    acked_commands = sum(1 for client in clients for ref in client.acked if ref != "sync")
    warm = [rss for at, rss in samples if at >= sizes.warmup]
    start_rss, end_rss, peak_rss = (warm[0], warm[-1], max(warm)) if warm else (0, 0, 0)
    growth = (end_rss - start_rss) / 1e6
    flat = growth < max(10.0, start_rss / 1e6 * 0.05)

    def ok(condition, failure):
        return "OK" if condition else f"FAIL: {failure}"

    where = ("soak", "project", layer)
    bench.add(*where, "clients / boards / s", f"{len(clients)} / {len(boards)} / {took:.0f}")
    bench.add(*where, "commands acked", acked_commands)
    unanswered = [ref for client in clients for ref in client.sent]
    bench.add(*where, "commands never answered", len(unanswered), check=ok(not unanswered, f"{unanswered[:5]}"))
    bench.add(*where, "errors", len(errors), check=ok(not errors, f"{errors[:2]}"))
    bench.add(*where, "stored events of the acked commands", stored_commands,
              check=ok(stored_commands == acked_commands, "the database and the acks disagree"))
    bench.add(*where, "seqs lost (all clients)", lost, check=ok(lost == 0, f"{lost} missed"))
    bench.add(*where, "seqs duplicated (all clients)", duplicated, check=ok(duplicated == 0, f"{duplicated} twice"))
    bench.add(*where, "gaps in stored seqs", gaps, check=ok(gaps == 0, f"{gaps} gaps"))
    bench.add(*where, "RSS MB after warm-up / end / peak",
              f"{start_rss / 1e6:.1f} / {end_rss / 1e6:.1f} / {peak_rss / 1e6:.1f}")
    every_10_s = [f"{rss / 1e6:.0f}" for at, rss in samples if int(at) % 10 == 0 and at - int(at) < 1][:12]
    bench.add(*where, "RSS MB every 10 s", " ".join(every_10_s))
    bench.add(*where, "RSS growth after warm-up, MB", round(growth, 1), check=ok(flat, "memory kept growing"))
    return sent


async def catch_up(clients, last_seqs):
    """Give every client the time to receive its board's last events (bounded)."""
    for client in clients:
        last = last_seqs[client.board["slug"]]
        try:
            await client.wait_until(lambda client=client, last=last: client.seen_up_to(last), SETTLE_TIMEOUT)
        except TimeoutError:
            pass  # counted as lost
