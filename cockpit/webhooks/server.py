"""The intake HTTP app (``cockpit webhooks``): Resend webhooks, one-click unsubscribe, website forms.

Built by :func:`create_app` (a factory, so tests run it in-process or on a real port):

- ``POST /webhooks/resend`` — Svix-verified (bad or stale signature: 401, nothing written), then applied
  once per svix-id (replays answer 200 ``duplicate``); unknown events are acknowledged so Resend stops
  retrying.
- ``GET /unsubscribe/{token}`` shows a confirmation button and changes nothing (mail scanners follow
  links); ``POST /unsubscribe/{token}`` (RFC 8058 one-click, or the button) unsubscribes.
- ``POST /forms/{client_id}`` — JSON or form-encoded; 422 with one message per bad field, 429 with
  ``Retry-After`` past the per-address rate limit, 201 with the contact id.

Every body is capped while it streams in (:class:`~cockpit.webhooks.limits.BodyLimit`: 413 before the
app sees more than the cap). The client address is the peer's, unless a proxy listed in
``COCKPIT_WEBHOOK_TRUSTED_PROXIES`` forwarded the request (uvicorn rewrites it then, see the CLI).
"""

from __future__ import annotations

import html
import logging
import re
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from cockpit.config import Settings
from cockpit.context.activity import learn_from_reply
from cockpit.email.svix import WebhookVerificationError, verify
from cockpit.errors import CockpitError, NotFound
from cockpit.webhooks.limits import BodyLimit, RateLimiter
from cockpit.webhooks.validate import BadJson, loads, resend_event_problem, validate_form

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
_CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")  # as redkey.clients checks it


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def create_app(store: Any, settings: Settings, *, clock: Callable[[], float] = time.time,
               form_limit: int = 5, form_window: float = 60.0,
               limiter_clock: Callable[[], float] = time.monotonic,
               extra_routes: list[Route] | None = None, body_caps: dict[str, int] | None = None) -> Starlette:
    """The intake app over an (unscoped) store; each request is applied in its client's scope.
    ``extra_routes`` mounts other features' webhooks (e.g. Quill meeting notes) on the same server;
    ``body_caps`` gives their paths a body cap other than ``MAX_BODY``."""
    limiter = RateLimiter(form_limit, form_window, limiter_clock)

    def now() -> datetime:
        return datetime.fromtimestamp(clock(), timezone.utc)

    async def resend_webhook(request: Request) -> Response:
        secret = settings.resend_webhook_secret
        if not secret:
            return JSONResponse({"error": "webhook secret not configured (COCKPIT_RESEND_WEBHOOK_SECRET)"},
                                status_code=503)
        raw = await request.body()  # capped by BodyLimit
        headers = {k: request.headers.get(k, "") for k in ("svix-id", "svix-timestamp", "svix-signature")}
        try:
            svix_id = verify(secret, headers, raw, now=clock())
        except WebhookVerificationError as exc:
            return JSONResponse({"error": f"invalid signature: {exc}"}, status_code=401)
        try:
            event = loads(raw)
        except BadJson as exc:
            return JSONResponse({"error": f"body: {exc}"}, status_code=400)
        problem = resend_event_problem(event)
        if problem:  # well signed but malformed: acknowledged, so Resend does not retry it forever
            log.warning("resend webhook %s ignored: %s", svix_id, problem)
            return JSONResponse({"ok": True, "outcome": "ignored", "reason": problem})
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
        if not _CLIENT_ID.match(client_id):
            return JSONResponse({"error": "unknown client"}, status_code=404)
        wait = limiter.check(_client_ip(request))
        if wait:
            return JSONResponse({"error": "too many submissions; try again later"}, status_code=429,
                                headers={"Retry-After": str(int(wait) + 1)})
        raw = await request.body()  # capped by BodyLimit
        ctype = request.headers.get("content-type", "")
        try:
            if ctype.startswith("application/json"):
                data = loads(raw or b"{}")
            elif ctype.startswith("application/x-www-form-urlencoded"):
                # Parsed here (no python-multipart dependency): plain HTML forms post exactly this.
                data = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
            else:
                return JSONResponse({"error": "send application/json or a form (application/x-www-form-urlencoded)"},
                                    status_code=415)
        except BadJson as exc:
            return JSONResponse({"error": f"body: {exc}"}, status_code=400)
        if not isinstance(data, dict):
            return JSONResponse({"error": "expected an object of fields"}, status_code=422)
        if data.get("website"):  # honeypot: humans never fill the hidden field
            return JSONResponse({"ok": True}, status_code=202)
        clean, meta, errors = validate_form(data)
        if errors:
            return JSONResponse({"error": "invalid form: " + "; ".join(f"{k} {v}" for k, v in errors.items()),
                                 "fields": errors}, status_code=422)
        form_name = meta.get("form", "website")
        submission = meta.get("submission_id")
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

    return Starlette(middleware=[Middleware(BodyLimit, default=MAX_BODY, caps=body_caps)], routes=[
        Route("/webhooks/resend", resend_webhook, methods=["POST"]),
        Route("/unsubscribe/{token}", unsubscribe_page, methods=["GET"]),
        Route("/unsubscribe/{token}", unsubscribe, methods=["POST"]),
        Route("/forms/{client_id}", form, methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
        *(extra_routes or []),
    ])
