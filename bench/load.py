"""
The load generator, without Django: websocket clients, and receiver
processes that hold many connections each and timestamp every frame with
time.monotonic() (system-wide on Linux, so comparable with the sender's).

Every server is driven by these same functions, so the ratios between them
are fair. Every wait has a timeout; nothing here talks to anything but the
URLs it is given (loopback, chosen by the benchmark).
"""

import asyncio
import bisect
import contextlib
import gc
import json
import multiprocessing
import resource
import time
from dataclasses import dataclass

from websockets.asyncio.client import ClientConnection, connect

OPEN_TIMEOUT = 30
HANDSHAKE_TIMEOUT = 30
CONNECT_CONCURRENCY = 5  # per receiver process: a join storm is not what these scenarios measure
GRACE_SECONDS = 0.2  # after the expected frames, wait this long to catch duplicates


class CountingConnection(ClientConnection):
    """A client connection that counts the bytes it receives on the wire (compressed, with framing)."""

    wire_bytes = 0

    def data_received(self, data):
        self.wire_bytes += len(data)
        super().data_received(data)


async def open_socket(url, *, headers=None, compression=None, open_timeout=OPEN_TIMEOUT):
    origin = url.replace("ws://", "http://", 1).split("/ws/")[0]
    return await connect(
        url,
        origin=origin,
        additional_headers=headers or {},
        compression=compression,
        max_size=None,
        max_queue=None,
        open_timeout=open_timeout,
        ping_interval=None,
        create_connection=CountingConnection,
    )


async def receive_json(ws, timeout=HANDSHAKE_TIMEOUT):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def receive_until(ws, frame_type, timeout=HANDSHAKE_TIMEOUT):
    """Frames until one of `frame_type`; returns (it, the frames before it)."""
    deadline = time.monotonic() + timeout
    skipped = []
    while True:
        frame = await receive_json(ws, max(0.001, deadline - time.monotonic()))
        if frame.get("type") == frame_type:
            return frame, skipped
        if frame.get("type") == "error":
            raise RuntimeError(f"the server answered an error while waiting for {frame_type}: {frame}")
        skipped.append(frame)


async def open_board_client(url, *, headers, since=None):
    """A project client as the protocol says: hello, then `sync` (since the hello's seq unless given), then `synced`."""
    ws = await open_socket(url, headers=headers)
    hello, _ = await receive_until(ws, "hello")
    await ws.send(json.dumps({"type": "sync", "since": hello["seq"] if since is None else since, "ref": "sync"}))
    await receive_until(ws, "synced")
    return ws


async def open_client(target):
    """`target`: (url, headers or None, project?)."""
    url, headers, project = target
    if project:
        return await open_board_client(url, headers=headers)
    return await open_socket(url, headers=headers)


@contextlib.contextmanager
def collector_paused():
    """
    No garbage collection while a run is measured: collect before, and leave
    the rest for after. The generator's own full collections (25 to 76 ms in
    the receivers and the sender, a 2026-12-03 trace) landed inside runs and
    were counted as the server's latency, in one run and not the next.
    Nothing the generator holds during a run is a reference cycle it needs
    freed early: the frames it buffers go when their lists do.
    """
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# Receiver processes


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def frame_key(frame):
    """(seq, key): the project's events are keyed by stroke id and chunk, baseline frames by their `ref`."""
    if "seq" in frame:
        return frame["seq"], f"{frame.get('id')}/{frame.get('chunk')}"
    return None, frame.get("ref")


async def _read(ws, buffer, prefix):
    try:
        async for text in ws:
            if text.startswith(prefix):
                buffer.append((time.monotonic(), text))
    except Exception:  # the connection closed: the missing frames show in the checks
        pass


