"""
A large board reaches a browser that opens it: the snapshot's packed points
are unpacked in the page (whiteboard/static/whiteboard/points.js) exactly as
they were stored, and the board draws them.
"""

import json
from concurrent.futures import ThreadPoolExecutor

from bench.fixtures import fill_whiteboard
from tests.browser.base import COUNT_PIXELS, BrowserTestCase
from whiteboard import services
from whiteboard.models import Stroke

STROKES = 2_000
POINTS = 50
FIXTURE_COLOURS = {"#1f77b4": [0x1F, 0x77, 0xB4], "#d62728": [0xD6, 0x27, 0x28], "#2ca02c": [0x2C, 0xA0, 0x2C]}
RED, RED_RGB = "#e03131", [0xE0, 0x31, 0x31]
BLUE, BLUE_RGB = "#1971c2", [0x19, 0x71, 0xC2]


def draw_line(board, user, stroke_id, colour, y):
    """
    A stroke stored through the service, from a thread of its own: this one
    runs Playwright's event loop, where the service's broadcast cannot run.
    """
    with ThreadPoolExecutor(1) as executor:
        executor.submit(
            services.stroke_add_chunk, board=board, actor=user, stroke_id=stroke_id, chunk=0, tool="pen",
            color=colour, width=12, points=[[0.1 + 0.02 * step, y] for step in range(40)],
        ).result()


class LateJoinBrowserTests(BrowserTestCase):
    def test_a_board_of_two_thousand_strokes_loads_from_the_snapshot_with_every_point_and_draws(self):
        user, page = self.user_page("lena")
        board = services.board_create(name="Busy board", owner=user)
        fill_whiteboard(board, strokes=STROKES, points=POINTS, author=user)
        asked = []
        page.on("request", lambda request: asked.append(request.url) if "snapshot.json" in request.url else None)
        page.goto(f"{self.live_server_url}{board.get_absolute_url()}")
        page.wait_for_selector("#connection-status[data-state=live]")
        # The page's head asks for the snapshot while its modules load, and its script takes that answer.
        self.assertEqual(len(asked), 1, asked)
        requested, scripted = page.evaluate("""() => {
          const entries = performance.getEntriesByType("resource");
          const snapshot = entries.find((entry) => entry.name.includes("/snapshot.json"));
          const script = entries.find((entry) => entry.name.endsWith("/whiteboard/board.js"));
          return [snapshot.startTime, script.responseEnd];
        }""")
        self.assertLess(requested, scripted, "asked for before the page's script had even arrived")
        for colour, rgb in FIXTURE_COLOURS.items():
            self.assertGreater(page.evaluate(COUNT_PIXELS, rgb), 1000, f"too little {colour} on the canvas")

        stored = dict(Stroke.objects.filter(board=board).values_list("client_id", "points_json"))
        sample = {stroke_id: json.loads(stored[stroke_id]) for stroke_id in ("late-0", "late-999", "late-1999")}
        held = page.evaluate(
            """async ([url, sampleIds]) => {
              const { BoardState } = await import("/static/whiteboard/strokes.js");
              const state = new BoardState({ onChange: () => {} });
              state.load(await (await fetch(url)).json());
              const strokes = state.visible();
              return {
                strokes: strokes.length,
                points: strokes.reduce((sum, stroke) => sum + stroke.points.length, 0),
                sample: Object.fromEntries(sampleIds.map((id) => [id, state.get(id).points])),
              };
            }""",
            [f"/whiteboard/{board.slug}/snapshot.json", list(sample)],
        )
        self.assertEqual((held["strokes"], held["points"]), (STROKES, STROKES * POINTS))
        self.assertEqual(held["sample"], sample)

    def test_the_socket_connects_while_the_snapshot_loads_and_catches_up_from_the_snapshots_seq(self):
        user, page = self.user_page("mira")
        board = services.board_create(name="Quick board", owner=user)
        draw_line(board, user, "in-snapshot", RED, 0.3)
        held = []
        page.route("**/snapshot.json", lambda route: held.append(route))
        frames = []
        with page.expect_websocket() as socket_info:
            page.goto(f"{self.live_server_url}{board.get_absolute_url()}")
        socket = socket_info.value
        socket.on("framereceived", lambda payload: frames.append(("in", json.loads(payload))))
        socket.on("framesent", lambda payload: frames.append(("out", json.loads(payload))))
        page.wait_for_function("() => document.querySelector('#presence li') !== null")
        self.assertEqual(len(held), 1, "the page asks for the snapshot once")
        self.assertIn("hello", [frame["type"] for direction, frame in frames if direction == "in"])
        self.assertNotIn("sync", [frame["type"] for direction, frame in frames if direction == "out"],
                         "no sync before the snapshot says where to sync from")

        snapshot = held[0].fetch()  # the board as it is now, at seq 1
        draw_line(board, user, "after-snapshot", BLUE, 0.6)  # seq 2, drawn while the snapshot travels
        held[0].fulfill(response=snapshot)
        page.wait_for_selector("#connection-status[data-state=live]")
        syncs = [frame for direction, frame in frames if direction == "out" and frame["type"] == "sync"]
        self.assertEqual([frame["since"] for frame in syncs], [1])
        page.wait_for_function(f"() => ({COUNT_PIXELS})({BLUE_RGB}) > 200")
        self.assertGreater(page.evaluate(COUNT_PIXELS, RED_RGB), 200, "the snapshot's stroke is drawn")

    def test_a_snapshot_that_fails_leaves_the_page_offline_with_the_reason_and_the_socket_closed(self):
        user, page = self.user_page("nils")
        board = services.board_create(name="Unlucky board", owner=user)
        page.route("**/snapshot.json", lambda route: route.fulfill(status=503, body="down"))
        with page.expect_websocket() as socket_info:
            page.goto(f"{self.live_server_url}{board.get_absolute_url()}")
        page.wait_for_selector("#connection-status[data-state=offline]")
        self.assertIn("Could not load the board (the server answered 503)", page.inner_text("body"))
        socket = socket_info.value
        if not socket.is_closed():
            socket.wait_for_event("close")
        self.assertTrue(socket.is_closed())
