"""
One benchmark run: its database, users and servers, the scenarios asked
for, and the table. `run()` is what `manage.py bench` calls.
"""

import importlib
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass

from django.conf import settings

from bench import fixtures, report
from bench.servers import UNLIMITED_RATE, Server, base_environment
from bench.session import cookie_header, login
from boardsite.secret_key import use_a_fresh_key_for_this_run

SCENARIO_FUNCTIONS = {
    "fanout": "bench.fanout:run_fanout",
    "latency": "bench.fanout:run_latency",
    "points": "bench.fanout:run_points",
    "latejoin": "bench.latejoin:run_latejoin",
    "kanban": "bench.kanban:run_kanban",
    "markdown": "bench.markdown:run_markdown",
    "export": "bench.export:run_export",
    "undo": "bench.undo:run_undo",
    "drag": "bench.drag:run_drag",
    "panzoom": "bench.panzoom:run_panzoom",
    "idle": "bench.idle:run_idle",
    "join": "bench.join:run_join",
    "soak": "bench.soak:run_soak",
}
ON_REQUEST = ("soak",)  # long: run when named, not part of "all"
SCENARIOS = tuple(name for name in SCENARIO_FUNCTIONS if name not in ON_REQUEST)
LAYERS = ("memory", "redis")


@dataclass(frozen=True)
class Sizes:
    users: int = 10
    processes: int = 2  # load-generator processes holding the receivers
    receivers: int = 50
    messages: int = 400
    fanout_runs: int = 3  # the median of these is reported
    points_per_chunk: int = 10  # about 250 bytes a chunk
    chunks_per_stroke: int = 20
    latency_seconds: float = 5.0
    latency_runs: int = 5  # taken in turns by the relay and the project; the median run is reported
    points_viewers: int = 100
    points_rates: tuple = (600, 1200, 1800, 2400, 3000, 3600, 4800, 6000, 7200, 9600, 12000)
    points_seconds: float = 3.0
    points_fps: int = 60
    late_strokes: int = 10_000
    late_points: int = 50
    export_many_strokes: int = 100_000  # the second export board: many short strokes
    export_many_points: int = 5
    kanban_cards: int = 2000
    kanban_small_cards: int = 200
    kanban_columns: int = 10
    kanban_moves: int = 10
    idle_connections: int = 1000
    idle_per_board: int = 10
    join_connections: int = 1000
    join_boards: int = 100  # the spread-out layout (the other is one board)
    join_in_flight: int = 20  # per load process: connections between their connect and their `synced`
    drag_elements: int = 500
    drag_viewers: int = 20
    drag_seconds: float = 5.0
    timeout: float = 120.0


FULL = Sizes()
QUICK = Sizes(
    users=2, receivers=3, messages=20, fanout_runs=1, latency_seconds=1.0, latency_runs=1, points_viewers=3,
    points_rates=(600,), points_seconds=0.5, late_strokes=200, export_many_strokes=300, kanban_cards=100,
    kanban_small_cards=20, kanban_moves=3,
    idle_connections=20, join_connections=20, join_boards=4, timeout=30.0,
    drag_elements=20, drag_viewers=3, drag_seconds=1.0,
)


