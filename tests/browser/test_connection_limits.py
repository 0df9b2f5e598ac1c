"""
A page whose socket is closed for a reason that coming back would not
change says why and stays offline, instead of reconnecting for ever:
a tab over the per-user connection cap (4430, from the real server), and a
message larger than the server reads (1009, as the browser sees it).
"""

from django.test import override_settings
from playwright.sync_api import expect

from tests.browser.base import BrowserTestCase
from whiteboard import services


@override_settings(REALTIME_MAX_CONNECTIONS_PER_USER=1)
class FinalCloseTests(BrowserTestCase):
    def open_board(self, page, board):
        page.goto(f"{self.live_server_url}{board.get_absolute_url()}")

    def sockets_opened(self, page):
        """A list that grows with each board socket the page opens."""
        opened = []
        page.on("websocket", lambda socket: opened.append(socket.url) if "/ws/" in socket.url else None)
        return opened

    def assert_offline_for_good(self, page, opened, message):
        expect(page.locator("#toast")).to_contain_text(message)
        expect(page.locator("#connection-status")).to_have_attribute("data-state", "offline")
        page.wait_for_timeout(3000)  # the first retry would come after 0.25-0.5 s
        self.assertEqual(len(opened), 1, "the page reconnected")

    def test_a_tab_over_the_cap_says_so_and_does_not_reconnect(self):
        alice, first = self.user_page("alice")
        board = services.board_create(name="Many tabs", owner=alice)
        self.open_board(first, board)
        first.wait_for_selector("#connection-status[data-state=live]")
        second = first.context.new_page()
        opened = self.sockets_opened(second)
        self.open_board(second, board)
        self.assert_offline_for_good(second, opened, "too many of your tabs")
        expect(first.locator("#connection-status")).to_have_attribute("data-state", "live")

    def test_a_message_too_large_for_the_server_is_said_and_not_sent_again(self):
        alice, page = self.user_page("alice")
        board = services.board_create(name="Big message", owner=alice)
        routes = []

        def route(socket):
            routes.append(socket)
            socket.connect_to_server()

        page.route_web_socket("**/ws/**", route)
        opened = self.sockets_opened(page)
        self.open_board(page, board)
        page.wait_for_selector("#connection-status[data-state=live]")
        routes[-1].close(code=1009)  # what the browser sees when the server refuses a message over 1 MiB
        self.assert_offline_for_good(page, opened, "too large")
