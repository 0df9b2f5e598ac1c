"""
The account forms under attack: wrong passwords lock one username from one
address (django-axes, on the site's login and the admin's), sign-ups are
limited per address, and each refusal tells the person how long to wait.
"""

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from io import StringIO

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import F
from django.http import HttpRequest
from django.test import SimpleTestCase, TestCase, override_settings

from boardsite.throttling import wait_text
from tests.support import PASSWORD, make_user, require_redis, use_a_fresh_cache

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
SIGNUP = "/accounts/signup/"
WRONG_PASSWORD = "Please enter a correct username and password"
LOCKED = "Too many wrong passwords"


class LoginLockoutTests(TestCase):
    """With the configured limit and cool-off (LOGIN_FAILURE_LIMIT, LOGIN_COOLOFF_SECONDS)."""

    limit = settings.AXES_FAILURE_LIMIT
    cool_off = settings.AXES_COOLOFF_TIME

    @classmethod
    def setUpTestData(cls):
        make_user("alice")
        make_user("bob")
        make_user("admin", is_staff=True, is_superuser=True)

    def attempt(self, password, *, username="alice", ip="127.0.0.1", path=LOGIN, client=None, **headers):
        client = client or self.client
        return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip, **headers)

    def fail(self, times, **kwargs):
        """`times` wrong passwords, each answered as a normal wrong password; the last response."""
        for _ in range(times):
            response = self.attempt("wrong password", **kwargs)
            self.assertEqual(response.status_code, 200)
        return response

    def lock(self, **kwargs):
        self.fail(self.limit - 1, **kwargs)
        response = self.attempt("wrong password", **kwargs)
        self.assertLocked(response)
        return response

    def assertLocked(self, response):
        self.assertEqual(response.status_code, 429)
        self.assertContains(response, LOCKED, status_code=429)
        wait = wait_text(self.cool_off.total_seconds())
        self.assertContains(response, f'Please wait <strong class="wait">{wait}</strong>, then try again.', status_code=429)
        self.assertContains(response, "even the right password is refused", status_code=429)
        self.assertEqual(response["Retry-After"], str(int(self.cool_off.total_seconds())))
        self.assertIn("no-cache", response["Cache-Control"])

    def assertLoggedIn(self, response, client=None):
        self.assertEqual(response.status_code, 302, response.content[:300])
        self.assertIn("_auth_user_id", (client or self.client).session)

    def test_wrong_passwords_lock_that_username_from_that_address_even_for_the_right_password(self):
        response = self.fail(self.limit - 1)
        self.assertContains(response, WRONG_PASSWORD)
        self.assertLocked(self.attempt("wrong password"))
        response = self.attempt(PASSWORD)
        self.assertLocked(response)
        self.assertContains(response, "<strong>alice</strong>", status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)
        # The form itself still opens, to say nothing of a lock to someone who only looks.
        self.assertEqual(self.client.get(LOGIN).status_code, 200)

    def test_another_address_and_another_username_are_not_locked(self):
        self.lock(ip="203.0.113.9")
        self.assertLoggedIn(self.attempt(PASSWORD, ip="198.51.100.4"))
        other = self.client_class()
        self.assertLoggedIn(self.attempt(PASSWORD, username="bob", ip="203.0.113.9", client=other), other)

    def test_x_forwarded_for_does_not_choose_the_address(self):
        for number in range(self.limit):
            self.attempt("wrong password", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")
        self.assertLocked(self.attempt(PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200"))

    def test_the_lock_ends_when_the_cool_off_has_passed_since_the_last_try(self):
        self.lock()
        # Time passing, as the lock sees it: the attempts move back in time.
        AccessAttempt.objects.update(attempt_time=F("attempt_time") - self.cool_off + timedelta(minutes=1))
        self.assertLocked(self.attempt(PASSWORD))  # a minute short, and this try starts the wait again
        AccessAttempt.objects.update(attempt_time=F("attempt_time") - self.cool_off + timedelta(minutes=1))
        self.assertLocked(self.attempt(PASSWORD))
        AccessAttempt.objects.update(attempt_time=F("attempt_time") - self.cool_off - timedelta(seconds=1))
        self.assertLoggedIn(self.attempt(PASSWORD))

    def test_an_administrator_can_lift_a_lock(self):
        self.lock()
        out = StringIO()
        call_command("axes_reset_username", "alice", stdout=out)
        self.assertIn("attempts removed", out.getvalue())
        self.assertLoggedIn(self.attempt(PASSWORD))

    def test_a_successful_login_starts_the_count_again(self):
        self.fail(self.limit - 1)
        self.assertLoggedIn(self.attempt(PASSWORD))
        self.client.post("/accounts/logout/")
        response = self.fail(self.limit - 1)
        self.assertContains(response, WRONG_PASSWORD)
        self.assertLoggedIn(self.attempt(PASSWORD))

    def test_the_admin_login_is_locked_too_and_shares_the_count(self):
        response = self.lock(username="admin", path=ADMIN_LOGIN)
        self.assertContains(response, f'<a href="{ADMIN_LOGIN}">Back to the log-in form</a>', status_code=429)
        self.assertLocked(self.attempt(PASSWORD, username="admin", path=ADMIN_LOGIN))
        self.assertLocked(self.attempt(PASSWORD, username="admin", path=LOGIN))
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_the_locked_page_shows_the_username_as_text(self):
        response = self.lock(username="<b>eve</b>")
        self.assertContains(response, "&lt;b&gt;eve&lt;/b&gt;", status_code=429)
        self.assertNotContains(response, "<b>eve</b>", status_code=429)

    async def test_the_lock_holds_under_asgi(self):
        """daphne runs the middleware asynchronously, where axes builds the page by another path."""
        for _ in range(self.limit):
            await self.async_client.post(LOGIN, {"username": "alice", "password": "wrong"})
        response = await self.async_client.post(LOGIN, {"username": "alice", "password": PASSWORD})
        self.assertLocked(response)

    def test_client_login_works_when_given_a_request(self):
        """axes refuses authenticate() without a request, so a bare client.login() cannot bypass it."""
        self.assertTrue(self.client.login(request=HttpRequest(), username="alice", password=PASSWORD))
        self.assertIn("_auth_user_id", self.client.session)


class SignupLimitTests(TestCase):
    """SIGNUP_RATE_LIMIT attempts per address, counted in Django's cache (a fresh key prefix per test)."""

    limit = 3

    def cache(self):
        return None  # the run's own: Redis with REDIS_URL, process memory otherwise

    def setUp(self):
        use_a_fresh_cache(self, self.cache())
        overrides = override_settings(SIGNUP_RATE_LIMIT=self.limit, SIGNUP_RATE_WINDOW_SECONDS=3600)
        overrides.enable()
        self.addCleanup(overrides.disable)

    def sign_up(self, username, *, password="a-long-unusual-passphrase", ip="127.0.0.1"):
        return self.client.post(SIGNUP, {"username": username, "password1": password, "password2": password}, REMOTE_ADDR=ip)

    def test_attempts_past_the_limit_are_refused_with_how_long_to_wait(self):
        for number in range(self.limit):
            response = self.sign_up(f"weak{number}", password="12345678")
            self.assertContains(response, "This password is too common.")
        response = self.sign_up("newbie")
        self.assertEqual(response.status_code, 429)
        self.assertContains(response, "Too many sign-up attempts", status_code=429)
        self.assertContains(response, 'Please wait <strong class="wait">1 hour</strong>, then try again.', status_code=429)
        self.assertTrue(0 < int(response["Retry-After"]) <= 3600)
        self.assertFalse(get_user_model().objects.filter(username="newbie").exists())
        self.assertNotIn("_auth_user_id", self.client.session)
        # Another address is counted apart.
        self.assertRedirects(self.sign_up("newbie", ip="198.51.100.4"), "/")

    def test_opening_the_form_is_not_an_attempt(self):
        for _ in range(self.limit + 2):
            self.assertEqual(self.client.get(SIGNUP).status_code, 200)
        self.assertRedirects(self.sign_up("newbie"), "/")

    @override_settings(SIGNUP_RATE_WINDOW_SECONDS=2)
    def test_the_count_starts_again_when_the_window_ends(self):
        for _ in range(self.limit):
            self.assertEqual(self.sign_up("", password="x").status_code, 200)
        self.assertEqual(self.sign_up("late").status_code, 429)
        time.sleep(2.1)
        self.assertRedirects(self.sign_up("late"), "/")

    def test_sign_up_still_works_when_the_cache_is_unreachable(self):
        unreachable = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
        with override_settings(CACHES={"default": unreachable}), self.assertLogs("boardsite.throttling", "WARNING"):
            for number in range(self.limit + 1):
                self.assertRedirects(self.sign_up(f"user{number}"), "/")
                self.client.post("/accounts/logout/")


class SignupLimitOnRedisTests(SignupLimitTests):
    """The same, counted in Redis, as every process of a site with REDIS_URL counts."""

    def cache(self):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": require_redis()}


def settings_in(**environment):
    """The throttling settings Django ends up with in a fresh process under `environment`."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({'cache': settings.CACHES['default']['BACKEND'], 'limit': settings.AXES_FAILURE_LIMIT, "
        "'cool_off': settings.AXES_COOLOFF_TIME.total_seconds(), 'signups': settings.SIGNUP_RATE_LIMIT}))"
    )
    ours = ("REDIS_URL", "DATABASE_URL", "LOGIN_FAILURE_LIMIT", "LOGIN_COOLOFF_SECONDS", "SIGNUP_RATE_LIMIT")
    env = {key: value for key, value in os.environ.items() if key not in ours}
    env.update(DJANGO_SETTINGS_MODULE="boardsite.settings", **environment)
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


class ThrottlingSettingsTests(SimpleTestCase):
    def test_defaults_and_the_cache_each_setup_gets(self):
        self.assertEqual(
            settings_in(),
            {"cache": "django.core.cache.backends.locmem.LocMemCache", "limit": 5, "cool_off": 900, "signups": 10},
        )
        with_redis = settings_in(REDIS_URL="redis://127.0.0.1:6379/0", LOGIN_FAILURE_LIMIT="8", LOGIN_COOLOFF_SECONDS="60")
        self.assertEqual(with_redis["cache"], "django.core.cache.backends.redis.RedisCache")
        self.assertEqual((with_redis["limit"], with_redis["cool_off"]), (8, 60))

    def test_a_limit_below_one_is_refused_with_its_name(self):
        for name in ("LOGIN_FAILURE_LIMIT", "LOGIN_COOLOFF_SECONDS", "SIGNUP_RATE_LIMIT", "SIGNUP_RATE_WINDOW_SECONDS"):
            with self.subTest(name=name), self.assertRaisesMessage(AssertionError, f"{name} must be a whole number of at least 1, got 0"):
                settings_in(**{name: "0"})

    def test_wait_text(self):
        cases = {1: "1 minute", 60: "1 minute", 61: "2 minutes", 900: "15 minutes", 3600: "1 hour", 3900: "1 hour 5 minutes"}
        for seconds, text in cases.items():
            with self.subTest(seconds=seconds):
                self.assertEqual(wait_text(seconds), text)
