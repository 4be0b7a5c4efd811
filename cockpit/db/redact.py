"""Passwords out of messages: connection strings and the errors libpq raises about them.

A password may hold an unencoded ``@``, so a URL's credentials run to the *last* ``@`` before the host.
libpq quotes pieces of a malformed URL in its errors ("unexpected spaces found in "..."") that need
not look like a URL at all, so a whole message is redacted against the URL it is about: every quoted
piece that holds part of the URL's credentials, and the password itself, become ``***``.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

_URL_CREDENTIALS = re.compile(r"(://[^:/@\s]*:).*@")
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
_QUOTED = re.compile(r'"([^"]*)"')


def redact(url: str) -> str:
    """The connection string without its password, for messages."""
    return _KEYWORD_PASSWORD.sub(r"\1***", _URL_CREDENTIALS.sub(r"\1***@", url))


def _credentials(url: str) -> str:
    """What stands between ``scheme://`` and the last ``@`` (user and password), else ''."""
    head, sep, _rest = url.rpartition("@")
    if not sep or "://" not in head:
        return ""
    return head.split("://", 1)[1]


def _password(url: str) -> str:
    creds = _credentials(url)
    if ":" in creds:
        return creds.split(":", 1)[1]
    m = _KEYWORD_PASSWORD.search(url)
    return m.group(2).strip("'") if m else ""


def redact_text(text: str, url: str | None = None) -> str:
    """``text`` with every password removed: URLs and ``password=`` in it, and, given the ``url`` the
    message is about, that URL's password and any quoted piece of its credentials."""
    out = redact(text)
    if not url:
        return out
    creds = _credentials(url)
    password = _password(url)
    if creds:
        decoded = unquote(creds)
        pieces = {password[i:i + 3] for i in range(max(0, len(password) - 2))}

        def quoted(m: re.Match[str]) -> str:
            q = m.group(1)
            leaks = q and (q in creds or q in decoded or any(p in q for p in pieces))
            return '"***"' if leaks else m.group(0)

        out = _QUOTED.sub(quoted, out)
    for secret in sorted({password, unquote(password)}, key=len, reverse=True):
        if len(secret) >= 3:
            out = out.replace(secret, "***")
    return out
