"""
The websocket origin rule (boardsite.origins): a handshake's Origin must be
its own scheme, host and port, or a trusted origin, for an allowed Host.
"""

import asyncio
import json

import websockets
from channels.testing import WebsocketCommunicator
from django.test import SimpleTestCase, TransactionTestCase, override_settings

from bench.servers import free_port
from bench.session import cookie_header, login
from boardsite.origins import SameOriginValidator, origin_allowed
from tests.reliability.faults import TIMEOUT, server_environment, start_server, shared_database_url
from tests.support import PASSWORD, make_user
from whiteboard import services as whiteboard_services

PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def allowed(*, host, origin, **extra):
    """Whether a handshake with these headers (None leaves one out) and scope keys is let through."""
    headers = [(b"host", host), (b"origin", origin), *extra.pop("headers", {}).items()]
    scope = {
        "type": "websocket",
        "headers": [(name, value.encode("latin1")) for name, value in headers if value is not None],
        **extra,
    }
    return origin_allowed(scope)


@override_settings(
    ALLOWED_HOSTS=["boards.example.com", "127.0.0.1", "[::1]"], CSRF_TRUSTED_ORIGINS=[], SECURE_PROXY_SSL_HEADER=None
)
class OriginRuleTests(SimpleTestCase):
    def test_a_page_of_the_same_scheme_host_and_port_is_let_through(self):
        self.assertTrue(allowed(host="127.0.0.1:8000", origin="http://127.0.0.1:8000"))
        self.assertTrue(allowed(host="boards.example.com", origin="http://boards.example.com"))

    def test_a_page_on_another_port_of_the_same_host_is_refused(self):
        self.assertFalse(allowed(host="127.0.0.1:8000", origin="http://127.0.0.1:8001"))
        self.assertFalse(allowed(host="127.0.0.1:8000", origin="http://127.0.0.1"))
        self.assertFalse(allowed(host="boards.example.com", origin="http://boards.example.com:8080"))

    def test_a_page_of_another_scheme_is_refused(self):
        self.assertFalse(allowed(host="boards.example.com", origin="https://boards.example.com"))
        self.assertFalse(allowed(host="127.0.0.1:8000", origin="https://127.0.0.1:8000"))
        self.assertFalse(allowed(host="127.0.0.1:8000", origin="ws://127.0.0.1:8000"))
        self.assertFalse(allowed(host="boards.example.com", origin="https://boards.example.com", scheme="ws"))

    def test_another_host_is_refused(self):
        self.assertFalse(allowed(host="boards.example.com", origin="http://evil.example"))
        self.assertFalse(allowed(host="boards.example.com", origin="http://sub.boards.example.com"))

    def test_a_missing_or_opaque_origin_is_refused(self):
        self.assertFalse(allowed(host="boards.example.com", origin=None))
        self.assertFalse(allowed(host="boards.example.com", origin="null"))
        self.assertFalse(allowed(host="boards.example.com", origin=""))
        self.assertFalse(allowed(host="boards.example.com", origin="http://boards.example.com/path"))

    def test_a_host_outside_allowed_hosts_is_refused_even_from_its_own_origin(self):
        self.assertFalse(allowed(host="evil.example", origin="http://evil.example"))
        self.assertFalse(allowed(host=None, origin="http://boards.example.com"))

    def test_ipv6_hosts(self):
        self.assertTrue(allowed(host="[::1]:8000", origin="http://[::1]:8000"))
        self.assertTrue(allowed(host="[::1]", origin="http://[::1]"))
        self.assertFalse(allowed(host="[::1]:8000", origin="http://[::1]:8001"))
        self.assertFalse(allowed(host="[::1]:8000", origin="http://127.0.0.1:8000"))

    def test_default_ports_explicit_or_implicit_are_the_same_origin(self):
        self.assertTrue(allowed(host="boards.example.com:80", origin="http://boards.example.com"))
        self.assertTrue(allowed(host="boards.example.com", origin="http://boards.example.com:80"))
        self.assertTrue(allowed(host="boards.example.com:443", origin="https://boards.example.com", scheme="wss"))
        self.assertTrue(allowed(host="boards.example.com", origin="https://boards.example.com:443", scheme="wss"))
        self.assertFalse(allowed(host="boards.example.com:443", origin="http://boards.example.com"))

    def test_a_tls_server_says_so_in_the_scope(self):
        self.assertTrue(allowed(host="boards.example.com", origin="https://boards.example.com", scheme="wss"))
        self.assertFalse(allowed(host="boards.example.com", origin="http://boards.example.com", scheme="wss"))

    def test_the_proxys_scheme_header_counts_only_when_settings_trust_it(self):
        forwarded = {"headers": {b"x-forwarded-proto": "https"}}
        self.assertFalse(allowed(host="boards.example.com", origin="https://boards.example.com", **forwarded))
        with self.settings(SECURE_PROXY_SSL_HEADER=PROXY_SSL_HEADER):
            self.assertTrue(allowed(host="boards.example.com", origin="https://boards.example.com", **forwarded))
            self.assertFalse(allowed(host="boards.example.com", origin="http://boards.example.com", **forwarded))
            # A proxy on another port passes it on in the Host header ($http_host).
            self.assertTrue(
                allowed(host="boards.example.com:8443", origin="https://boards.example.com:8443", **forwarded)
            )
            plain = {"headers": {b"x-forwarded-proto": "http"}}
            self.assertTrue(allowed(host="boards.example.com", origin="http://boards.example.com", **plain))
            self.assertFalse(allowed(host="boards.example.com", origin="https://boards.example.com", **plain))

    @override_settings(CSRF_TRUSTED_ORIGINS=["https://boards.example.com", "https://*.example.org"])
    def test_trusted_origins_exact_and_wildcard(self):
        self.assertTrue(allowed(host="127.0.0.1:8000", origin="https://boards.example.com"))
        self.assertFalse(allowed(host="127.0.0.1:8000", origin="https://boards.example.com:8443"))
        self.assertFalse(allowed(host="127.0.0.1:8000", origin="http://boards.example.com"))
        self.assertTrue(allowed(host="127.0.0.1:8000", origin="https://example.org"))
        self.assertTrue(allowed(host="127.0.0.1:8000", origin="https://a.b.example.org"))
        self.assertFalse(allowed(host="127.0.0.1:8000", origin="http://a.example.org"))
        self.assertFalse(allowed(host="127.0.0.1:8000", origin="https://evil-example.org"))
        # A trusted origin does not excuse a Host outside ALLOWED_HOSTS.
        self.assertFalse(allowed(host="evil.example", origin="https://boards.example.com"))

    @override_settings(DEBUG=True, ALLOWED_HOSTS=[])
    def test_debug_without_allowed_hosts_accepts_localhost_as_django_does(self):
        self.assertTrue(allowed(host="localhost:8000", origin="http://localhost:8000"))
        self.assertFalse(allowed(host="boards.example.com", origin="http://boards.example.com"))


