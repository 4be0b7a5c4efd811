"""Reading a mailbox over IMAP with IMAPClient: login (password or XOAUTH2), TLS, folders found by
SPECIAL-USE, UIDVALIDITY, new UIDs above a high-water mark, headers plus the start of each body.

IMAPClient is synchronous; the sync runs it in a worker thread (``asyncio.to_thread``) so neither the
cockpit's UI nor arlo's other loops wait on the network.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import unquote, urlsplit

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from cockpit.errors import ConfigError, CockpitError

PEEK_BYTES = 16384  # headers + the start of the body: enough for a snippet, bounded per message
FETCH_BATCH = 200
LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class Mailbox:
    """One configured mailbox: ``imap://`` (STARTTLS when offered; plain only on loopback) or ``imaps://``."""

    host: str
    port: int
    user: str
    password: str | None
    tls: bool  # implicit TLS (imaps)

    @property
    def ref(self) -> str:
        """How the mailbox is named in state and logs: never the password."""
        return f"{self.user}@{self.host}:{self.port}"


def parse_mailboxes(text: str | None) -> list[Mailbox]:
    """``imap(s)://user:password@host:port`` entries, comma-separated; userinfo percent-decoded."""
    out: list[Mailbox] = []
    for raw in (text or "").split(","):
        raw = raw.strip()
        if not raw:
            continue
        parts = urlsplit(raw)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
            shown = f"{parts.scheme}://…@{parts.hostname}" if parts.hostname else "an entry"
            raise ConfigError(f"COCKPIT_IMAP_URL: {shown} is not imap(s)://user:password@host[:port]",
                              "percent-encode @ : / in the user or password (e.g. %40 for @)")
        try:
            port = parts.port or (993 if parts.scheme == "imaps" else 143)
        except ValueError:
            raise ConfigError(f"COCKPIT_IMAP_URL: the port of {parts.hostname} is not a number") from None
        out.append(Mailbox(parts.hostname, port, unquote(parts.username),
                           unquote(parts.password) if parts.password is not None else None, parts.scheme == "imaps"))
    return out


@dataclass
class FetchedMessage:
    uid: int
    raw: bytes
    internal_date: datetime | None


class ImapSession:
    """One logged-in connection (use as a context manager)."""

    def __init__(self, box: Mailbox, *, oauth_token: str | None = None, timeout: float = 30.0,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.box = box
        self.oauth_token = oauth_token
        self.timeout = timeout
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.client: IMAPClient | None = None

    def __enter__(self) -> "ImapSession":
        box = self.box
        try:
            c = IMAPClient(box.host, port=box.port, ssl=box.tls, ssl_context=self.ssl_context, timeout=self.timeout)
            if not box.tls:
                if c.has_capability("STARTTLS"):
                    c.starttls(self.ssl_context)
                elif box.host not in LOOPBACK:
                    c.shutdown()
                    raise CockpitError(f"{box.ref} offers no TLS (no STARTTLS)",
                                       "use imaps:// (port 993); plain IMAP is allowed on loopback only")
            if self.oauth_token:
                c.oauth2_login(box.user, self.oauth_token)
            elif box.password is not None:
                c.login(box.user, box.password)
            else:
                raise ConfigError(f"{box.ref}: no password in COCKPIT_IMAP_URL and no COCKPIT_IMAP_OAUTH_TOKEN")
        except LoginError as exc:
            raise CockpitError(f"{box.ref}: the IMAP server refused the login ({_text(exc)})",
                               "check the password (an app password for Gmail/Microsoft 365) or the OAuth token") from None
        except (socket.gaierror, ConnectionError, TimeoutError, OSError) as exc:
            if isinstance(exc, CockpitError):
                raise
            raise CockpitError(f"cannot reach the IMAP server {box.host}:{box.port} ({exc})",
                               "check COCKPIT_IMAP_URL's host and port") from None
        self.client = c
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            try:
                self.client.logout()
            except (IMAPClientError, OSError):
                pass
            self.client = None

    @property
    def c(self) -> IMAPClient:
        assert self.client is not None
        return self.client

    def has_idle(self) -> bool:
        return bool(self.c.has_capability("IDLE"))

    def folders(self) -> dict[str, str]:
        """``{"inbox": name, "sent": name}``: Sent found by SPECIAL-USE (RFC 6154), never guessed."""
        out = {"inbox": "INBOX"}
        try:
            sent = self.c.find_special_folder(b"\\Sent")
        except IMAPClientError:
            sent = None
        if sent:
            out["sent"] = sent
        return out

    def select(self, folder: str) -> tuple[int, int]:
        """Select ``folder`` read-only; returns its UIDVALIDITY and the highest UID it holds now."""
        info = self.c.select_folder(folder, readonly=True)
        uidnext = info.get(b"UIDNEXT")
        if uidnext is None:  # a server that does not volunteer UIDNEXT: ask for the last UID
            last = self.c.search(["UID", "*"]) if info.get(b"EXISTS") else []
            top = max(last) if last else 0
        else:
            top = int(uidnext) - 1
        return int(info[b"UIDVALIDITY"]), top

    def new_uids(self, after_uid: int, since: date | None) -> list[int]:
        criteria: list[Any] = ["UID", f"{after_uid + 1}:*"]
        if since is not None:
            criteria += ["SINCE", since]
        uids = self.c.search(criteria)
        return sorted(u for u in uids if u > after_uid)  # "N:*" always matches the last message

    def fetch(self, uids: list[int]) -> Iterator[FetchedMessage]:
        part = f"BODY.PEEK[]<0.{PEEK_BYTES}>"
        key = b"BODY[]<0>"
        for i in range(0, len(uids), FETCH_BATCH):
            chunk = uids[i:i + FETCH_BATCH]
            data = self.c.fetch(chunk, [part, "INTERNALDATE"])
            for uid in chunk:
                row = data.get(uid)
                if not row:
                    continue
                raw = row.get(key) or row.get(b"BODY[]") or b""
                when = row.get(b"INTERNALDATE")
                if isinstance(when, datetime) and when.tzinfo is None:
                    when = when.replace(tzinfo=timezone.utc)
                yield FetchedMessage(uid, raw, when)

    def idle(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the server to report new mail in the selected folder."""
        self.c.idle()
        try:
            responses = self.c.idle_check(timeout=seconds)
        finally:
            self.c.idle_done()
        return any(r[1] in (b"EXISTS", b"RECENT") for r in responses if len(r) > 1)


def _text(exc: Exception) -> str:
    s = str(exc)
    return s[2:-1] if s.startswith("b'") else s
