"""A real redis-server on a free loopback port, started and stopped by the tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
from pathlib import Path

import pytest


def redis_binary() -> str:
    """The redis-server path; under CI=true its absence fails the run instead of skipping."""
    path = shutil.which("redis-server")
    if path is None:
        message = "redis-server is not installed (`make test` installs it when run as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; under CI=true the Redis tests must run")
        pytest.skip(message)
    return path


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` distinct free loopback ports (all held at once while they are chosen)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class RedisServer:
    """One redis-server process; ``stop()`` and ``start()`` again keep the same port."""

    def __init__(self, directory: Path, *extra: str, ready: str = "Ready to accept") -> None:
        self.binary = redis_binary()
        self.directory = directory
        self.port = free_port()
        self.extra = list(extra)
        self.ready = ready
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.directory),
            "--loglevel",
            "notice",
            *self.extra,
        ]
        return self.launch(command)

    def launch(self, command: list[str]) -> RedisServer:
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._seen = threading.Condition()
        self._drainer = threading.Thread(target=self._drain, args=(self.process,), daemon=True)
        self._drainer.start()
        self.wait_for_line(self.ready)
        return self

    def _drain(self, process: subprocess.Popen[str]) -> None:
        """Read the server's log as it comes (a full pipe would stop the server)."""
        assert process.stdout is not None
        for line in process.stdout:
            with self._seen:
                self.lines.append(line)
                self._seen.notify_all()
        with self._seen:
            self.lines.append("<exited>")
            self._seen.notify_all()

    def wait_for_line(self, text: str, timeout: float = 60, after: int = 0) -> int:
        """Block until the log has a line with ``text`` (after line ``after``): its index."""

        def found() -> int | None:
            for index in range(after, len(self.lines)):
                if text in self.lines[index]:
                    return index
            return None

        with self._seen:
            if not self._seen.wait_for(
                lambda: found() is not None or "<exited>" in self.lines[-1:], timeout
            ):
                raise RuntimeError(f"no {text!r} in the log:\n" + "".join(self.lines[-20:]))
            index = found()
        if index is None:
            raise RuntimeError(f"exited before {text!r}:\n" + "".join(self.lines[-20:]))
        return index

    def kill(self) -> None:
        """``kill -9``: no shutdown save, whatever the persistence settings."""
        if self.process is not None:
            self.process.kill()
        self.stop()

    def freeze(self) -> None:
        """SIGSTOP: connections stay open, nothing is answered (until ``thaw``)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=30)
            self._drainer.join(timeout=30)
            assert self.process.stdout is not None
            self.process.stdout.close()
            self.process = None
