"""The packed form of stroke points that the snapshot sends (whiteboard.points)."""

import json
import random

from django.test import SimpleTestCase
from hypothesis import given
from hypothesis import strategies as st

from whiteboard.points import last_points, packed, packed_append, unpacked, unpacked_channels_many

coordinate = st.integers(0, 10_000).map(lambda value: round(value / 10_000, 4))
pressure = st.integers(0, 1_000).map(lambda value: round(value / 1_000, 3))
point = st.one_of(
    st.tuples(coordinate, coordinate).map(list),
    st.tuples(coordinate, coordinate, pressure).map(list),
)
strokes = st.lists(point, max_size=60)


def packed_chunk_by_chunk(chunks):
    """Packed as the drawing services store a stroke: each chunk appended to what is stored."""
    stored_points, stored = [], ""
    for chunk in chunks:
        points_json = json.dumps(stored_points, separators=(",", ":"))
        stored = packed_append(stored, chunk, last_points=last_points(points_json))
        stored_points += chunk
    return stored


class PackedPointsTests(SimpleTestCase):
    @given(strokes)
    def test_every_stroke_comes_back_exactly_with_or_without_pressure_on_each_point(self, points):
        self.assertEqual(unpacked(packed(points)), points)

    @given(st.lists(st.lists(point, min_size=1, max_size=12), max_size=8))
    def test_appending_chunk_by_chunk_gives_the_same_text_as_packing_the_whole_stroke(self, chunks):
        whole = [point for chunk in chunks for point in chunk]
        self.assertEqual(packed_chunk_by_chunk(chunks), packed(whole))

    def test_pressure_arriving_in_a_later_chunk_keeps_the_earlier_points_without_it(self):
        chunks = [[[0.1, 0.1], [0.2, 0.2]], [[0.3, 0.3, 0.5]], [[0.4, 0.4]]]
        self.assertEqual(
            unpacked(packed_chunk_by_chunk(chunks)), [[0.1, 0.1], [0.2, 0.2], [0.3, 0.3, 0.5], [0.4, 0.4]]
        )

    def test_the_corners_of_the_board_and_the_extremes_of_pressure(self):
        points = [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0], [1.0, 0.0, 0.001]]
        self.assertEqual(unpacked(packed(points)), points)

    @given(st.lists(strokes, max_size=6))
    def test_a_whole_board_unpacks_at_once_as_each_stroke_does_alone(self, board):
        texts = [packed(points) for points in board]
        self.assertEqual(unpacked_channels_many(texts), [unpacked_channels_many([text])[0] for text in texts])

    def test_a_smooth_pen_stroke_takes_about_one_character_a_number(self):
        rng = random.Random(3)
        x, y, vx, vy, points = 0.5, 0.5, 0.002, -0.001, []
        for _ in range(200):
            vx, vy = vx + rng.uniform(-0.0005, 0.0005), vy + rng.uniform(-0.0005, 0.0005)
            x, y = x + vx, y + vy
            points.append([round(x, 4), round(y, 4)])
        text = packed(points)
        self.assertEqual(unpacked(text), points)
        self.assertLess(len(text), 2 * len(points) * 1.2)
        self.assertLess(len(text), len(json.dumps(points)) / 8)

    def test_last_points_reads_only_the_end_of_the_json(self):
        self.assertEqual(last_points("[]"), [])
        self.assertEqual(last_points("[[0.1,0.2]]"), [[0.1, 0.2]])
        self.assertEqual(last_points("[[0.1,0.2],[0.3,0.4,0.5],[0.6,0.7]]"), [[0.3, 0.4, 0.5], [0.6, 0.7]])