class HandshakeTests(SimpleTestCase):
    """Through the ASGI middleware: refused before accept, so daphne answers HTTP 403."""

    async def accepting_app(self, scope, receive, send):
        await receive()
        await send({"type": "websocket.accept"})

    async def connect(self, headers):
        communicator = WebsocketCommunicator(SameOriginValidator(self.accepting_app), "/ws/x/", headers=headers)
        connected, _ = await communicator.connect()
        if connected:
            await communicator.disconnect()
        return connected

    async def test_refused_before_accept_and_let_through_otherwise(self):
        self.assertTrue(await self.connect([(b"host", b"localhost:8000"), (b"origin", b"http://localhost:8000")]))
        self.assertFalse(await self.connect([(b"host", b"localhost:8000"), (b"origin", b"http://localhost:8001")]))
        self.assertFalse(await self.connect([(b"host", b"localhost:8000")]))


class DaphneTests(TransactionTestCase):
    """A real daphne process (as behind a TLS proxy that sets X-Forwarded-Proto), a logged-in user's cookie."""

    def setUp(self):
        user = make_user("alice")
        self.board = whiteboard_services.board_create(name="Origins", owner=user)
        environment = server_environment(DATABASE_URL=shared_database_url(), BEHIND_TLS_PROXY="true")
        self.server = start_server(self, "origins", environment)
        self.cookies = login(self.server.http_url, user.username, PASSWORD)

    def first_frame_or_status(self, origin, headers=()):
        """The type of the first frame the socket gets, or the HTTP status it was refused with."""

        async def scenario():
            try:
                async with websockets.connect(
                    f"{self.server.ws_url}/ws/whiteboard/{self.board.slug}/",
                    origin=origin,
                    additional_headers={"Cookie": cookie_header(self.cookies), **dict(headers)},
                    open_timeout=TIMEOUT,
                ) as socket:
                    return json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))["type"]
            except websockets.InvalidStatus as refused:
                return refused.response.status_code

        return asyncio.run(scenario())

    def test_only_the_servers_own_origin_opens_a_board_socket(self):
        port = self.server.port
        self.assertEqual(self.first_frame_or_status(f"http://127.0.0.1:{port}"), "hello")
        for origin in (f"http://127.0.0.1:{free_port()}", f"https://127.0.0.1:{port}", f"http://localhost:{port}", None):
            with self.subTest(origin=origin):
                self.assertEqual(self.first_frame_or_status(origin), 403)

    def test_the_proxys_scheme_header_makes_the_https_page_the_own_origin(self):
        port = self.server.port
        forwarded = {"X-Forwarded-Proto": "https"}
        self.assertEqual(self.first_frame_or_status(f"https://127.0.0.1:{port}", forwarded), "hello")
        self.assertEqual(self.first_frame_or_status(f"http://127.0.0.1:{port}", forwarded), 403)