async def _receiver_main(pipe, targets, prefix):
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def opened(target):
        async with gate:
            return await open_client(target)

    try:
        sockets = await asyncio.gather(*(opened(target) for target in targets))
    except Exception as error:
        pipe.send(("error", f"{type(error).__name__}: {error}"))
        return
    buffers = [[] for _ in sockets]
    readers = [asyncio.create_task(_read(ws, buffer, prefix)) for ws, buffer in zip(sockets, buffers)]
    pipe.send(("ready", len(sockets)))
    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command[0] == "collect":
            _, expected, timeout = command
            deadline = time.monotonic() + timeout
            with collector_paused():
                while time.monotonic() < deadline and any(len(buffer) < expected for buffer in buffers):
                    await asyncio.sleep(0.01)
                await asyncio.sleep(GRACE_SECONDS)
            results = []
            for buffer in buffers:
                frames, buffer[:] = list(buffer), []
                results.append([(stamp, *frame_key(json.loads(text))) for stamp, text in frames])
            pipe.send(("collected", results))
        elif command[0] == "close":
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
            pipe.send(("closed", None))
            return


def receiver_process(pipe, targets, prefix):
    raise_fd_limit()
    asyncio.run(_receiver_main(pipe, targets, prefix))


def expect(pipe, kind, timeout):
    """The payload of a load process's next answer, which must be `kind`."""
    if not pipe.poll(timeout):
        raise RuntimeError(f"a load process did not report {kind!r} within {timeout} s")
    answer, payload = pipe.recv()
    if answer != kind:
        raise RuntimeError(f"a load process failed: {payload}")
    return payload


def stop_workers(workers):
    """Ask each (process, pipe) to close its connections, and end it if it does not."""
    for process, pipe in workers:
        try:
            pipe.send(("close",))
            if pipe.poll(10):
                pipe.recv()
        except (OSError, EOFError):
            pass
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)


class ReceiverPool:
    """
    Receiving clients spread over `processes` processes. `targets` are
    (url, headers, project?) tuples; `prefix` selects the data frames
    (presence and other frames are ignored).
    """

    def __init__(self, targets, *, prefix="", processes=2):
        self.targets = targets
        self.prefix = prefix
        count = max(1, min(processes, len(targets)))
        self.groups = [targets[index::count] for index in range(count)]
        self.workers = []

    def start(self, timeout=120):
        context = multiprocessing.get_context("spawn")
        for group in self.groups:
            ours, theirs = context.Pipe()
            process = context.Process(target=receiver_process, args=(theirs, group, self.prefix), daemon=True)
            process.start()
            self.workers.append((process, ours))
        for process, pipe in self.workers:
            expect(pipe, "ready", timeout)
        return self

    def begin_collect(self, expected, timeout):
        """Start waiting for `expected` data frames on every connection (at most `timeout` s)."""
        self.timeout = timeout
        for _, pipe in self.workers:
            pipe.send(("collect", expected, timeout))

    def finish_collect(self):
        """Per connection, a list of (receive time, seq, key)."""
        results = []
        for _, pipe in self.workers:
            results.extend(expect(pipe, "collected", self.timeout + 60))
        return results

    def close(self):
        stop_workers(self.workers)
        self.workers = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# Join storms


async def _count_frames(ws, stamps):
    """Stamp every frame until the connection closes."""
    try:
        async for _ in ws:
            stamps.append(time.monotonic())
    except Exception:  # closed: the benchmark has what it needs
        pass


async def _join(target, *, gate, stamps, sockets, readers):
    """
    One connection taken to `synced` while at most `gate` others are on the
    way: a project client waits for `hello` and sends `sync`; a baseline
    client sends `sync` as soon as its socket is open. Every frame either
    gets is stamped. Returns when it was synced.
    """
    url, headers, project = target
    async with gate:
        ws = await open_socket(url, headers=headers, open_timeout=None)
        sockets.append(ws)
        if not project:
            await ws.send(json.dumps({"type": "sync", "since": 0, "ref": "join"}))
        async for text in ws:
            stamps.append(time.monotonic())
            kind = json.loads(text).get("type")
            if kind == "hello" and project:
                await ws.send(json.dumps({"type": "sync", "since": json.loads(text)["seq"], "ref": "join"}))
            elif kind == "synced":
                synced_at = stamps[-1]
                break
            elif kind == "error":
                raise RuntimeError(f"the server answered an error while joining: {text[:200]}")
        else:
            raise RuntimeError("the server closed the connection before `synced`")
    readers.append(asyncio.create_task(_count_frames(ws, stamps)))
    return synced_at


