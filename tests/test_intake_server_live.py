"""The intake server as deployed: ``cockpit webhooks`` (uvicorn) in its own process on a loopback port,
over the real database. A chunked 200 MB body is really sent and refused early with the server's memory
flat; X-Forwarded-For from loopback is not believed unless the proxy is configured as trusted."""

from __future__ import annotations

import base64
import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

MB = 1024 * 1024
RESEND_SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Live:
    def __init__(self, proc: subprocess.Popen[bytes], port: int) -> None:
        self.proc, self.port = proc, port
        self.url = f"http://127.0.0.1:{port}"

    def peak_rss(self) -> int:
        """The server process's peak resident memory (VmHWM), in bytes."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmHWM")


@pytest.fixture
def serve(db_url: str, tmp_path: Path) -> Iterator:  # type: ignore[type-arg]
    procs: list[subprocess.Popen[bytes]] = []

    def start(**env: str) -> Live:
        port = _free_port()
        full = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
        full.update(COCKPIT_DATABASE_URL=db_url, COCKPIT_DATA_DIR=str(tmp_path / "data"),
                    COCKPIT_RESEND_WEBHOOK_SECRET=RESEND_SECRET,
                    COCKPIT_QUILL_WEBHOOK_SECRETS='{"bezeliq": "quill-secret-for-bezeliq"}', **env)
        proc = subprocess.Popen([sys.executable, "-m", "cockpit", "webhooks", "--host", "127.0.0.1", "--port", str(port)],
                                env=full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        procs.append(proc)
        live = Live(proc, port)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"cockpit webhooks exited: {proc.stdout.read().decode()}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{live.url}/healthz", timeout=1).status_code == 200:
                    return live
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("cockpit webhooks did not start")

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _post_chunked(port: int, path: str, total: int, chunk: int = 256 * 1024) -> tuple[bytes, int]:
    """POST ``total`` bytes with Transfer-Encoding: chunked, checking before each chunk whether the
    server has answered. Returns (the response's first bytes, bytes of body sent)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sent, answer = 0, b""
    piece = b"%x\r\n" % chunk + b"[" * chunk + b"\r\n"
    try:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        while sent < total:
            if select.select([sock], [], [], 0)[0]:
                break
            try:
                sock.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += chunk
        else:
            sock.sendall(b"0\r\n\r\n")
        sock.settimeout(10)
        try:
            while b"\r\n\r\n" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except (ConnectionResetError, TimeoutError):
            pass
    finally:
        sock.close()
    return answer, sent


def test_chunked_200_mb_bodies_are_refused_early_with_memory_flat(serve) -> None:  # type: ignore[no-untyped-def]
    live = serve()
    before = live.peak_rss()
    for path in ("/webhooks/resend", "/forms/bezeliq", "/webhooks/quill"):
        t0 = time.monotonic()
        answer, sent = _post_chunked(live.port, path, 200 * MB)
        elapsed = time.monotonic() - t0
        assert answer.startswith(b"HTTP/1.1 413"), (path, answer[:200], sent)
        assert b"payload too large" in answer or b"413" in answer
        assert sent < 50 * MB and elapsed < 20, (path, sent, elapsed)
    assert live.peak_rss() - before < 40 * MB
    assert httpx.get(f"{live.url}/healthz", timeout=5).status_code == 200  # and it still serves


def test_forwarded_for_from_loopback_does_not_reset_the_form_limit(serve) -> None:  # type: ignore[no-untyped-def]
    live = serve()
    codes = []
    with httpx.Client(base_url=live.url, timeout=10) as http:
        for i in range(7):
            r = http.post("/forms/bezeliq", json={"email": f"rotate{i}@example.com"},
                          headers={"X-Forwarded-For": f"203.0.113.{i}"})
            codes.append(r.status_code)
    assert codes[:5] == [201] * 5 and codes[5:] == [429, 429]


def test_a_configured_proxy_is_believed(serve) -> None:  # type: ignore[no-untyped-def]
    live = serve(COCKPIT_WEBHOOK_TRUSTED_PROXIES="127.0.0.1, ::1")
    with httpx.Client(base_url=live.url, timeout=10) as http:
        codes = [http.post("/forms/bezeliq", json={"email": f"behind{i}@example.com"},
                           headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(7)]
        assert codes == [201] * 7  # seven different visitors behind the proxy
        same = [http.post("/forms/bezeliq", json={"email": f"same{i}@example.com"},
                          headers={"X-Forwarded-For": "198.51.100.9"}).status_code for i in range(6)]
    assert same == [201] * 5 + [429]
