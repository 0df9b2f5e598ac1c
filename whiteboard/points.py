"""
The packed form of a stroke's points: what the snapshot sends instead of JSON.

A board of 10,000 strokes is half a million points; as JSON floats they are
9 MB (2.5 MB gzipped). Points are exact integers in disguise (coordinates in
1/10,000 of the board, pressure in 1/1,000, docs/protocol.md), and a pen moves
smoothly, so each coordinate is well predicted by the two before it. The
packed form stores, per point, the error of that prediction:

- a stroke has two channels, x and y, and a third, pressure, when any of its
  points has one; a point without pressure in such a stroke holds -1 there,
  so a stroke that mixes [x, y] and [x, y, p] points comes back exactly;
- per channel, the first value is stored as is, the second as the change
  from the first, every later one as the change of that change (a second
  difference: small while the pen turns gently);
- each number is zig-zagged (0, -1, 1, -2 ... become 0, 1, 2, 3 ...) and
  written little-endian in 5-bit digits, one character each: every digit but
  the last from `MORE`, the last from `LAST`; numbers of the point follow one
  another (x, y[, pressure]), points follow in order;
- a stroke with a pressure channel starts with `PRESSURE_MARK`.

The characters need no escaping in JSON, and a smooth stroke costs about one
character per number before compression. Appending a chunk appends
characters (`packed_append`), so the stored form is always ready to send.
"""

import json
import re
from itertools import accumulate, chain

COORDINATE_SCALE = 10_000
PRESSURE_SCALE = 1_000
NO_PRESSURE = -1
LAST = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
MORE = "ghijklmnopqrstuvwxyz0123456789-_"
PRESSURE_MARK = "~"

_NUMBER = re.compile(f"[{re.escape(MORE)}]*[{LAST}]")


def _zigzag_digits(zigzag):
    out = []
    while zigzag >= 32:
        out.append(MORE[zigzag & 31])
        zigzag >>= 5
    out.append(LAST[zigzag])
    return "".join(out)


# The digits of every number of one or two digits, worked out once: nearly
# every number of a smooth stroke is one of them, and packing runs in every
# batch of stroke chunks.
_SHORT_DIGITS = [_zigzag_digits(zigzag) for zigzag in range(32 * 32)]


def _digits(number):
    zigzag = number * 2 if number >= 0 else -number * 2 - 1
    return _SHORT_DIGITS[zigzag] if zigzag < 1024 else _zigzag_digits(zigzag)


def _channels(points, with_pressure):
    xs = [round(point[0] * COORDINATE_SCALE) for point in points]
    ys = [round(point[1] * COORDINATE_SCALE) for point in points]
    if not with_pressure:
        return [xs, ys]
    return [xs, ys, [round(point[2] * PRESSURE_SCALE) if len(point) > 2 else NO_PRESSURE for point in points]]


def _encode(channels, tail):
    """
    The characters of `channels` (lists of integers, one per channel, equally
    long) continuing after `tail`: per channel the last two values before
    them (fewer at the start of a stroke).
    """
    encoded = []
    for channel, before in zip(channels, tail):
        values = [*before[-2:], *channel]
        start = len(values) - len(channel)
        differences = []
        for index in range(start, len(values)):
            if index == 0:
                differences.append(values[0])
            elif index == 1:
                differences.append(values[1] - values[0])
            else:
                differences.append(values[index] - 2 * values[index - 1] + values[index - 2])
        encoded.append(differences)
    return "".join(map(_digits, chain.from_iterable(zip(*encoded))))


def packed(points):
    """The packed form of a whole list of [x, y] or [x, y, pressure] points."""
    with_pressure = any(len(point) > 2 for point in points)
    channels = _channels(points, with_pressure)
    return (PRESSURE_MARK if with_pressure else "") + _encode(channels, [[] for _ in channels])


def packed_append(stored, new_points, *, last_points):
    """
    `stored` (a packed stroke) with `new_points` after it: the same text as
    packing all the points at once. `last_points` are the stroke's last two
    stored points (or all, if it has fewer), which the differences continue from.
    """
    if not new_points:
        return stored
    with_pressure = stored.startswith(PRESSURE_MARK)
    if not with_pressure and any(len(point) > 2 for point in new_points):
        stored = _with_pressure_channel(stored)
        with_pressure = True
    tail = _channels(last_points, with_pressure)
    return stored + _encode(_channels(new_points, with_pressure), tail)


