"""
Fault-injection parts for the reliability tests: a TCP proxy that can cut a
service off and bring it back, and real daphne processes (bench.servers),
which tests drive with tests.sockets.BoardSocket.
"""

import socket
import tempfile
import threading

from django.conf import settings
from django.db import connection

from bench.servers import HOST, Server, base_environment, free_port

TIMEOUT = 20


class TcpProxy:
    """
    Forwards 127.0.0.1:<port> to a target address, in threads. `cut()` closes
    the listening socket and every open connection, so the service looks
    down (connections refused); `restore()` listens on the same port again.
    """

    def __init__(self, target_port, target_host="127.0.0.1"):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.listener = None
        self.sockets = set()
        self.lock = threading.Lock()

    def start(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self.accept, args=(listener,), daemon=True).start()
        return self

    def accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(source, sink), daemon=True).start()

    def pump(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                self.close_socket(end)

    def close_socket(self, end):
        with self.lock:
            self.sockets.discard(end)
        try:
            end.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        end.close()

    def cut(self):
        if self.listener is not None:
            try:
                self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            except OSError:
                pass
            self.listener.close()
            self.listener = None
        with self.lock:
            open_sockets = list(self.sockets)
        for end in open_sockets:
            self.close_socket(end)

    def restore(self):
        return self.start()

    def stop(self):
        self.cut()


def postgres_url(*, port=None):
    """The test database's URL, optionally through another port (a proxy)."""
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{port or db['PORT'] or 5432}/{db['NAME']}"


def shared_database_url():
    """The test database for a server process: PostgreSQL's URL, or the SQLite test file (WAL: shareable)."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{connection.settings_dict['NAME']}"
    return postgres_url()


def server_environment(**extra):
    return {
        **base_environment(),
        "SECRET_KEY": settings.SECRET_KEY,
        "LOG_LEVEL": "WARNING",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        **extra,
    }


def start_server(test, name, environment):
    """A real daphne process, stopped when the test ends."""
    log_dir = tempfile.mkdtemp(prefix=f"boardsite-reliability-{name}-")
    server = Server(name=name, application="boardsite.asgi:application", environment=environment, log_dir=log_dir)
    server.start()
    test.addCleanup(server.stop)
    return server