async def _joiner_main(pipe, targets, in_flight, timeout):
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(in_flight)
    stamps, sockets, readers = [], [], []  # stamps: every frame's arrival, in order (one thread appends)

    async def joined(target):
        try:
            async with asyncio.timeout(timeout):
                return await _join(target, gate=gate, stamps=stamps, sockets=sockets, readers=readers)
        except Exception as error:
            return f"{type(error).__name__}: {error}"

    pipe.send(("ready", len(targets)))
    await loop.run_in_executor(None, pipe.recv)  # ("go",)
    cpu_before = own_cpu_seconds()
    with collector_paused():
        outcomes = await asyncio.gather(*(joined(target) for target in targets))
    pipe.send(("joined", (outcomes, own_cpu_seconds() - cpu_before)))
    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command[0] == "count":
            pipe.send(("counted", (bisect.bisect_right(stamps, command[1]), len(stamps))))
        elif command[0] == "close":
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
            pipe.send(("closed", None))
            return


def own_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def joiner_process(pipe, targets, in_flight, timeout):
    raise_fd_limit()
    asyncio.run(_joiner_main(pipe, targets, in_flight, timeout))


@dataclass
class Joined:
    """What a join storm came to: when each connection was synced (or why not), and the frames received."""

    started: float
    synced: list  # per connection: its monotonic synced time, or the error that stopped it
    client_cpu: float  # seconds the load processes spent on a CPU until they had joined
    server_cpu: float = 0.0  # seconds the server spent on a CPU during the join (the caller measures it)
    frames_until: int = 0  # received by every client until the last one was synced
    frames: int = 0  # received until counted

    @property
    def failures(self):
        return [outcome for outcome in self.synced if isinstance(outcome, str)]

    @property
    def seconds(self):
        """From the go until the last connection was synced."""
        times = [outcome for outcome in self.synced if not isinstance(outcome, str)]
        return max(times) - self.started if times else float("nan")


class JoinPool:
    """
    Clients that open `targets` ((url, headers, project?) tuples) all at once
    when told, spread over `processes` processes, each with at most
    `in_flight` connections between their connect and their `synced`.
    """

    def __init__(self, targets, *, in_flight, processes=2, timeout=120):
        count = max(1, min(processes, len(targets)))
        self.groups = [targets[index::count] for index in range(count)]
        self.in_flight = in_flight
        self.timeout = timeout
        self.workers = []

    def start(self):
        """The processes, started and waiting for the go (starting them is not part of the join)."""
        context = multiprocessing.get_context("spawn")
        for group in self.groups:
            ours, theirs = context.Pipe()
            process = context.Process(
                target=joiner_process, args=(theirs, group, self.in_flight, self.timeout), daemon=True
            )
            process.start()
            self.workers.append((process, ours))
        for _, pipe in self.workers:
            expect(pipe, "ready", 60)
        return self

    def join(self):
        """Every connection opened and synced: a Joined, its frames not yet counted."""
        started = time.monotonic()
        for _, pipe in self.workers:
            pipe.send(("go",))
        synced, client_cpu = [], 0.0
        for _, pipe in self.workers:
            outcomes, cpu = expect(pipe, "joined", self.timeout + 60)
            synced.extend(outcomes)
            client_cpu += cpu
        return Joined(started=started, synced=synced, client_cpu=client_cpu)

    def count(self, joined):
        """Count the frames received: until the last `synced`, and until now."""
        ends = [outcome for outcome in joined.synced if not isinstance(outcome, str)]
        until = max(ends) if ends else joined.started
        joined.frames_until = joined.frames = 0
        for _, pipe in self.workers:
            pipe.send(("count", until))
        for _, pipe in self.workers:
            before, total = expect(pipe, "counted", 60)
            joined.frames_until += before
            joined.frames += total
        return joined

    def close(self):
        stop_workers(self.workers)
        self.workers = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