def _with_pressure_channel(stored):
    """A packed stroke without pressure given a pressure channel of 'none' (-1, then no change) at every point."""
    numbers = _NUMBER.findall(stored)
    pressure = [_digits(NO_PRESSURE)] + [_digits(0)] * (len(numbers) // 2 - 1)
    return PRESSURE_MARK + "".join(x + y + p for x, y, p in zip(numbers[0::2], numbers[1::2], pressure))


# Decoding works on bytes, a whole board at once, so that nearly all of it
# runs in C (translate, regular expressions, map, accumulate) and Python
# touches each stroke and each number of several digits only once: a board of
# 500,000 points decodes in a fraction of the time a loop over its characters
# takes. Strokes are joined with `_BETWEEN`; every number of several digits is
# replaced by `_LONG_MARK`, so that each byte left is one number, and its
# value is put in afterwards.
_DIGIT_VALUES = bytes.maketrans((LAST + MORE).encode(), bytes(range(64)))
_BETWEEN = "|"
_LONG_NUMBER = re.compile(rb"[\x20-\x3f]+[\x00-\x1f]")
_LONG_MARK = b"@"
_LONG_MARKS = re.compile(re.escape(_LONG_MARK))
_STROKE_ENDS = re.compile(re.escape(_BETWEEN.encode()))
_ONE_DIGIT = [(digit >> 1) ^ -(digit & 1) for digit in range(32)] + [None] * (256 - 32)


class _LongNumbers(dict):
    """The digits of a number longer than one digit to its value, worked out on first sight."""

    def __missing__(self, digits):
        zigzag = 0
        for digit in reversed(digits):
            zigzag = zigzag * 32 + (digit & 31)
        value = self[digits] = (zigzag >> 1) ^ -(zigzag & 1)
        return value


_long_numbers = _LongNumbers()


def unpacked_channels_many(texts):
    """
    The integer channels of each packed stroke in `texts`: per stroke
    [xs, ys] or [xs, ys, pressures] (coordinates in 1/10,000, pressure in
    1/1,000, -1 for none).
    """
    data = _BETWEEN.join(texts).encode().translate(_DIGIT_VALUES, PRESSURE_MARK.encode())
    one_number_a_byte = _LONG_NUMBER.sub(_LONG_MARK, data)
    numbers = list(map(_ONE_DIGIT.__getitem__, one_number_a_byte))
    long_values = map(_long_numbers.__getitem__, _LONG_NUMBER.findall(data))
    for mark, value in zip(_LONG_MARKS.finditer(one_number_a_byte), long_values):
        numbers[mark.start()] = value
    ends = [between.start() for between in _STROKE_ENDS.finditer(one_number_a_byte)] + [len(numbers)]
    strokes = []
    start = 0
    for text, end in zip(texts, ends):
        count = 3 if text.startswith(PRESSURE_MARK) else 2
        strokes.append(
            [
                list(accumulate(accumulate(numbers[start + count + channel : end : count]), initial=numbers[start + channel]))
                if end > start
                else []
                for channel in range(count)
            ]
        )
        start = end + 1
    return strokes


def unpacked(text):
    """The points of a packed stroke, exactly as they were stored: [x, y] or [x, y, pressure] lists."""
    (channels,) = unpacked_channels_many([text])
    xs = [x / COORDINATE_SCALE for x in channels[0]]
    ys = [y / COORDINATE_SCALE for y in channels[1]]
    if len(channels) == 2:
        return [[x, y] for x, y in zip(xs, ys)]
    return [
        [x, y] if pressure == NO_PRESSURE else [x, y, pressure / PRESSURE_SCALE]
        for x, y, pressure in zip(xs, ys, channels[2])
    ]


def last_points(points_json, count=2):
    """The last `count` points of a compact JSON array of points, without parsing the rest of it."""
    start = len(points_json) - 1
    for _ in range(count):
        start = points_json.rfind("[", 0, start)
        if start <= 0:
            return json.loads(points_json)
    return json.loads("[" + points_json[start:])
