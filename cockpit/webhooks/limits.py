"""What keeps the intake server small under abuse: a per-address rate limit with bounded memory, and a
cap on every request body enforced while it streams in.

- :class:`RateLimiter`: ``limit`` requests per ``window`` seconds per key (the client address), counted
  in a window that starts at the key's first request. Keys live in a TTL cache: an idle key expires
  after one window and at most ``max_keys`` are kept (the least recently seen go first), so memory is
  bounded and each check is O(1).
- :class:`BodyLimit`: ASGI middleware. A declared ``Content-Length`` over the cap is answered 413 before
  any byte is read; a chunked (or lying) body is counted as it arrives and refused the moment it passes
  the cap, so the server never holds more than the cap plus one chunk.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from cachetools import TTLCache

Scope = dict[str, Any]


class RateLimiter:
    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic, *,
                 max_keys: int = 50_000) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._hits: TTLCache[str, list[float]] = TTLCache(maxsize=max_keys, ttl=window, timer=clock)

    def check(self, key: str) -> float:
        """0 when allowed (and counted), else the seconds until the next request would be allowed."""
        entry = self._hits.get(key)
        if entry is None:
            self._hits[key] = [self.clock(), 1]
            return 0.0
        if entry[1] >= self.limit:
            return max(0.001, entry[0] + self.window - self.clock())
        entry[1] += 1  # in place: the key still expires one window after its first request
        return 0.0

    def __len__(self) -> int:
        self._hits.expire()
        return len(self._hits)


class BodyTooLarge(Exception):
    """Raised from ``receive`` when a streamed body passes the cap (the app never sees more)."""


class BodyLimit:
    """Caps request bodies at ``caps[path prefix]`` (longest prefix wins), else ``default`` bytes."""

    def __init__(self, app: Callable[..., Any], *, default: int, caps: dict[str, int] | None = None) -> None:
        self.app, self.default = app, default
        self.caps = sorted((caps or {}).items(), key=lambda kv: -len(kv[0]))

    def cap_for(self, path: str) -> int:
        return next((cap for prefix, cap in self.caps if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.cap_for(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > cap):
            await _too_large(send, cap)
            return
        seen = 0
        started = False

        async def capped_receive() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, capped_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send, cap)


async def _too_large(send: Callable[..., Any], cap: int) -> None:
    body = json.dumps({"error": f"payload too large (at most {cap} bytes)"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
