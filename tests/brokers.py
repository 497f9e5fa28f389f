"""Brokers a test may take down, and a Celery worker process to run on them.

Never the shared Redis or RabbitMQ: a test gets a redis-server of its own on a free port, or a TCP
proxy in front of the shared RabbitMQ that it cuts. The worker is `celery -A config worker`, the
Procfile's command, in a process of its own (its process id is what "keeps running" means).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout: float, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout} s waiting for {message}")


class RedisServer:
    """A redis-server of the test's own. Its append-only file is fsynced on every write, so a
    restart after a kill keeps the queues, as a production Redis with persistence does."""

    available = shutil.which("redis-server") is not None

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, timeout=10, message=f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """An abrupt outage: the server dies with every connection open."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    # The outage interface shared with TcpProxy.
    cut = kill
    restore = start
    stop = kill


class TcpProxy:
    """A TCP proxy in front of a shared server: cutting it drops every connection through it and
    refuses new ones until it is restored, which is a broker outage for whoever connects here."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut or stopped
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets.update((client, server))
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    restore = start
    stop = cut


class WorkerProcess:
    """`celery -A config worker` (prefork, as the Procfile runs it) on `broker_url`, with `queue` as its
    queue (CELERY_TASK_DEFAULT_QUEUE: what it consumes, and where the tasks it queues go)."""

    def __init__(self, *, broker_url: str, queue: str, env: dict, log: Path, concurrency: int = 2):
        self.log = log
        command = [sys.executable, "-m", "celery", "-A", "config", "worker",
                   "-n", f"test-{uuid.uuid4().hex[:8]}@%h", "--loglevel=INFO", f"--concurrency={concurrency}"]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env={**env, "CELERY_BROKER_URL": broker_url, "CELERY_TASK_DEFAULT_QUEUE": queue},
            start_new_session=True, stdout=log.open("w"), stderr=subprocess.STDOUT)
        self.pid = self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, timeout: float = 60) -> None:
        def ready():
            assert self.alive(), self.output()[-3000:]
            return " ready." in self.output()

        wait_until(ready, timeout=timeout, interval=0.2, message="the worker to say it is ready")

    def kill(self) -> None:
        """The whole worker dies at once (its main process and its pool), as on a lost machine."""
        if self.alive():
            os.killpg(self.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
