"""Helpers the HTTP benchmarks share: `habeas serve` on a free loopback port, and a bounded
keep-alive HTTP/1.1 client over raw sockets (bench/locator.py, bench/load.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def habeas_command() -> str:
    """habeas_command: the `habeas` console script of the interpreter running the bench."""
    return str(Path(sys.executable).parent / "habeas")


class Connection:
    """Connection: one keep-alive HTTP/1.1 connection that sends requests and reads whole
    responses (Content-Length or chunked)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def get(self, path: str) -> int:
        return self.request("GET", path)[0]

    def request(self, method: str, path: str, headers: Mapping[str, str] | None = None,
                body: bytes | None = None) -> tuple[int, bytes]:
        """request sends one request and returns its status and body."""
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for name, value in (headers or {}).items():
            head += f"{name}: {value}\r\n"
        if body is not None:
            head += f"Content-Length: {len(body)}\r\n"
        self.sock.sendall(head.encode() + b"\r\n" + (body or b""))
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        raw, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = raw.split(b"\r\n")
        status = int(lines[0].split()[1])
        fields = {k.strip().lower(): v.strip()
                  for k, _, v in (line.partition(b":") for line in lines[1:])}
        if fields.get(b"transfer-encoding", b"").lower() == b"chunked":
            return status, self._chunked()
        length = int(fields.get(b"content-length", b"0"))
        while len(self.buffer) < length:
            self.buffer += self._recv()
        content, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, content

    def _chunked(self) -> bytes:
        content = b""
        while True:
            while b"\r\n" not in self.buffer:
                self.buffer += self._recv()
            size_line, _, self.buffer = self.buffer.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            while len(self.buffer) < size + 2:
                self.buffer += self._recv()
            content += self.buffer[:size]
            self.buffer = self.buffer[size + 2:]
            if size == 0:
                return content

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk

    def close(self) -> None:
        self.sock.close()


@dataclass
class Phase:
    name: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def serve(database_url: str, port: int, folder: Path, extra_env: Mapping[str, str] | None = None,
          timeout_s: float = 30) -> subprocess.Popen[bytes]:
    """serve starts `habeas serve` on DATABASE_URL at 127.0.0.1:PORT, keys in FOLDER/data and
    its output in FOLDER/server.log, with the locator's rate limit switched off by its explicit
    setting, and returns once /healthz answers 200."""
    env = {**os.environ, "HABEAS_DATABASE_URL": database_url,
           "HABEAS_DATA_DIR": str(folder / "data"),
           "HABEAS_LOCATOR_RATE_LIMIT": "0",  # the explicit switch, benchmarks only
           **(extra_env or {})}
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen([habeas_command(), "serve", "--port", str(port)], env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            conn = Connection(port)
            ok = conn.get("/healthz") == 200
            conn.close()
            if ok:
                return server
        except OSError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise RuntimeError(f"habeas serve did not start: see {folder / 'server.log'}")
        time.sleep(0.2)


def stop(server: subprocess.Popen[bytes], timeout_s: float = 10) -> None:
    """stop ends the server started by serve (SIGTERM, then SIGKILL if it hangs)."""
    server.terminate()
    try:
        server.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
