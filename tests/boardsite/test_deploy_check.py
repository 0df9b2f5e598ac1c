import ast
import os
import re
import secrets
import subprocess
import sys

from django.conf import settings
from django.test import SimpleTestCase


def env_example_values():
    values = {}
    for line in (settings.BASE_DIR / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


class DeployCheckTests(SimpleTestCase):
    def run_deploy_check(self, fail_level="WARNING", **overrides):
        # Browser test modules set DJANGO_ALLOW_ASYNC_UNSAFE in this process; production never does.
        inherited = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
        env = {**inherited, **env_example_values(), **overrides}
        # The check reads settings only; no database connection is made.
        return subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", fail_level],
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def test_production_values_from_env_example_pass_check_deploy_with_a_key_of_its_own(self):
        result = self.run_deploy_check(SECRET_KEY=secrets.token_urlsafe(50))
        self.assertEqual(result.returncode, 0, result.stderr + result.stdout)

    def test_the_placeholder_or_a_missing_key_fails_check_deploy(self):
        for key in (env_example_values()["SECRET_KEY"], ""):
            with self.subTest(key=key):
                # Error level: the check fails at its default --fail-level too.
                result = self.run_deploy_check(SECRET_KEY=key, fail_level="ERROR")
                self.assertNotEqual(result.returncode, 0)
                self.assertIn("boardsite.E001", result.stderr + result.stdout)

    def test_development_defaults_do_not_pass(self):
        env = {key: value for key, value in env_example_values().items() if key.startswith("TWILIO")}
        result = self.run_deploy_check(**env, DEBUG="true", SECURE_SSL_REDIRECT="false")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("security.W018", result.stderr + result.stdout)


class EnvExampleTests(SimpleTestCase):
    def test_env_example_lists_every_setting_boardsite_reads(self):
        tree = ast.parse((settings.BASE_DIR / "boardsite" / "settings.py").read_text())
        read = {
            node.args[0].value
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "env"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        }
        # ... and what the container image's entry point and compose.yaml read.
        read |= set(re.findall(r"\$\{([A-Z_]+)", (settings.BASE_DIR / "compose.yaml").read_text()))
        read |= set(re.findall(r"\$\{([A-Z_]+):-", (settings.BASE_DIR / "deploy" / "docker-entrypoint.sh").read_text()))
        self.assertGreater(len(read), 30)
        example = (settings.BASE_DIR / ".env.example").read_text()
        missing = sorted(name for name in read if not re.search(rf"^#? ?{name}=", example, flags=re.M))
        self.assertEqual(missing, [])
