"""The intake HTTP app (``cockpit webhooks``): Resend webhooks, one-click unsubscribe, website forms.

Built by :func:`create_app` (a factory, so tests run it in-process or on a real port):

- ``POST /webhooks/resend`` — Svix-verified (bad or stale signature: 401, nothing written), then applied
  once per svix-id (replays answer 200 ``duplicate``); unknown events are acknowledged so Resend stops
  retrying.
- ``GET /unsubscribe/{token}`` shows a confirmation button and changes nothing (mail scanners follow
  links); ``POST /unsubscribe/{token}`` (RFC 8058 one-click, or the button) unsubscribes.
- ``POST /forms/{client_id}`` — JSON or form-encoded; 422 with one message per bad field, 429 with
  ``Retry-After`` past the per-address rate limit, 201 with the contact id.
"""

from __future__ import annotations

import html
import json
import re
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from cockpit.config import Settings
from cockpit.context.activity import learn_from_reply
from cockpit.email.svix import WebhookVerificationError, verify
from cockpit.errors import CockpitError, NotFound

MAX_BODY = 256 * 1024
_EMAIL = re.compile(r"^[^@\s<>(),;:\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,63}$")
FORM_FIELDS: dict[str, int] = {"email": 254, "first_name": 100, "last_name": 100, "company": 200,
                               "job_title": 200, "phone": 40, "city": 100, "message": 5000}


