"""Atlas's way in over HTTP: another agent files Justin's instructions for a client and reads the result.

- ``POST /atlas/tasks`` with ``Authorization: Bearer <COCKPIT_ATLAS_TOKEN>`` and JSON
  ``{"client_id": "bezeliq", "text": "Move the Volta deal to Negotiation", "kind": "strategic"}``
  (``kind``: ``strategic``, ``adhoc`` or ``auto``, the default: questions are ad-hoc) -> 201
  ``{"task_id": "0.0.123", "status": "created", "result_url": "/atlas/tasks/0.0.123"}``. A running arlo
  (``cockpit arlo``, or the cockpit) picks the task up.
- ``GET /atlas/tasks/{task_id}`` (same token) -> 200 ``{"task_id", "client_id", "task_type", "status",
  "output"}``; the output is there once the status is final: ``complete`` (``summary``, ``changes``),
  ``blocked`` (``question`` and ``choices``, or ``error``) or ``cancelled``.

401 without the right token, 503 when no token is configured (the route is off), 422 for a bad body,
404 for an unknown client or task. Both call the SQL functions ``redkey.atlas_file_task`` and
``redkey.atlas_task_result``, which Atlas may also call directly (role ``redkey_atlas``).
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cockpit.errors import CockpitError, NotFound
from cockpit.store.instructions import atlas_file, atlas_result

MAX_BODY = 64 * 1024


def _authorized(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


def atlas_routes(store: Any, *, token: str | None, path: str = "/atlas/tasks") -> list[Route]:
    """The two routes, for ``create_app(..., extra_routes=...)``. ``store`` is unscoped (owner)."""

    def gate(request: Request) -> JSONResponse | None:
        if not token:
            return JSONResponse({"error": "the Atlas route is off: COCKPIT_ATLAS_TOKEN is not set"}, 503)
        if not _authorized(request, token):
            return JSONResponse({"error": "missing or wrong bearer token"}, 401,
                                headers={"WWW-Authenticate": 'Bearer realm="atlas"'})
        return None

    async def file_task(request: Request) -> JSONResponse:
        if (denied := gate(request)) is not None:
            return denied
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return JSONResponse({"error": f"body over {MAX_BODY} bytes"}, 413)
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return JSONResponse({"error": "body is not JSON"}, 422)
        if not isinstance(data, dict):
            return JSONResponse({"error": "body must be a JSON object"}, 422)
        errors = {k: "required text" for k in ("client_id", "text") if not isinstance(data.get(k), str)
                  or not data[k].strip()}
        kind = data.get("kind", "auto")
        if kind not in ("strategic", "adhoc", "auto"):
            errors["kind"] = "one of strategic, adhoc, auto"
        if errors:
            return JSONResponse({"error": "bad request", "fields": errors}, 422)
        try:
            task_id = await atlas_file(store.db, data["client_id"].strip(), data["text"], kind)
        except NotFound as exc:
            return JSONResponse({"error": str(exc)}, 404)
        except CockpitError as exc:
            return JSONResponse({"error": str(exc)}, 422)
        return JSONResponse({"task_id": task_id, "status": "created", "result_url": f"{path}/{task_id}"}, 201)

    async def task_result(request: Request) -> JSONResponse:
        if (denied := gate(request)) is not None:
            return denied
        row = await atlas_result(store.db, request.path_params["task_id"])
        if row is None:
            return JSONResponse({"error": "no such task filed through Atlas"}, 404)
        final = row["status"] in ("complete", "blocked", "cancelled")
        return JSONResponse({"task_id": row["task_id"], "client_id": row["client_id"], "task_type": row["task_type"],
                             "status": row["status"], "final": final, "output": row["output"] if final else None,
                             "updated_at": row["updated_at"].isoformat()})

    return [Route(path, file_task, methods=["POST"]), Route(path + "/{task_id}", task_result, methods=["GET"])]
