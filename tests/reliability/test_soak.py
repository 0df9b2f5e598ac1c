"""
The soak scenario, short (`manage.py bench soak --quick`: 12 clients on 2
boards for 6 s, with bursts): nothing lost, nothing duplicated, seqs
gapless, the database agrees with the acks, memory flat after the warm-up.
The full run (200 clients, 10 boards, 60 s) is `manage.py bench soak`;
its figures are in docs/reliability.md.
"""

from django.test import SimpleTestCase

from tests.bench.test_bench import result_rows, run_bench


class QuickSoakTests(SimpleTestCase):
    def test_the_short_soak_loses_nothing_and_doubles_nothing(self):
        completed = run_bench("soak")
        self.assertEqual(completed.returncode, 0, completed.stdout[-3000:] + completed.stderr[-3000:])
        rows = {row["metric"]: row for row in result_rows(completed.stdout) if row["scenario"] == "soak"}
        for metric in ("errors", "stored events of the acked commands", "seqs lost (all clients)",
                       "seqs duplicated (all clients)", "gaps in stored seqs", "RSS growth after warm-up, MB"):
            self.assertEqual(rows[metric]["check"], "OK", rows[metric])
        self.assertGreater(int(rows["commands acked"]["value"].replace(",", "")), 100)
