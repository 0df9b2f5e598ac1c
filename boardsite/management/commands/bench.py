"""`manage.py bench`: the load benchmark (bench/, docs/performance.md)."""

import os
import signal
import sys

from django.core.management.base import BaseCommand, CommandError

from bench.runner import ON_REQUEST, SCENARIOS


class Command(BaseCommand):
    help = "Benchmark the project against a plain ASGI relay and a tutorial-style Channels consumer."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("scenarios", nargs="+", choices=[*SCENARIOS, *ON_REQUEST, "all"], help="what to measure")
        parser.add_argument("--layer", choices=["memory", "redis", "both"], default="memory",
                            help="channel layer of the project and the tutorial consumer (redis uses REDIS_URL)")
        parser.add_argument("--quick", action="store_true", help="a tiny load of each scenario (for the tests)")

    def handle(self, *args, **options):
        from bench.runner import run

        # A plain `kill` (or `timeout`) then stops the servers too, as Ctrl+C does.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
        scenarios = SCENARIOS if "all" in options["scenarios"] else tuple(dict.fromkeys(options["scenarios"]))
        redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
        write = lambda line: (self.stdout.write(line), sys.stdout.flush())  # noqa: E731
        passed = run(
            scenarios=scenarios, layer=options["layer"], quick=options["quick"],
            database_url=os.environ.get("DATABASE_URL", ""), redis_url=redis_url, write=write,
        )
        if not passed:
            raise CommandError("some checks failed (see the table)")
