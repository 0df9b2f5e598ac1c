"""What the whiteboard test modules share: a board with members and connected clients."""

import gzip
import json
import re
import warnings
import xml.etree.ElementTree as ElementTree

from tests.support import receive_frame, receive_until, websocket_for
from whiteboard.points import unpacked


VISIBILITY_FIELDS = ("created", "hidden", "hidden_by")


def snapshot_strokes(snapshot_json, *, hidden_too=False):
    """
    The visible strokes of a snapshot's JSON text as a client shows them: one
    dict per stroke (the fields of a stroke, docs/protocol.md), points
    unpacked. `hidden_too`: every stroke, with its visibility fields.
    """
    columns = json.loads(snapshot_json)["strokes"]
    strokes = [
        {**dict(zip(columns, values)), "points": unpacked(values[-1])}
        for values in zip(*columns.values(), strict=True)
    ]
    if hidden_too:
        return strokes
    return [
        {name: value for name, value in stroke.items() if name not in VISIBILITY_FIELDS}
        for stroke in strokes
        if not stroke["hidden"]
    ]


def response_body(response):
    """A response's body as sent, read whole, and gunzipped if it was gzipped."""
    if response.streaming:
        with warnings.catch_warnings():  # the test client reads an async stream in one go, and says so
            warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume asynchronous iterators")
            body = b"".join(response)
    else:
        body = response.content
    return gzip.decompress(body) if response.get("Content-Encoding") == "gzip" else body


def export_svg(client, url, **headers):
    """GET an SVG export: (response, its text)."""
    response = client.get(url, **headers)
    return response, response_body(response).decode()


SVG = "{http://www.w3.org/2000/svg}"
_PATH_COMMAND = re.compile(r"([MLQTmlqt])([^MLQTmlqt]*)")
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)")


def path_points(d):
    """
    The points a path of the export's subset (M, then relative q, t, l)
    passes through or is pulled by, absolute and in board pixels:
    [(command, x, y)] for each end point and control point.
    """
    points, x, y, control = [], 0.0, 0.0, None
    for letter, numbers in _PATH_COMMAND.findall(d):
        values = [float(number) for number in _NUMBER.findall(numbers)]
        relative = letter.islower()
        size = {"m": 2, "l": 2, "q": 4, "t": 2}[letter.lower()]
        for index in range(0, len(values), size):
            chunk = values[index : index + size]
            if relative:
                chunk = [value + (x if position % 2 == 0 else y) for position, value in enumerate(chunk)]
            if letter.lower() == "q":
                control = (chunk[0], chunk[1])
                points.append(("control", chunk[0] / 2, chunk[1] / 2))
            elif letter.lower() == "t":
                control = (2 * x - control[0], 2 * y - control[1])
                points.append(("control", control[0] / 2, control[1] / 2))
            x, y = chunk[-2], chunk[-1]
            points.append((letter.upper(), x / 2, y / 2))
    return points


def svg_drawing(svg_text):
    """
    The elements an export draws, in order, each a dict of its tag and its
    attributes with those of the groups it is in (stroke, width, opacity).
    Coordinates stay as written: half board pixels.
    """
    root = ElementTree.fromstring(svg_text)
    drawing = root.find(f"{SVG}g")
    assert drawing is not None and drawing.get("transform") == "scale(.5)", "no drawing group"
    elements = []
    for group in drawing.findall(f"{SVG}g"):
        for element in group:
            elements.append({"tag": element.tag.removeprefix(SVG), **drawing.attrib, **group.attrib, **element.attrib})
    return root, elements


def stroke_message(stroke_id="s1", *, chunk=0, points=None, ref=None, color="#1f6feb", width=4, tool="pen"):
    message = {
        "type": "stroke",
        "id": stroke_id,
        "chunk": chunk,
        "tool": tool,
        "color": color,
        "width": width,
        "points": points if points is not None else [[0.1, 0.1], [0.2, 0.25]],
    }
    if ref is not None:
        message["ref"] = ref
    return message


def shape_message(stroke_id="r1", *, shape="rect", **fields):
    """A `shape` message: a rectangle unless told, with `fields` (fill, opacity, dash, heads...) added."""
    return {
        "type": "shape", "id": stroke_id, "shape": shape, "color": "#2f9e44", "width": 6,
        "points": [[0.1, 0.2], [0.4, 0.6]], **fields,
    }


def text_message(stroke_id="t1", *, kind="text", text="Hello\nworld", **fields):
    """A `text` message: a text unless told (or a sticky note), with `fields` added."""
    return {
        "type": "text", "id": stroke_id, "kind": kind, "color": "#1b1e2b", "text": text, "size": 24,
        "points": [[0.2, 0.2], [0.3, 0.25]], **fields,
    }


async def join(board, user, *, since=None):
    """A connected, synced client; returns (communicator, hello frame)."""
    communicator = await websocket_for(f"/ws/whiteboard/{board.slug}/", user=user)
    connected, _ = await communicator.connect()
    assert connected, "the websocket was refused"
    hello = await receive_frame(communicator)
    assert hello["type"] == "hello", hello
    await communicator.send_json_to({"type": "sync", "since": hello["seq"] if since is None else since})
    await receive_until(communicator, "synced")
    return communicator, hello


async def command(communicator, message):
    """Send a command and return the answer to its ref (ack or error), skipping other frames."""
    message = {**message, "ref": message.get("ref", "r-test")}
    await communicator.send_json_to(message)
    while True:
        frame = await receive_frame(communicator)
        if frame["type"] in ("ack", "error") and frame.get("ref") == message["ref"]:
            return frame


async def send_raw(communicator, text):
    """Send a frame as it is and return the error it earns (skipping presence and the like)."""
    await communicator.send_to(text_data=text)
    error, _ = await receive_until(communicator, "error")
    return error


async def closed_with(communicator):
    """
    The code the server closed the socket with, skipping the frames before it.
    The client then hangs up as a browser would, so the consumer ends in this
    test's event loop (one left receiving on channels-redis breaks the next test).
    """
    while True:
        output = await communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            await communicator.disconnect()
            return output["code"]
