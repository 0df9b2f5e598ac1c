"""
A large board reaches a browser that opens it: the snapshot's packed points
are unpacked in the page (whiteboard/static/whiteboard/points.js) exactly as
they were stored, and the board draws them.
"""

import json

from bench.fixtures import fill_whiteboard
from tests.browser.base import COUNT_PIXELS, BrowserTestCase
from whiteboard import services
from whiteboard.models import Stroke

STROKES = 2_000
POINTS = 50
FIXTURE_COLOURS = {"#1f77b4": [0x1F, 0x77, 0xB4], "#d62728": [0xD6, 0x27, 0x28], "#2ca02c": [0x2C, 0xA0, 0x2C]}


class LateJoinBrowserTests(BrowserTestCase):
    def test_a_board_of_two_thousand_strokes_loads_from_the_snapshot_with_every_point_and_draws(self):
        user, page = self.user_page("lena")
        board = services.board_create(name="Busy board", owner=user)
        fill_whiteboard(board, strokes=STROKES, points=POINTS, author=user)
        page.goto(f"{self.live_server_url}{board.get_absolute_url()}")
        page.wait_for_selector("#connection-status[data-state=live]")
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
