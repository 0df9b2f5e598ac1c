"""
The servers under test: real daphne processes on free loopback ports, with
their environment given explicitly, stopped at the end whatever happens.
"""

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DAPHNE = str(Path(sys.executable).with_name("daphne"))
HOST = "127.0.0.1"
READY_TIMEOUT = 30

# The per-connection rate limit would drop a pipelined benchmark's frames, and
# the per-user connection cap a crowd of 1,000 connections made by 10 users, so
# capacity runs raise them (docs/performance.md says so beside every figure).
UNLIMITED_RATE = {
    "REALTIME_MAX_CONNECTIONS_PER_USER": "1000000",
    "REALTIME_RATE_PER_SECOND": "1000000",
    "REALTIME_RATE_BURST": "1000000",
    "REALTIME_USER_RATE_PER_SECOND": "1000000",
    "REALTIME_USER_RATE_BURST": "1000000",
}


def die_with_parent():
    """In the child before exec: get SIGTERM if the benchmark dies without stopping us (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def base_environment():
    """What every server gets: no inherited DATABASE_URL/REDIS_URL, nothing implicit."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")
    environment = {name: os.environ[name] for name in keep if name in os.environ}
    environment["PYTHONPATH"] = str(BASE_DIR)
    return environment


class Server:
    """One daphne process serving `application`; `name` labels its log file and the table."""

    def __init__(self, *, name, application, environment, log_dir):
        self.name = name
        self.application = application
        self.environment = environment
        self.log_path = Path(log_dir) / f"{name}-{int(time.time() * 1000)}.log"
        self.port = None
        self.process = None

    @property
    def http_url(self):
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self):
        return f"ws://{HOST}:{self.port}"

    @property
    def pid(self):
        return self.process.pid

    def start(self):
        self.port = free_port()
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [DAPHNE, "-b", HOST, "-p", str(self.port), self.application],
            cwd=BASE_DIR,
            env=self.environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl+C reaches the benchmark, which stops us itself
            preexec_fn=die_with_parent,
        )
        log.close()
        self.wait_ready()
        return self

    def wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5) as probe:
                    probe.sendall(f"GET /healthz HTTP/1.0\r\nHost: {HOST}\r\n\r\n".encode())
                    if probe.recv(12).startswith(b"HTTP/1."):
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {READY_TIMEOUT} s; see {self.log_path}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self):
        """A fresh process (nothing cached), on a new port."""
        self.stop()
        return self.start()

    def rss_bytes(self):
        return rss_bytes(self.pid)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def rss_bytes(pid):
    """Resident memory of `pid` (VmRSS in /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid):
    """User plus system CPU time `pid` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Scheduling:
    """What the kernel counted for a process's threads together (/proc/<pid>/task/*/schedstat)."""

    running: float  # seconds on a CPU
    waiting: float  # seconds runnable but waiting for a CPU
    switches: int  # times a thread was switched in

    def __sub__(self, other):
        return Scheduling(self.running - other.running, self.waiting - other.waiting, self.switches - other.switches)

    def __add__(self, other):
        return Scheduling(self.running + other.running, self.waiting + other.waiting, self.switches + other.switches)


def scheduling(pids):
    """
    The threads of `pids`, counted together, or None where the kernel keeps
    no schedstat (not Linux, or a kernel built without it). A thread that
    waits for another's GIL is switched out and back in: the switches show
    the hand-overs between a server's threads, the waiting what the machine
    made them wait on top.
    """
    total = Scheduling(0.0, 0.0, 0)
    for pid in pids:
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            return None
        for task in tasks:
            try:
                running, waiting, switches = (task / "schedstat").read_text().split()
            except FileNotFoundError:  # the thread has just ended
                continue
            except (OSError, ValueError):
                return None
            total += Scheduling(int(running) / 1e9, int(waiting) / 1e9, int(switches))
    return total


def wait_until_idle(pids, *, busy_below=0.1, interval=0.25, timeout=60):
    """
    Wait until the server processes use less than `busy_below` of a core over
    two `interval`s running, so a scenario starts once the connections'
    set-up work (joins, presence, catch-up) is done. Returns the seconds waited.
    """
    started = time.monotonic()
    quiet = 0
    last = sum(cpu_seconds(pid) for pid in pids)
    while time.monotonic() - started < timeout and quiet < 2:
        time.sleep(interval)
        now = sum(cpu_seconds(pid) for pid in pids)
        quiet = quiet + 1 if (now - last) / interval < busy_below * len(pids) else 0
        last = now
    return time.monotonic() - started
