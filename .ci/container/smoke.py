"""
Smoke check of a running Boardsite, as a user would meet it, through whatever is at BASE_URL
(a container's daphne, or compose's reverse proxy):

  /healthz is ok and names VERSION; log in as USERNAME with PASSWORD (the login form, CSRF
  included); create a whiteboard; open its websocket twice; draw a stroke on one and check
  that it is acked and that the other connection receives it; the board's snapshot holds it;
  create a kanban board and a card on it over its websocket, attach an image to the card, and
  read the image and its thumbnail back (through WATCH_URL when given: the files are shared).

  python smoke.py BASE_URL USERNAME PASSWORD VERSION [WATCH_URL]

With WATCH_URL (another server process of the same site), the second websocket connects there:
the stroke must reach it through the channel layer, with the session made at BASE_URL.

Exits 0 when every step passed; otherwise prints the step that failed and why, and exits 1.
Only the standard library and `websockets` (requirements-test.txt); every step has a timeout.
"""

import base64
import http.cookiejar
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from websockets.exceptions import WebSocketException
from websockets.sync.client import connect

TIMEOUT = 15
# A 2x2 red PNG: the server decodes and encodes it again, with a thumbnail (Pillow in the image).
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==")


class SmokeFailure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise SmokeFailure(message)


class Site:
    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def request(self, path, *, data=None, headers=None, body=None, raw=False):
        """(status, final URL, body) of a request, redirects followed; `raw`: the body as bytes."""
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base_url + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                content = response.read()
                return response.status, response.url, content if raw else content.decode()
        except urllib.error.HTTPError as error:
            return error.code, error.url, error.read().decode(errors="replace")

    def create_board(self, app):
        """(path, slug) of a new board of `app` ("whiteboard" or "kanban"), made through its page's form."""
        status, _, body = self.request(
            f"/{app}/new/",
            data={"name": "Container smoke check"},
            headers={"Origin": self.base_url, "X-CSRFToken": self.cookie("csrftoken"), "Accept": "application/json"},
        )
        check(status == 201, f"creating a {app} board answered {status}: {body[:500]}")
        path = json.loads(body)["redirect"]
        return path, path.strip("/").split("/")[-1]

    def cookie(self, name):
        return next((cookie.value for cookie in self.cookies if cookie.name == name), None)

    def ws_url(self, path):
        return "ws" + self.base_url[len("http") :] + path


def receive_until(ws, wanted_type, *, seconds=TIMEOUT):
    """The first frame of `wanted_type`; an `error` frame fails the check."""
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        check(left > 0, f"no {wanted_type!r} frame within {seconds}s")
        try:
            frame = json.loads(ws.recv(timeout=left))
        except TimeoutError:
            raise SmokeFailure(f"no {wanted_type!r} frame within {seconds}s") from None
        check(frame.get("type") != "error", f"the server answered an error: {frame}")
        if frame.get("type") == wanted_type:
            return frame