class Bench:
    """What the scenarios share: sizes, the database, logged-in users, servers, and the rows so far."""

    def __init__(self, *, layers, quick, database_url, redis_url, write):
        self.layers = layers
        self.quick = quick
        self.sizes = QUICK if quick else FULL
        self.given_database_url = database_url
        self.redis_url = redis_url
        self.write = write
        self.tag = "bench" + secrets.token_hex(3)
        self.work_dir = tempfile.mkdtemp(prefix="boardsite-bench-")
        self.rows = []
        self.servers = []
        self.capacity = {}  # layer -> the project's fan-out deliveries/s
        self.relay_fanout = None  # the plain relay's fan-out deliveries/s (layer-independent)
        self._cookies = None
        self._boards = 0

    # Set-up and tear-down

    def setup(self):
        self.database_url = fixtures.prepare_database(database_url=self.given_database_url, work_dir=self.work_dir)
        self.users = fixtures.make_users(self.sizes.users, tag=self.tag)
        self.owner = self.users[0]
        self.write(f"database: {'DATABASE_URL' if self.given_database_url else self.database_url}; logs in {self.work_dir}")

    def close(self, *, keep_logs):
        """Stop every server; remove the temporary files unless something failed (the servers' logs are there)."""
        for server in self.servers:
            server.stop()
        if self.given_database_url:
            fixtures.delete_users(tag=self.tag)
        if keep_logs:
            self.write(f"servers' logs kept in {self.work_dir}")
        else:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    # Servers

    def environment(self, layer, *, project=True):
        environment = base_environment()
        if layer == "redis":
            environment["REDIS_URL"] = self.redis_url
        if not project:
            environment["BENCH_ROOM"] = f"{self.tag}-room"
        if project:
            environment.update(
                DJANGO_SETTINGS_MODULE="boardsite.settings",
                DATABASE_URL=self.database_url,
                SECRET_KEY=settings.SECRET_KEY,
                DEBUG="False",
                LOG_LEVEL="WARNING",
                # No collectstatic in a benchmark run: plain static URLs instead of the manifest's.
                STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage",
                **UNLIMITED_RATE,
            )
        return environment

    def start(self, kind, layer="memory"):
        """A started server: "project", "relay" (no layer) or "tutorial"."""
        application = {
            "project": "boardsite.asgi:application",
            "relay": "bench.relay:application",
            "tutorial": "bench.tutorial:application",
        }[kind]
        server = Server(
            name=kind if kind == "relay" else f"{kind}-{layer}",
            application=application,
            environment=self.environment(layer, project=kind == "project"),
            log_dir=self.work_dir,
        )
        self.servers.append(server)
        return server.start()

    def stop(self, *servers):
        for server in servers:
            server.stop()
            self.servers.remove(server)

    # Users and boards

    def cookies(self, server):
        """Each user's browser cookies, logged in once through `server` (sessions live in the shared database)."""
        if self._cookies is None:
            started = time.monotonic()
            self._cookies = [
                login(server.http_url, user.get_username(), fixtures.PASSWORD) for user in self.users
            ]
            self.write(f"logged {len(self.users)} users in in {time.monotonic() - started:.1f} s")
        return self._cookies

    def headers(self, server, number):
        """The headers of simulated user number `number` (users take turns)."""
        cookies = self.cookies(server)
        return {"Cookie": cookie_header(cookies[number % len(cookies)])}

    def board_name(self, what):
        self._boards += 1
        return f"{self.tag} {what} {self._boards}"

    # Rows

    def add(self, scenario, server, layer, metric, value, *, baseline=None, check=""):
        row = report.Row(scenario, server, layer, metric, value, report.ratio(value, baseline), check)
        self.rows.append(row)
        self.write(report.table([row]).splitlines()[-1])
        return row


def run(*, scenarios, layer, quick, database_url, redis_url, write=print):
    """Run `scenarios` on the layers chosen by `layer` ("memory", "redis" or "both"); returns True if every check passed."""
    layers = LAYERS if layer == "both" else (layer,)
    # Its servers run with DEBUG off, which refuses the development key.
    use_a_fresh_key_for_this_run()
    bench = Bench(layers=layers, quick=quick, database_url=database_url, redis_url=redis_url, write=write)
    started = time.monotonic()
    load_before = report.load_average()
    failures = []
    try:
        bench.setup()
        for scenario in scenarios:
            write(f"\n== {scenario}")
            try:
                module_name, function_name = SCENARIO_FUNCTIONS[scenario].split(":")
                getattr(importlib.import_module(module_name), function_name)(bench)
            except Exception as error:  # report it, go on with the next scenario
                failures.append(f"{scenario}: {type(error).__name__}: {error}")
                bench.add(scenario, "-", "-", "scenario", "did not finish", check=f"FAIL: {type(error).__name__}: {error}")
    finally:
        bench.close(keep_logs=bool(failures) or any(row.check.startswith("FAIL") for row in bench.rows))
    write("\n== results")
    write(f"command: {report.command_line()}")
    write(f"machine: {report.machine()}; load average {load_before} before the run, {report.load_average()} after")
    write(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; took {time.monotonic() - started:.0f} s")
    write(report.table(bench.rows))
    failed = [row for row in bench.rows if row.check.startswith("FAIL")]
    write(f"\nchecks: {len([row for row in bench.rows if row.check == 'OK'])} OK, {len(failed)} FAIL")
    return not failed
