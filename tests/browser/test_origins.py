"""
A page on another port of the site's host, in real Chromium: the browser
sends the user's session cookie with its websocket (cookies ignore ports),
so only the server's origin check keeps that page off the user's boards.
"""

import http.server
import threading

from bench.servers import free_port
from tests.browser.base import BrowserTestCase
from whiteboard import services as whiteboard_services

# Opens a websocket and resolves with what the page saw: whether it opened, the frame types, the close code.
PROBE = """(url) => new Promise((resolve) => {
  const seen = {opened: false, frames: [], closeCode: null};
  const socket = new WebSocket(url);
  socket.onopen = () => { seen.opened = true; };
  socket.onmessage = (event) => { seen.frames.push(JSON.parse(event.data).type); socket.close(); };
  socket.onclose = (event) => { seen.closeCode = event.code; resolve(seen); };
})"""

OTHER_PAGE = f"""<!doctype html>
<title>Another service on the same host</title>
<script>window.probe = ({PROBE})(location.hash.slice(1));</script>
"""


class OnePage(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = OTHER_PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class OtherPortTests(BrowserTestCase):
    def start_other_site(self):
        """A plain http.server on another port of the live server's host, serving OTHER_PAGE."""
        server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), OnePage)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        return f"http://{self.host}:{server.server_address[1]}/"

    def test_a_page_on_another_port_gets_no_board_socket_while_the_sites_own_page_does(self):
        user, page = self.user_page("alice")
        board = whiteboard_services.board_create(name="Private plans", owner=user)
        socket_url = f"{self.live_server_url.replace('http://', 'ws://', 1)}/ws/whiteboard/{board.slug}/"

        page.goto(f"{self.start_other_site()}#{socket_url}")
        seen = page.evaluate("window.probe")
        self.assertEqual(seen["frames"], [], "the other port's page read the board")
        self.assertFalse(seen["opened"])
        self.assertEqual(seen["closeCode"], 1006)  # refused in the handshake (HTTP 403)

        page.goto(f"{self.live_server_url}/")
        seen = page.evaluate(PROBE, socket_url)
        self.assertEqual((seen["opened"], seen["frames"][:1]), (True, ["hello"]))

        page.goto(f"{self.live_server_url}{board.get_absolute_url()}")
        page.wait_for_selector("#connection-status[data-state=live]")
