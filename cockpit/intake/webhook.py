"""The Quill meeting-notes webhook as starlette routes, for the ``cockpit webhooks`` app to mount
(``routes=[..., *quill_routes(store)]``), plus a minimal app factory for running it alone.

POST /webhooks/quill (JSON: an InteractionBundle, or ``{"interaction": ..., "transcripts": [...]}``, or a
QdSignalBundle).
The client comes from ``X-RedKey-Client`` (or ``?client=``), else the store's scope. With
``quill_webhook_secret`` set, ``X-Quill-Signature: sha256=<hex HMAC-SHA256 of the body>`` is required.
Answers 202 with what was recorded; 400 bad JSON, 401 bad signature, 404 unknown contact/deal,
422 an invalid artifact — always with a one-line ``error``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cockpit.errors import CockpitError, NotFound, ScopeError, ValidationFailed
from cockpit.intake.service import intake_any

MAX_BODY = 5 * 1024 * 1024


def _signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    if not header:
        return False
    want = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, header.strip())


def quill_routes(store: Any, *, secret: str | None = None, path: str = "/webhooks/quill") -> list[Route]:
    """Routes serving the Quill webhook over ``store`` (a Store; scoped per request)."""

    async def quill(request: Request) -> JSONResponse:
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "payload too large"}, status_code=413)
        if secret and not _signature_ok(secret, body, request.headers.get("x-quill-signature")):
            return JSONResponse({"error": "bad or missing X-Quill-Signature"}, status_code=401)
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        client = request.headers.get("x-redkey-client") or request.query_params.get("client") or store.client_id
        scoped = store.scoped(client, source="quill", actor="quill")
        try:
            result = await intake_any(scoped, data)
        except NotFound as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
        except (ValidationFailed, ScopeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        except CockpitError as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        return JSONResponse(result, status_code=200 if result["duplicate"] else 202)

    return [Route(path, quill, methods=["POST"])]


def make_app(store: Any, *, secret: str | None = None) -> Starlette:
    """A minimal app with only the Quill route (tests; or until the shared webhooks app mounts it)."""
    return Starlette(routes=quill_routes(store, secret=secret))
