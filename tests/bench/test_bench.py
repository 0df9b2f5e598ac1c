"""
`manage.py bench --quick` runs end to end on a tiny load: real daphne
processes, logged-in clients, every scenario, correctness checked. Timings
are printed, never asserted.
"""

import os
import subprocess
import sys

from django.conf import settings
from django.test import SimpleTestCase

from bench.runner import QUICK
from tests.support import require_redis

QUICK_TIMEOUT = 240


def run_bench(*arguments, redis_url=None):
    # Its own temporary SQLite database, never the one the tests were given.
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    if redis_url:
        env["REDIS_URL"] = redis_url
    return subprocess.run(
        [sys.executable, "manage.py", "bench", *arguments, "--quick"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=QUICK_TIMEOUT,
    )


def result_rows(output):
    """The final table's rows as dicts (scenario, server, layer, metric, value, vs relay, check)."""
    lines = output.split("\n== results\n", 1)[1].splitlines()
    start = next(number for number, line in enumerate(lines) if line.startswith("scenario"))
    header = [cell.strip() for cell in lines[start].split("|")]
    rows = []
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        cells = [cell.strip() for cell in line.split("|")]
        rows.append(dict(zip(header, cells + [""] * (len(header) - len(cells)))))
    return rows


class QuickBenchTests(SimpleTestCase):
    def assert_ran(self, completed):
        # A failed check makes the exit status 1: name its row, not only the output's end.
        rows = result_rows(completed.stdout) if "\n== results\n" in completed.stdout else []
        failed = [row for row in rows if row["check"].startswith("FAIL")]
        self.assertEqual(completed.returncode, 0,
                         f"failed checks: {failed}\n{completed.stdout[-3000:]}{completed.stderr[-3000:]}")
        self.assertIn("machine: ", completed.stdout)
        self.assertIn("command: ", completed.stdout)
        self.assertEqual(failed, [])
        return rows

    def test_every_scenario_on_the_memory_layer(self):
        rows = self.assert_ran(run_bench("all"))
        fanout = {row["server"]: row for row in rows if row["scenario"] == "fanout"}
        self.assertEqual(set(fanout), {"plain ASGI relay", "tutorial consumer", "project"})
        for row in fanout.values():
            self.assertEqual(row["check"], "OK", row)
            self.assertEqual(row["metric"], "deliveries/s")
        self.assertEqual({row["scenario"] for row in rows},
                         {"fanout", "latency", "points", "latejoin", "kanban", "markdown", "export", "undo", "idle", "join",
                          "drag", "panzoom"})
        # A drag of a selection reaches every viewer, every frame.
        drag = [row for row in rows if row["scenario"] == "drag"]
        self.assertEqual([row["check"] for row in drag], ["OK"] * 4, drag)
        # Clear, undo, redo, restore and revert: every ack and event under 10 KB.
        undo = [row for row in rows if row["scenario"] == "undo" and row["check"]]
        self.assertTrue(len(undo) == 12 and all(row["check"] == "OK" for row in undo), undo)
        # The export is made within its bounds (time and size), and revalidated with a 304, on both boards.
        export = [row for row in rows if row["scenario"] == "export"]
        self.assertEqual([row["check"] for row in export].count("OK"), 4, export)
        # The adversarial description is acked, the move on another board too, and the preview answers.
        markdown = [row for row in rows if row["scenario"] == "markdown" and row["layer"] == "memory"]
        self.assertEqual([row["check"] for row in markdown], ["OK", "OK", "OK"], markdown)
        latejoin = [row for row in rows if row["scenario"] == "latejoin"]
        self.assertTrue(latejoin and all(row["check"] == "OK" for row in latejoin), latejoin)
        latency = [row for row in rows if row["scenario"] == "latency"]
        self.assertEqual({row["server"] for row in latency}, {"plain ASGI relay", "project"})
        percentiles = [row for row in latency if row["metric"].startswith(("p50 ms", "p99 ms"))]
        self.assertEqual(len(percentiles), 4, latency)
        self.assertTrue(all(row["check"] == "OK" for row in percentiles), latency)
        # Linux counts what each server's threads did during the runs; a threaded server switches threads in.
        switches = {row["server"]: row for row in latency if row["metric"].startswith("thread switch-ins per run")}
        self.assertEqual(set(switches), {"plain ASGI relay", "project"}, latency)
        self.assertGreater(int(switches["project"]["value"].replace(",", "")), 0)
        self.assertEqual(switches["plain ASGI relay"]["vs relay"], "1.00x")
        self.assert_joined(rows)

    def test_fanout_on_redis_with_two_project_processes(self):
        redis_url = require_redis()
        rows = self.assert_ran(run_bench("fanout", "--layer", "redis", redis_url=redis_url))
        fanout = {row["server"]: row for row in rows if row["scenario"] == "fanout"}
        self.assertEqual(set(fanout), {"plain ASGI relay", "tutorial consumer", "project", "project, 2 processes"})
        for row in fanout.values():
            self.assertEqual(row["check"], "OK", row)
        self.assertEqual(fanout["project, 2 processes"]["layer"], "redis")

    def assert_joined(self, rows):
        """The join storm's rows: both servers, both layouts, every connection synced (assert_ran has no FAIL)."""
        count, layouts = QUICK.join_connections, ("one board", f"{QUICK.join_boards} boards")
        synced = {
            (row["server"], row["metric"].rsplit(", ", 1)[1])
            for row in rows if row["metric"].startswith(f"s until {count} connections synced")
        }
        self.assertEqual(synced, {(server, layout) for server in ("plain ASGI relay", "project") for layout in layouts})
        frames = {
            (row["server"], row["metric"].rsplit(", ", 1)[1]): int(row["value"].replace(",", ""))
            for row in rows if row["metric"].startswith("frames received until the last synced")
        }
        for layout in layouts:
            # The relay answers each `sync` once; a project client gets at least its hello and its synced.
            self.assertEqual(frames[("plain ASGI relay", layout)], count)
            self.assertGreaterEqual(frames[("project", layout)], 2 * count)
