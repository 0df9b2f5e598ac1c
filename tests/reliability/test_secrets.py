"""
The Twilio token view never issues a token to an anonymous visitor and never
writes the API secret or a token to a log, in-process with every logger at
DEBUG and in a real daphne process's log file.
"""

import json
import logging

from django.test import TestCase, TransactionTestCase, override_settings

from bench.session import login, request
from tests.boardsite.test_twilio_token import TWILIO
from tests.reliability.faults import postgres_url, server_environment, start_server
from tests.support import PASSWORD, make_user, require_postgres


class CapturedLogs(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


# DEBUG=True: Django then logs every SQL query too.
@override_settings(**TWILIO, DEBUG=True)
class TokenLogTests(TestCase):
    def test_nothing_secret_is_logged_while_tokens_are_issued_or_refused(self):
        # Every logger at DEBUG, every record to this handler only (not to the console).
        handler = CapturedLogs()
        loggers = [logging.getLogger(), *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict))]
        saved = [(logger, logger.level, logger.handlers, logger.propagate) for logger in loggers]
        for logger in loggers:
            logger.handlers = [handler]
            logger.propagate = False
            logger.setLevel(logging.DEBUG)
        try:
            anonymous = self.client.get("/token")
            self.client.force_login(make_user("alice"))
            issued = self.client.get("/token")
        finally:
            for logger, level, handlers, propagate in saved:
                logger.handlers, logger.propagate = handlers, propagate
                logger.setLevel(level)
        self.assertNotEqual(anonymous.status_code, 200)
        self.assertNotIn(b'"token"', anonymous.content)
        token = issued.json()["token"]
        logged = "\n".join(handler.lines)
        self.assertTrue(logged, "nothing was logged at all: the capture is not working")
        for secret in (TWILIO["TWILIO_API_SECRET"], token):
            self.assertNotIn(secret, logged)


class ServerTokenLogTests(TransactionTestCase):
    def test_a_real_server_logs_neither_the_secret_nor_the_token(self):
        require_postgres()
        make_user("alice")
        server = start_server(
            self, "token", server_environment(DATABASE_URL=postgres_url(), LOG_LEVEL="DEBUG", **TWILIO)
        )
        anonymous = request(server.http_url, "GET", "/token")
        self.assertNotEqual(anonymous.status, 200)
        cookies = login(server.http_url, "alice", PASSWORD)
        issued = request(server.http_url, "GET", "/token", cookies=cookies)
        self.assertEqual(issued.status, 200)
        server.stop()
        logged = server.log_path.read_text()
        self.assertIn("/token", logged)
        self.assertNotIn(TWILIO["TWILIO_API_SECRET"], logged)
        self.assertNotIn(json.loads(issued.body)["token"], logged)
