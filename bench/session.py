"""
HTTP as a browser does it: logging in through the real session mechanism
(GET the login page, take its csrftoken cookie, POST the form, keep the
sessionid cookie), and GETs that count the bytes actually received.
"""

import http.client
import re
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlparse

TIMEOUT = 30
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes  # as sent: still compressed if the server compressed it
    wire_bytes: int  # status line, headers and body as received


def request(base_url, method, path, *, cookies=None, headers=None, body=None):
    parsed = urlparse(base_url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=TIMEOUT)
    try:
        all_headers = dict(headers or {})
        if cookies:
            all_headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        payload = response.read()
        head = len(f"HTTP/1.1 {response.status} {response.reason}\r\n") + sum(
            len(name) + len(value) + 4 for name, value in response.getheaders()
        ) + 2
        return Response(response.status, response.headers, payload, head + len(payload))
    finally:
        connection.close()


def set_cookies(response, cookies):
    for header in response.headers.get_all("Set-Cookie") or []:
        for name, morsel in SimpleCookie(header).items():
            cookies[name] = morsel.value


def login(base_url, username, password):
    """The cookies of a logged-in browser (sessionid and csrftoken)."""
    cookies = {}
    page = request(base_url, "GET", "/accounts/login/")
    if page.status != 200:
        raise RuntimeError(f"GET /accounts/login/ answered {page.status}")
    set_cookies(page, cookies)
    match = CSRF_INPUT.search(page.body.decode())
    if "csrftoken" not in cookies or match is None:
        raise RuntimeError("the login page set no csrftoken cookie or form token")
    form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": match.group(1), "next": "/"})
    answer = request(
        base_url,
        "POST",
        "/accounts/login/",
        cookies=cookies,
        body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Referer": f"{base_url}/accounts/login/"},
    )
    set_cookies(answer, cookies)
    if answer.status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"logging in as {username} failed (HTTP {answer.status})")
    return cookies


def cookie_header(cookies):
    return "; ".join(f"{name}={value}" for name, value in cookies.items())
