"""The Quill meeting-notes webhook as starlette routes, for the ``cockpit webhooks`` app to mount
(``routes=[..., *quill_routes(store, secrets=...)]``), plus a minimal app factory for running it alone.

POST /webhooks/quill (JSON: an InteractionBundle, or ``{"interaction": ..., "transcripts": [...]}``, or a
QdSignalBundle), signed ``X-Quill-Signature: sha256=<hex HMAC-SHA256 of the body>``.

Each client has its own secret (``COCKPIT_QUILL_WEBHOOK_SECRETS``, client -> secret): the secret that
signed the body decides the client; nothing in the request does. With no secret configured the route
answers 503 and writes nothing. Answers 202 with what was recorded; 400 bad JSON, 401 bad signature,
404 the notes name no contact/deal of that client (without saying which), 413 too large, 422 an invalid
artifact — always with a one-line ``error``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cockpit.errors import CockpitError, NotFound, ScopeError, ValidationFailed
from cockpit.intake.service import intake_any
from cockpit.webhooks.limits import BodyLimit
from cockpit.webhooks.validate import BadJson, loads, nul_path

log = logging.getLogger(__name__)

PATH = "/webhooks/quill"
MAX_BODY = 5 * 1024 * 1024


def signing_client(secrets: dict[str, str], body: bytes, header: str | None) -> str | None:
    """The client whose secret signed ``body`` (``header`` is ``sha256=<hex>``), or None. Every secret
    is tried in constant time, so timing does not tell which clients exist."""
    if not header:
        return None
    given = header.strip()
    found = None
    for client, secret in secrets.items():
        want = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if hmac.compare_digest(want, given):
            found = client
    return found


def quill_routes(store: Any, *, secrets: dict[str, str] | None = None, path: str = PATH) -> list[Route]:
    """Routes serving the Quill webhook over ``store`` (a Store; scoped per request to the signer's client)."""
    keyed = dict(secrets or {})

    async def quill(request: Request) -> JSONResponse:
        if not keyed:
            return JSONResponse({"error": "meeting-notes webhook not configured (COCKPIT_QUILL_WEBHOOK_SECRETS)"},
                                status_code=503)
        body = await request.body()  # capped by BodyLimit
        client = signing_client(keyed, body, request.headers.get("x-quill-signature"))
        if client is None:
            return JSONResponse({"error": "bad or missing X-Quill-Signature"}, status_code=401)
        try:
            data = loads(body)
        except BadJson as exc:
            return JSONResponse({"error": f"body: {exc}"}, status_code=400)
        where = nul_path(data)
        if where:
            return JSONResponse({"error": f"{where} contains a NUL character"}, status_code=422)
        scoped = store.scoped(client, source="quill", actor="quill")
        try:
            result = await intake_any(scoped, data)
        except NotFound:
            return JSONResponse({"error": "the notes name a contact or deal this client does not have; "
                                          "nothing was recorded"}, status_code=404)
        except (ValidationFailed, ScopeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        except CockpitError as exc:
            log.warning("quill webhook for %s: %s", client, exc)
            return JSONResponse({"error": str(exc)}, status_code=503)
        return JSONResponse(result, status_code=200 if result["duplicate"] else 202)

    return [Route(path, quill, methods=["POST"])]


def make_app(store: Any, *, secrets: dict[str, str] | None = None) -> Starlette:
    """A minimal app with only the Quill route (tests; or until the shared webhooks app mounts it)."""
    return Starlette(routes=quill_routes(store, secrets=secrets),
                     middleware=[Middleware(BodyLimit, default=MAX_BODY)])
