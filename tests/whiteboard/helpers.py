"""What the whiteboard test modules share: a board with members and connected clients."""

import json

from tests.support import receive_frame, receive_until, websocket_for
from whiteboard.points import unpacked


def snapshot_strokes(snapshot_json):
    """The strokes of a snapshot's JSON text as a client holds them: one dict per stroke, points unpacked."""
    columns = json.loads(snapshot_json)["strokes"]
    return [
        {**dict(zip(columns, values)), "points": unpacked(values[-1])}
        for values in zip(*columns.values(), strict=True)
    ]


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
