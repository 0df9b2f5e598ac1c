"""
The websocket origin check: a board socket opens only for a page of this
site's own origin, or of one in CSRF_TRUSTED_ORIGINS, the rule Django's
CSRF check applies to a POST.

Channels' AllowedHostsOriginValidator compares only the Origin's host with
ALLOWED_HOSTS, so a page on another port or scheme of the same host (another
service, a dev server) could open a socket with the user's cookie, which
browsers send to every port of a host. Here the Origin must equal the
handshake's own scheme, host and port; the Host header must still be in
ALLOWED_HOSTS.

daphne's websocket scope carries no scheme, even with --proxy-headers, so a
handshake is taken as TLS (origin https) when the server says so in
`scope["scheme"]`, or when SECURE_PROXY_SSL_HEADER names a header the proxy
set to its secure value: the same trust Django gives that header for HTTP.
A daphne terminating TLS itself does not say so either; its site's https
origin belongs in CSRF_TRUSTED_ORIGINS (docs/deploy.md).

A handshake without an Origin is refused: browsers always send one, and a
non-browser client sends the site's origin, as the tests and benchmarks do.
"""

import logging
from urllib.parse import urlsplit

from asgiref.sync import markcoroutinefunction
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}


class SameOriginValidator:
    """
    ASGI middleware for websockets: refuse the handshake (HTTP 403) unless
    `origin_allowed`. It returns the chosen application's coroutine rather
    than awaiting it, so an open socket holds no frame of it.
    """

    def __init__(self, application):
        self.application = application

    @markcoroutinefunction  # an ASGI 3 application, as servers and test harnesses check
    def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator only guards websocket connections")
        if origin_allowed(scope):
            return self.application(scope, receive, send)
        logger.warning(
            "Websocket refused: Origin %r is not this site's (Host %r) nor in CSRF_TRUSTED_ORIGINS",
            header(scope, b"origin"),
            header(scope, b"host"),
        )
        return WebsocketDenier.as_asgi()(scope, receive, send)


def origin_allowed(scope):
    """Whether this handshake's Origin is its own origin or a trusted one, for an allowed Host."""
    origin, host = header(scope, b"origin"), header(scope, b"host")
    if origin is None or host is None or not host_allowed(host):
        return False
    own = origin_parts(f"{'https' if handshake_is_secure(scope) else 'http'}://{host}")
    return (own is not None and origin_parts(origin) == own) or trusted_origin(origin)


def header(scope, name):
    """The first value of header `name` (lowercase bytes), decoded, or None."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin1")
    return None


def host_allowed(host):
    """Django's own Host check (HttpRequest.get_host), ALLOWED_HOSTS with its DEBUG fallback."""
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]
    domain, _ = split_domain_port(host)
    return bool(domain) and validate_host(domain, allowed_hosts)


def handshake_is_secure(scope):
    """Whether the browser connected with TLS (wss), as HttpRequest.is_secure decides for HTTP."""
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = header(scope, meta_name.removeprefix("HTTP_").replace("_", "-").lower().encode("latin1"))
        if value is not None:
            return value.split(",", 1)[0].strip() == secure_value
    return scope.get("scheme") in ("wss", "https")


def origin_parts(origin):
    """(scheme, host, port) of an http(s) origin, the port filled in when implicit; None if it is not one."""
    try:
        parsed = urlsplit(origin)
        port = parsed.port
    except ValueError:
        return None
    if parsed.scheme not in DEFAULT_PORTS or not parsed.hostname:
        return None
    if parsed.path or parsed.query or parsed.fragment or parsed.username is not None:
        return None  # an origin is scheme://host[:port] and nothing else
    return parsed.scheme, parsed.hostname, DEFAULT_PORTS[parsed.scheme] if port is None else port


def trusted_origin(origin):
    """CSRF_TRUSTED_ORIGINS as Django's CSRF check reads it: exact entries, and `scheme://*.domain` wildcards."""
    if "*" not in origin and origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    return any(
        is_same_domain(parsed.netloc, urlsplit(trusted).netloc.lstrip("*"))
        for trusted in settings.CSRF_TRUSTED_ORIGINS
        if "*" in trusted and urlsplit(trusted).scheme == parsed.scheme
    )
