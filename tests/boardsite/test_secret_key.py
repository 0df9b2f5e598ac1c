"""
A server with DEBUG off starts only with a SECRET_KEY of the site's own, and
`check --deploy` fails on a missing or published one; `make run` (DEBUG on)
still starts without one.
"""

import os
import subprocess
import sys

from django.conf import settings
from django.test import SimpleTestCase

from boardsite.secret_key import DEVELOPMENT_KEY, unsafe_key_reason
from tests.boardsite.test_deploy_check import env_example_values

# Imports the ASGI application as daphne does when it starts.
START = "import boardsite.asgi; print('started')"
REAL_KEY = "a-key-of-this-site-only-" + "x7Kp2Qw9" * 6


def start_server(**environment):
    inherited = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL")}
    return subprocess.run(
        [sys.executable, "-c", START],
        env={**inherited, "DJANGO_SETTINGS_MODULE": "boardsite.settings", **environment},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


class ServerStartTests(SimpleTestCase):
    def test_debug_off_refuses_a_missing_or_published_key(self):
        placeholder = env_example_values()["SECRET_KEY"]
        for environment in ({}, {"SECRET_KEY": ""}, {"SECRET_KEY": placeholder}, {"SECRET_KEY": DEVELOPMENT_KEY}):
            with self.subTest(environment=environment):
                result = start_server(DEBUG="false", **environment)
                self.assertNotEqual(result.returncode, 0)
                self.assertNotIn("started", result.stdout)
                self.assertIn("ImproperlyConfigured", result.stderr)
                self.assertIn("Boardsite will not start. Set SECRET_KEY", result.stderr)

    def test_debug_off_starts_with_a_key_of_its_own(self):
        result = start_server(DEBUG="false", SECRET_KEY=REAL_KEY)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("started", result.stdout)

    def test_make_run_starts_without_a_key(self):
        result = start_server(DEBUG="1")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("started", result.stdout)

    def test_a_real_daphne_with_the_placeholder_exits_instead_of_serving(self):
        daphne = os.path.join(os.path.dirname(sys.executable), "daphne")
        inherited = {key: value for key, value in os.environ.items() if key not in ("DEBUG", "DATABASE_URL", "REDIS_URL")}
        result = subprocess.run(
            [daphne, "-b", "127.0.0.1", "-p", "0", "boardsite.asgi:application"],
            env={**inherited, "DEBUG": "false", "SECRET_KEY": env_example_values()["SECRET_KEY"]},
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SECRET_KEY is a published placeholder", result.stderr)


class KeyTests(SimpleTestCase):
    def test_env_example_placeholder_is_known(self):
        self.assertEqual(unsafe_key_reason(key=env_example_values()["SECRET_KEY"]), "SECRET_KEY is a published placeholder")

    def test_this_test_run_signs_with_a_fresh_key(self):
        # boardsite.test_runner: the servers tests start have DEBUG off.
        self.assertIsNone(unsafe_key_reason(key=settings.SECRET_KEY))
        self.assertEqual(os.environ["SECRET_KEY"], settings.SECRET_KEY)