def smoke(base_url, username, password, version, watch_url=None):
    site = Site(base_url)
    watch_base = (watch_url or base_url).rstrip("/")
    step = "healthz"
    try:
        status, _, body = site.request("/healthz")
        check(status == 200, f"/healthz answered {status}: {body[:500]}")
        health = json.loads(body)
        check(health.get("status") == "ok", f"/healthz is not ok: {health}")
        check(health.get("version") == version, f"/healthz names version {health.get('version')!r}, not {version!r}")
        print(f"[smoke] /healthz ok, version {version}")

        step = "log in"
        status, _, page = site.request("/accounts/login/")
        check(status == 200, f"the login page answered {status}")
        check(f"Boardsite {version}" in page, "the page footer does not show the version")
        token = site.cookie("csrftoken")
        check(token, "the login page set no csrftoken cookie")
        status, url, page = site.request(
            "/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            headers={"Origin": site.base_url, "Referer": site.base_url + "/accounts/login/"},
        )
        check(status == 200, f"logging in answered {status}: {page[:800]}")
        check(urllib.parse.urlparse(url).path == "/", f"logging in led to {url}, not the home page")
        check(site.cookie("sessionid"), "logging in set no session cookie")
        print(f"[smoke] logged in as {username}")

        step = "create a whiteboard"
        board_path, slug = site.create_board("whiteboard")
        status, _, _ = site.request(board_path)
        check(status == 200, f"the board page answered {status}")
        print(f"[smoke] whiteboard {board_path}")

        step = "draw over the websocket"
        headers = {"Cookie": f"sessionid={site.cookie('sessionid')}"}
        ws_path = f"/ws/whiteboard/{slug}/"
        stroke_id = f"smoke-{time.time_ns()}"
        with (
            connect(site.ws_url(ws_path), origin=site.base_url, additional_headers=headers, open_timeout=TIMEOUT) as drawer,
            connect("ws" + watch_base[4:] + ws_path, origin=watch_base, additional_headers=headers, open_timeout=TIMEOUT) as watcher,
        ):
            for ws in (drawer, watcher):
                hello = receive_until(ws, "hello")
                ws.send(json.dumps({"type": "sync", "since": hello["seq"], "ref": "s"}))
                receive_until(ws, "synced")
            drawer.send(
                json.dumps(
                    {
                        "type": "stroke",
                        "ref": 1,
                        "id": stroke_id,
                        "chunk": 0,
                        "tool": "pen",
                        "color": "#1971c2",
                        "width": 6,
                        "points": [[0.1, 0.2], [0.3, 0.4, 0.5], [0.5, 0.45]],
                    }
                )
            )
            ack = receive_until(drawer, "ack")
            check(ack.get("ref") == 1 and isinstance(ack.get("seq"), int), f"unexpected ack {ack}")
            print(f"[smoke] stroke acked at seq {ack['seq']}")
            event = receive_until(watcher, "stroke")
            check(event.get("id") == stroke_id and event.get("seq") == ack["seq"], f"the other connection got {event}")
            print(f"[smoke] the other connection ({watch_base}) received the stroke")

        step = "snapshot"
        status, _, body = site.request(f"/whiteboard/{slug}/snapshot.json", headers={"Accept": "application/json"})
        check(status == 200, f"the snapshot answered {status}")
        check(stroke_id in body, "the stored snapshot does not hold the stroke")
        print("[smoke] the snapshot holds the stroke")

        step = "attach an image to a kanban card"
        kanban_path, kanban_slug = site.create_board("kanban")
        with connect(site.ws_url(f"/ws/kanban/{kanban_slug}/"), origin=site.base_url,
                     additional_headers=headers, open_timeout=TIMEOUT) as ws:
            column = receive_until(ws, "board")["columns"][0]["id"]
            ws.send(json.dumps({"type": "card.create", "ref": 1, "column": column, "title": "Smoke card"}))
            card = receive_until(ws, "ack")["card"]["id"]
        boundary = f"smoke{time.time_ns()}"
        form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"red.png\"\r\n"
                f"Content-Type: image/png\r\n\r\n").encode() + PNG + f"\r\n--{boundary}--\r\n".encode()
        status, _, body = site.request(
            f"{kanban_path}cards/{card}/attachments.json", body=form,
            headers={"Origin": site.base_url, "X-CSRFToken": site.cookie("csrftoken"), "Accept": "application/json",
                     "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        check(status == 201, f"attaching a file answered {status}: {body[:500]}")
        attachment = json.loads(body)["attachment"]
        check(attachment["image"] and attachment["width"] == 2, f"the image was not read as one: {attachment}")
        reader = Site(watch_base)
        reader.cookies = site.cookies
        reader.opener = site.opener
        for suffix, kind in (("", b"\x89PNG"), ("thumbnail/", b"RIFF")):
            status, _, content = reader.request(f"{kanban_path}files/{attachment['id']}/{suffix}", raw=True)
            check(status == 200 and content.startswith(kind), f"the file {suffix or 'itself'} answered {status}")
        print(f"[smoke] an image attached to a card, and it and its thumbnail read back from {watch_base}")
    except SmokeFailure as failure:
        print(f"[smoke] FAILED at {step!r} on {base_url}: {failure}", file=sys.stderr)
        return 1
    except (OSError, ValueError, KeyError, WebSocketException) as error:  # refused, bad JSON, closed
        print(f"[smoke] FAILED at {step!r} on {base_url}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(f"[smoke] all steps passed on {base_url}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    sys.exit(smoke(*sys.argv[1:]))
