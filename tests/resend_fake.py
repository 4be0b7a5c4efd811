"""A local HTTP server that speaks Resend's wire format, for tests and the benchmark.

Real sockets (uvicorn on 127.0.0.1, a free port, in a thread) and the behaviour the client depends on:
- ``Authorization: Bearer`` and a ``User-Agent`` are required (403 ``missing_api_key`` / like Resend);
- POST /emails and /emails/batch (≤ 100; strict: one invalid email fails the whole batch with 422 and
  nothing is sent); each sent email gets an id and is appended to :attr:`FakeResend.sent`;
- Idempotency-Key semantics: same key + same body → the original response, nothing sent again; same key
  + different body → 409 ``invalid_idempotent_request``; same key while the first request is still in
  flight → 409 ``concurrent_idempotent_requests``;
- ``ratelimit-*`` headers on every answer; :meth:`FakeResend.fail_next` scripts the next answers
  (e.g. 429 with ``retry-after``, 500, a quota error, a dropped connection).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

_ADDR = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[A-Za-z]{2,}$")


def _address_ok(value: str) -> bool:
    m = re.match(r"^\s*(?:[^<>]*<([^<>]+)>|([^<>]+))\s*$", value)
    addr = (m.group(1) or m.group(2)).strip() if m else ""
    return bool(_ADDR.match(addr))


@dataclass
class Scripted:
    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0  # answer only after this many seconds (a client timeout sees a network error)
    process: bool = False  # process the request normally first, then answer with this (lost response)


class FakeResend:
    def __init__(self, *, api_key: str = "re_test_key", rate_limit: int = 1000, delay: float = 0.0) -> None:
        self.api_key = api_key
        self.rate_limit = rate_limit
        self.delay = delay
        self.sent: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self._keys: dict[str, tuple[str, int, Any] | None] = {}  # key -> (body hash, status, body) | in flight
        self._script: list[Scripted] = []
        self._lock = threading.Lock()
        self._seq = 0
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None
        self.port = 0

    # --- control ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, *answers: Scripted) -> None:
        with self._lock:
            self._script.extend(answers)

    def hold_key(self, key: str) -> None:
        """Pretend a request with ``key`` is still in flight (→ 409 concurrent_idempotent_requests)."""
        with self._lock:
            self._keys[key] = None

    def release_key(self, key: str) -> None:
        with self._lock:
            if self._keys.get(key, 0) is None:
                del self._keys[key]

    def start(self) -> "FakeResend":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app(), log_level="warning", lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake Resend did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)

    def __enter__(self) -> "FakeResend":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the API --------------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        return {"ratelimit-limit": str(self.rate_limit), "ratelimit-remaining": str(self.rate_limit),
                "ratelimit-reset": "1"}

    def _error(self, status: int, name: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse({"statusCode": status, "name": name, "message": message}, status_code=status,
                            headers={**self._headers(), **(headers or {})})

    def _validate(self, email: Any) -> str | None:
        if not isinstance(email, dict):
            return "each email must be an object"
        for f in ("from", "to", "subject"):
            if not email.get(f):
                return f"Missing `{f}` field."
        to = email["to"] if isinstance(email["to"], list) else [email["to"]]
        if len(to) > 50:
            return "Too many recipients (max 50)."
        for addr in [email["from"], *to]:
            if not isinstance(addr, str) or not _address_ok(addr):
                return f"Invalid `to` field. The email address needs to follow the `email@example.com` format: {addr}"
        for tag in email.get("tags") or []:
            if not re.fullmatch(r"[A-Za-z0-9_-]+", str(tag.get("name", ""))) or \
                    not re.fullmatch(r"[A-Za-z0-9_-]+", str(tag.get("value", ""))):
                return "Tags should only contain ASCII letters, numbers, underscores, or dashes."
        return None

    def app(self) -> Starlette:
        async def handle(request: Request) -> Response:
            raw = await request.body()
            path = request.url.path
            key = request.headers.get("idempotency-key")
            with self._lock:
                self.requests.append({"path": path, "key": key, "ua": request.headers.get("user-agent")})
                scripted = self._script.pop(0) if self._script else None
            if request.headers.get("authorization") != f"Bearer {self.api_key}":
                return self._error(401, "invalid_api_key", "API key is invalid")
            if not request.headers.get("user-agent"):
                return self._error(403, "missing_user_agent", "A User-Agent header is required")
            if scripted is not None and not scripted.process:
                if scripted.hang:
                    await asyncio.sleep(scripted.hang)
                body = scripted.body or {"statusCode": scripted.status, "name": "internal_server_error",
                                         "message": "scripted"}
                return JSONResponse(body, status_code=scripted.status, headers={**self._headers(), **scripted.headers})
            try:
                payload = json.loads(raw)
            except ValueError:
                return self._error(422, "validation_error", "Invalid JSON")
            digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
            if key is not None:
                with self._lock:
                    if key in self._keys:
                        known = self._keys[key]
                        if known is None:
                            return self._error(409, "concurrent_idempotent_requests",
                                               "Same idempotency key used while original request is still in progress")
                        if known[0] != digest:
                            return self._error(409, "invalid_idempotent_request",
                                               "Same idempotency key used with a different request payload")
                        return JSONResponse(known[2], status_code=known[1], headers=self._headers())
                    self._keys[key] = None  # in flight
            try:
                status, body = self._process(path, payload)
            finally:
                with self._lock:
                    if key is not None and self._keys.get(key, 0) is None:
                        del self._keys[key]
            if key is not None and status == 200:
                with self._lock:
                    self._keys[key] = (digest, status, body)
            if self.delay:
                await asyncio.sleep(self.delay)
            if scripted is not None and scripted.process:
                if scripted.hang:
                    await asyncio.sleep(scripted.hang)
                return JSONResponse(scripted.body or {}, status_code=scripted.status, headers=scripted.headers)
            if status != 200:
                return self._error(status, body["name"], body["message"])
            return JSONResponse(body, headers=self._headers())

        async def stats(_request: Request) -> Response:  # for a fake running in another process
            with self._lock:
                return JSONResponse({"sent": len(self.sent), "requests": len(self.requests)})

        return Starlette(routes=[Route("/_stats", stats, methods=["GET"]),
                                 Route("/emails", handle, methods=["POST"]),
                                 Route("/emails/batch", handle, methods=["POST"])])

    def _process(self, path: str, payload: Any) -> tuple[int, dict[str, Any]]:
        batch = path.endswith("/batch")
        emails = payload if batch else [payload]
        if batch and (not isinstance(payload, list) or not 1 <= len(payload) <= 100):
            return 422, {"name": "validation_error", "message": "A batch holds 1 to 100 emails"}
        for i, email in enumerate(emails):
            problem = self._validate(email)
            if problem:
                return 422, {"name": "validation_error", "message": (f"emails[{i}]: " if batch else "") + problem}
        ids = []
        with self._lock:
            for email in emails:
                self._seq += 1
                eid = str(uuid.UUID(int=self._seq))
                self.sent.append({"id": eid, **email})
                ids.append({"id": eid})
        return 200, ({"data": ids} if batch else ids[0])


def serve_forever(api_key: str = "re_test_key", rate_limit: int = 1000) -> None:  # pragma: no cover
    """Run a fake in this process and print its URL (the benchmark runs it as a separate process so the
    fake's JSON work does not share the measured process's GIL)."""
    import sys

    fake = FakeResend(api_key=api_key, rate_limit=rate_limit).start()
    print(fake.url, flush=True)
    try:
        sys.stdin.read()  # until the parent closes our stdin
    finally:
        fake.stop()


if __name__ == "__main__":  # pragma: no cover
    serve_forever()
