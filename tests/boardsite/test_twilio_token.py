import time

import jwt
from django.test import TestCase, override_settings

from boardsite import twilio_sync
from tests.support import make_user

TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC" + "a" * 32,
    "TWILIO_API_KEY": "SK" + "b" * 32,
    "TWILIO_API_SECRET": "an-api-secret-for-tests-that-is-long-enough",
    "TWILIO_SYNC_SERVICE_SID": "IS" + "c" * 32,
}


class TwilioSyncTokenTests(TestCase):
    def setUp(self):
        self.user = make_user("alice")
        self.client.force_login(self.user)

    @override_settings(**TWILIO)
    def test_issues_a_sync_token_for_the_logged_in_user(self):
        before = int(time.time())
        response = self.client.get("/token")
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(body["identity"], "alice")
        claims = jwt.decode(body["token"], TWILIO["TWILIO_API_SECRET"], algorithms=["HS256"])
        self.assertEqual(claims["iss"], TWILIO["TWILIO_API_KEY"])
        self.assertEqual(claims["sub"], TWILIO["TWILIO_ACCOUNT_SID"])
        self.assertEqual(claims["grants"]["identity"], "alice")
        self.assertEqual(claims["grants"]["data_sync"], {"service_sid": TWILIO["TWILIO_SYNC_SERVICE_SID"]})
        self.assertAlmostEqual(claims["exp"] - before, 3600, delta=5)
        with self.assertRaises(jwt.InvalidSignatureError):
            jwt.decode(body["token"], "another-secret-that-is-also-long-enough", algorithms=["HS256"])

    @override_settings(**TWILIO, TWILIO_TOKEN_TTL=600)
    def test_expiry_follows_the_setting(self):
        claims = jwt.decode(self.client.get("/token").json()["token"], TWILIO["TWILIO_API_SECRET"], algorithms=["HS256"])
        self.assertAlmostEqual(claims["exp"] - int(time.time()), 600, delta=5)

    @override_settings(**{**TWILIO, "TWILIO_API_SECRET": "", "TWILIO_SYNC_SERVICE_SID": ""})
    def test_503_names_the_missing_settings(self):
        response = self.client.get("/token")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json()["missing"], ["TWILIO_API_SECRET", "TWILIO_SYNC_SERVICE_SID"])
        self.assertNotIn("token", response.json())

    @override_settings(**{name: "" for name in TWILIO})
    def test_a_site_without_twilio_logs_one_warning_not_an_error_per_request(self):
        twilio_sync._warned.clear()  # what this process has warned about so far
        self.addCleanup(twilio_sync._warned.clear)
        with self.assertNoLogs("django.request", "ERROR"):
            with self.assertLogs("boardsite.twilio_sync", "DEBUG") as logs:
                for _ in range(3):
                    self.assertEqual(self.client.get("/token").status_code, 503)
        self.assertEqual([record.levelname for record in logs.records], ["WARNING", "DEBUG", "DEBUG"])
        self.assertIn("Twilio Sync is not configured (missing TWILIO_ACCOUNT_SID, TWILIO_API_KEY", logs.output[0])

    @override_settings(**TWILIO)
    def test_anonymous_users_get_no_token(self):
        self.client.logout()
        response = self.client.get("/token")
        self.assertEqual(response.status_code, 302)
        self.assertNotIn(b"token\"", response.content)
