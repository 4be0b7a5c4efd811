"""Signed one-click unsubscribe tokens: ``<client_id>.<contact hex>.<signature>``.

The signature is HMAC-SHA256 (keyed by the database's ``redkey.email_keys.unsubscribe_key``) over the client
and contact, so a link names exactly one contact of one client and cannot be forged or edited, and
creating one costs no database write.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from uuid import UUID

_TOKEN = re.compile(r"^([a-z0-9][a-z0-9_-]{0,62})\.([0-9a-f]{32})\.([A-Za-z0-9_-]{32})$")


def make_token(key: str, client_id: str, contact_id: UUID) -> str:
    return f"{client_id}.{contact_id.hex}.{_sig(key, client_id, contact_id)}"


def parse_token(key: str, token: str) -> tuple[str, UUID] | None:
    """(client_id, contact_id) for a genuine token, else None."""
    m = _TOKEN.match(token or "")
    if not m:
        return None
    client_id, contact = m.group(1), UUID(hex=m.group(2))
    if not hmac.compare_digest(m.group(3), _sig(key, client_id, contact)):
        return None
    return client_id, contact


def _sig(key: str, client_id: str, contact_id: UUID) -> str:
    mac = hmac.new(key.encode(), f"unsubscribe:{client_id}:{contact_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode()[:32]
