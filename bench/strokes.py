"""
Stroke traffic: the chunks a drawing client sends, a sender that sends them
(pipelined or paced), and the checks and figures computed from what the
receivers got.

The project gets the documented `stroke` command; the baselines get the same
frame (same size), keyed by its `ref`, which they relay untouched.
"""

import asyncio
import json
import random
import statistics
import time
from dataclasses import dataclass, field

from bench.load import receive_json

ACK_TIMEOUT = 60
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]


@dataclass
class Message:
    index: int
    key: object  # how receivers name it: "id/chunk" for the project, the ref for baselines
    text: str


def stroke_messages(count, *, points_per_chunk, chunks_per_stroke, tag, project, seed=7):
    """`count` chunks of strokes drawn as a random walk; a new stroke every `chunks_per_stroke` chunks."""
    rng = random.Random(seed)
    messages = []
    x = y = 0.5
    for index in range(count):
        stroke, chunk = divmod(index, chunks_per_stroke)
        stroke_id = f"{tag}-{stroke}"
        points = []
        for _ in range(points_per_chunk):
            x = min(0.99, max(0.01, x + rng.uniform(-0.01, 0.01)))
            y = min(0.99, max(0.01, y + rng.uniform(-0.01, 0.01)))
            points.append([round(x, 4), round(y, 4)])
        frame = {
            "type": "stroke", "ref": index, "id": stroke_id, "chunk": chunk, "tool": "pen",
            "color": PALETTE[stroke % len(PALETTE)], "width": 3, "points": points,
        }
        key = f"{stroke_id}/{chunk}" if project else index
        messages.append(Message(index, key, json.dumps(frame, separators=(",", ":"))))
    return messages


@dataclass
class Sent:
    times: dict = field(default_factory=dict)  # index -> monotonic time it was handed to the socket
    acks: dict = field(default_factory=dict)  # ref -> seq
    errors: list = field(default_factory=list)


async def send_messages(ws, messages, *, rate=None, expect_acks=False):
    """Send `messages` as fast as possible (rate None) or `rate` a second; with the project, gather the acks."""
    sent = Sent()
    reader = asyncio.create_task(_read_acks(ws, sent, len(messages))) if expect_acks else None
    start = time.monotonic()
    for number, message in enumerate(messages):
        if rate:
            delay = start + number / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        sent.times[message.index] = time.monotonic()
        await ws.send(message.text)
    if reader is not None:
        try:
            await asyncio.wait_for(reader, ACK_TIMEOUT)
        except asyncio.TimeoutError:
            sent.errors.append(f"only {len(sent.acks)} of {len(messages)} acks within {ACK_TIMEOUT} s")
    return sent


async def _read_acks(ws, sent, expected):
    while len(sent.acks) + len(sent.errors) < expected:
        frame = await receive_json(ws, ACK_TIMEOUT)
        if frame.get("type") == "ack":
            sent.acks[frame["ref"]] = frame["seq"]
        elif frame.get("type") == "error":
            sent.errors.append(f"{frame.get('code')}: {frame.get('message')}")


@dataclass
class Outcome:
    deliveries: int
    seconds: float
    latencies: list  # seconds, one per delivery
    problems: list

    @property
    def per_second(self):
        return self.deliveries / self.seconds if self.seconds > 0 else 0.0

    @property
    def ok(self):
        return not self.problems

    def percentile(self, fraction):
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def check(self):
        return "OK" if self.ok else "FAIL: " + "; ".join(self.problems[:3])


def analyse(messages, sent, received, *, project):
    """Every receiver got every message once, in order (by seq for the project, by index for baselines)."""
    problems = []
    index_of = {message.key: message.index for message in messages}
    expected = len(messages)
    latencies = []
    last_seen = 0.0
    for number, frames in enumerate(received):
        indexes = [index_of.get(key) for _, _, key in frames]
        if None in indexes:
            problems.append(f"receiver {number} got frames it was not sent")
            continue
        if len(frames) != expected or len(set(indexes)) != len(indexes):
            problems.append(f"receiver {number} got {len(frames)} frames ({len(set(indexes))} distinct) of {expected}")
        if project:
            seqs = [seq for _, seq, _ in frames]
            if seqs != sorted(set(seqs)):
                problems.append(f"receiver {number} got seqs out of order or twice")
        if indexes != sorted(indexes):
            problems.append(f"receiver {number} got messages out of order")
        for (stamp, _, _), index in zip(frames, indexes):
            latencies.append(stamp - sent.times[index])
            last_seen = max(last_seen, stamp)
    if project:
        if len(sent.acks) != expected:
            problems.append(f"{len(sent.acks)} of {expected} chunks acked")
        problems.extend(f"sender got error {error}" for error in sent.errors[:3])
    first_send = min(sent.times.values())
    return Outcome(len(latencies), max(0.0, last_seen - first_send), latencies, _unique(problems))


def _unique(items):
    return list(dict.fromkeys(items))


def milliseconds(seconds):
    return round(seconds * 1000, 1)


def median(values):
    return statistics.median(values) if values else float("nan")
