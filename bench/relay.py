"""
Baseline 1: a plain ASGI websocket relay, no Django.

Every text frame a connection sends is sent on to every other open
connection of this process, except a `sync`, which is answered with
`synced` (as the project answers it once the client is caught up), so a
join can be timed the same way against both. `daphne bench.relay:application`.
Plain HTTP requests get "ok", which the benchmark uses as its readiness probe.
"""

import json

SYNC_PREFIXES = ('{"type": "sync",', '{"type":"sync",')  # json.dumps's default and compact spellings

CONNECTIONS = {}  # id(send) -> send, this process's open websockets


async def application(scope, receive, send):
    if scope["type"] == "websocket":
        await websocket_relay(receive, send)
    elif scope["type"] == "http":
        await http_ok(receive, send)
    elif scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            pass


async def websocket_relay(receive, send):
    key = id(send)
    while True:
        event = await receive()
        kind = event["type"]
        if kind == "websocket.connect":
            await send({"type": "websocket.accept"})
            CONNECTIONS[key] = send
        elif kind == "websocket.receive":
            text = event.get("text")
            if text is None:
                continue
            if text.startswith(SYNC_PREFIXES):
                await send({"type": "websocket.send", "text": synced(text)})
                continue
            frame = {"type": "websocket.send", "text": text}
            for other_key, other in list(CONNECTIONS.items()):
                if other_key != key:
                    await other(frame)
        elif kind == "websocket.disconnect":
            CONNECTIONS.pop(key, None)
            return


def synced(sync_text):
    """The answer to a `sync`: `synced` with its `ref`, as the project's protocol has it."""
    ref = json.loads(sync_text).get("ref")
    return json.dumps({"type": "synced", "ref": ref, "seq": 0}, separators=(",", ":"))


async def http_ok(receive, send):
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})
