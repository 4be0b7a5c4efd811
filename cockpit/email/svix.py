"""Svix webhook signatures, as Resend sends them:

HMAC-SHA256 over ``"{svix-id}.{svix-timestamp}.{raw body}"`` with the base64-decoded secret (minus its
``whsec_`` prefix), base64-encoded, compared in constant time against each ``v1,<sig>`` in the
space-separated ``svix-signature`` header; timestamps more than ±300 s from now are refused (replay).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

TOLERANCE_SECONDS = 300


class WebhookVerificationError(Exception):
    """The request is not a genuine, fresh Resend webhook."""


def _key(secret: str) -> bytes:
    raw = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(raw, validate=True)
    except (ValueError, base64.binascii.Error) as exc:  # type: ignore[attr-defined]
        raise WebhookVerificationError("webhook secret is not base64 (expected whsec_...)") from exc


def sign(secret: str, msg_id: str, timestamp: int | str, body: bytes) -> str:
    """The ``svix-signature`` value for a payload (used by tests and local tools)."""
    mac = hmac.new(_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(secret: str, headers: dict[str, str], body: bytes, *, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> str:
    """Check a webhook; returns its svix-id. Raises :class:`WebhookVerificationError` with the reason."""
    msg_id = headers.get("svix-id") or ""
    stamp = headers.get("svix-timestamp") or ""
    given = headers.get("svix-signature") or ""
    if not msg_id or not stamp or not given:
        raise WebhookVerificationError("missing svix-id, svix-timestamp or svix-signature header")
    try:
        ts = int(stamp)
    except ValueError:
        raise WebhookVerificationError("svix-timestamp is not an integer") from None
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance:
        raise WebhookVerificationError("svix-timestamp is outside the tolerance (stale or replayed)")
    expected = sign(secret, msg_id, stamp, body).split(",", 1)[1]
    for part in given.split():
        version, _, sig = part.partition(",")
        if version == "v1" and hmac.compare_digest(sig.encode(), expected.encode()):
            return msg_id
    raise WebhookVerificationError("no matching v1 signature")