class RateLimiter:
    """A sliding-window limit per key (the client address): ``limit`` requests per ``window`` seconds."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._hits: dict[str, deque[float]] = {}

    def check(self, key: str) -> float:
        """0 when allowed (and counted), else the seconds until the next request would be allowed."""
        now = self.clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return max(0.001, hits[0] + self.window - now)
        hits.append(now)
        if len(self._hits) > 10_000:  # forget idle addresses so memory stays bounded
            for k in [k for k, v in self._hits.items() if not v][:5000]:
                del self._hits[k]
        return 0.0


def validate_form(data: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """(clean fields, errors by field). Unknown fields are ignored; every known one is a short string."""
    clean: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, limit in FORM_FIELDS.items():
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            errors[name] = "must be text"
            continue
        value = value.strip()
        if len(value) > limit:
            errors[name] = f"at most {limit} characters"
        elif value:
            clean[name] = value
    email = clean.get("email", "")
    if "email" not in errors:
        if not email:
            errors["email"] = "required"
        elif not _EMAIL.match(email):
            errors["email"] = "not a valid email address"
    for name in ("first_name", "last_name", "company", "city"):
        if name in clean and re.search(r"[\x00-\x1f<>]", clean[name]):
            errors[name] = "contains characters that are not allowed"
    return clean, errors


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def create_app(store: Any, settings: Settings, *, clock: Callable[[], float] = time.time,
               form_limit: int = 5, form_window: float = 60.0,
               limiter_clock: Callable[[], float] = time.monotonic,
               extra_routes: list[Route] | None = None) -> Starlette:
    """The intake app over an (unscoped) store; each request is applied in its client's scope.
    ``extra_routes`` mounts other features' webhooks (e.g. Quill meeting notes) on the same server."""
    limiter = RateLimiter(form_limit, form_window, limiter_clock)

    def now() -> datetime:
        return datetime.fromtimestamp(clock(), timezone.utc)

    async def body_of(request: Request) -> bytes | None:
        size = request.headers.get("content-length")
        if size and size.isdigit() and int(size) > MAX_BODY:
            return None
        raw = await request.body()
        return raw if len(raw) <= MAX_BODY else None

    async def resend_webhook(request: Request) -> Response:
        secret = settings.resend_webhook_secret
        if not secret:
            return JSONResponse({"error": "webhook secret not configured (COCKPIT_RESEND_WEBHOOK_SECRET)"},
                                status_code=503)
        raw = await body_of(request)
        if raw is None:
            return JSONResponse({"error": "payload too large"}, status_code=413)
        headers = {k: request.headers.get(k, "") for k in ("svix-id", "svix-timestamp", "svix-signature")}
        try:
            svix_id = verify(secret, headers, raw, now=clock())
        except WebhookVerificationError as exc:
            return JSONResponse({"error": f"invalid signature: {exc}"}, status_code=401)
        try:
            event = json.loads(raw)
        except ValueError:
            return JSONResponse({"error": "body is not JSON"}, status_code=400)
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return JSONResponse({"error": "expected {type, created_at, data}"}, status_code=400)
        try:
            result = await store.email_events.apply_webhook(svix_id, event, now=now())
            if result.reply_from is not None:
                await learn_from_reply(store.scoped(result.client_id, source="resend", actor="resend-webhook"),
                                       result.reply_from)
        except CockpitError as exc:  # a database problem: 503 makes Resend retry later
            return JSONResponse({"error": exc.message}, status_code=503)
        return JSONResponse({"ok": True, "outcome": result.outcome})

    async def unsubscribe_page(request: Request) -> Response:
        token = html.escape(request.path_params["token"])
        return HTMLResponse(
            "<!doctype html><title>Unsubscribe</title><p>Stop receiving these emails?</p>"
            f'<form method="post" action="/unsubscribe/{token}">'
            '<button type="submit">Unsubscribe</button></form>')

    async def unsubscribe(request: Request) -> Response:
        try:
            await store.email_events.unsubscribe_token(request.path_params["token"], now=now())
        except NotFound:
            return PlainTextResponse("This unsubscribe link is not valid.", status_code=404)
        except CockpitError as exc:
            return PlainTextResponse(f"Could not unsubscribe right now: {exc.message}", status_code=503)
        return PlainTextResponse("You are unsubscribed; you will not receive further emails from this sequence.")

    async def form(request: Request) -> Response:
        client_id = request.path_params["client_id"]
        wait = limiter.check(_client_ip(request))
        if wait:
            return JSONResponse({"error": "too many submissions; try again later"}, status_code=429,
                                headers={"Retry-After": str(int(wait) + 1)})
        raw = await body_of(request)
        if raw is None:
            return JSONResponse({"error": "payload too large"}, status_code=413)
        ctype = request.headers.get("content-type", "")
        try:
            if ctype.startswith("application/json"):
                data = json.loads(raw or b"{}")
            elif ctype.startswith("application/x-www-form-urlencoded"):
                # Parsed here (no python-multipart dependency): plain HTML forms post exactly this.
                data = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
            else:
                return JSONResponse({"error": "send application/json or a form (application/x-www-form-urlencoded)"},
                                    status_code=415)
        except ValueError:
            return JSONResponse({"error": "body is not valid JSON"}, status_code=400)
        if not isinstance(data, dict):
            return JSONResponse({"error": "expected an object of fields"}, status_code=422)
        if data.get("website"):  # honeypot: humans never fill the hidden field
            return JSONResponse({"ok": True}, status_code=202)
        clean, errors = validate_form(data)
        if errors:
            return JSONResponse({"error": "invalid form", "fields": errors}, status_code=422)
        form_name = str(data.get("form") or "website")[:80]
        submission = str(data["submission_id"])[:120] if isinstance(data.get("submission_id"), str) else None
        try:
            result = await store.forms.intake_form(client_id, clean, form=form_name, now=now(), submission_id=submission)
        except NotFound as exc:
            return JSONResponse({"error": exc.message}, status_code=404)
        except CockpitError as exc:
            return JSONResponse({"error": exc.message}, status_code=503)
        return JSONResponse({"ok": True, "contact_id": str(result.contact_id), "created": result.created},
                            status_code=201 if result.created else 200)

    async def health(_request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(routes=[
        Route("/webhooks/resend", resend_webhook, methods=["POST"]),
        Route("/unsubscribe/{token}", unsubscribe_page, methods=["GET"]),
        Route("/unsubscribe/{token}", unsubscribe, methods=["POST"]),
        Route("/forms/{client_id}", form, methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
        *(extra_routes or []),
    ])
