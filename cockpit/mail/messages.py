"""One mail message as the CRM sees it: who, when, what about, which thread, a short plain-text snippet.

Parsed with the standard library's ``email`` package, never by hand: the parser with its fast
``compat32`` policy, RFC 2047 encoded words decoded with ``email.header``, addresses split with
``email.utils.getaddresses``, bodies decoded from their transfer encoding and charset. (The ``default``
policy parses every header into objects: about 5 ms a message, a minute for a 10,000-message mailbox.)
Pure functions, no I/O.
"""

from __future__ import annotations

import email
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.header import decode_header, make_header
from email.message import Message
from html.parser import HTMLParser

SNIPPET_CHARS = 280
_MSGID = re.compile(r"<[^<>\s]+>")
_NOREPLY = re.compile(r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer-daemon|postmaster|notifications?|bounces?)"
                      r"([+-].*)?$", re.I)
_QUOTE_START = re.compile(r"^(On .+ wrote:|-----Original Message-----|From: .+|Le .+ a écrit :|Am .+ schrieb .+:)\s*$",
                          re.M)

# Free-mail and consumer domains: their senders are people, not companies (Twenty keeps a similar list).
FREE_MAIL = frozenset("""
gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.fr ymail.com hotmail.com hotmail.co.uk hotmail.fr outlook.com
live.com msn.com icloud.com me.com mac.com aol.com gmx.com gmx.de gmx.net web.de proton.me protonmail.com pm.me
mail.com zoho.com yandex.com yandex.ru fastmail.com hey.com tutanota.com orange.fr free.fr laposte.net libero.it
qq.com 163.com 126.com naver.com comcast.net verizon.net att.net btinternet.com sky.com t-online.de
""".split())


@dataclass(frozen=True)
class Address:
    name: str
    email: str  # lower-cased

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]

    @property
    def is_noreply(self) -> bool:
        return bool(_NOREPLY.match(self.email.partition("@")[0]))


@dataclass
class MailMessage:
    message_id: str
    thread_id: str
    subject: str
    date: datetime
    sender: Address | None
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    snippet: str = ""
    body: str = ""
    auto_submitted: bool = False

    @property
    def participants(self) -> list[Address]:
        seen: dict[str, Address] = {}
        for a in ([self.sender] if self.sender else []) + self.to + self.cc:
            seen.setdefault(a.email, a)
        return list(seen.values())


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("style", "script", "head"):
            self._skip += 1
        elif tag in ("br", "p", "div", "tr", "li"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    p = _Text()
    p.feed(html)
    return "".join(p.parts)


def _header(msg: Message, name: str) -> str:
    raw = msg.get(name)
    if raw is None:
        return ""
    try:
        return str(make_header(decode_header(str(raw))))
    except (LookupError, ValueError, UnicodeError):
        return str(raw)


def _addresses(msg: Message, header: str) -> list[Address]:
    values = [_header_value(v) for v in (msg.get_all(header) or [])]
    out = []
    for name, addr in email.utils.getaddresses(values):
        addr = addr.strip().lower()
        if "@" in addr and " " not in addr:
            out.append(Address(_decode(name).strip(), addr))
    return out


def _header_value(v: object) -> str:
    return str(v)


def _decode(text: str) -> str:
    if "=?" not in text:
        return text
    try:
        return str(make_header(decode_header(text)))
    except (LookupError, ValueError, UnicodeError):
        return text


def _ids(value: object) -> list[str]:
    return _MSGID.findall(str(value or ""))


def _date(msg: Message, fallback: datetime | None) -> datetime:
    raw = msg.get("Date")
    try:
        d = email.utils.parsedate_to_datetime(str(raw)) if raw else None
    except (TypeError, ValueError, IndexError):
        d = None
    if d is None:
        d = fallback or datetime.now(timezone.utc)
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:  # an unknown charset name
        return payload.decode("utf-8", "replace")


def _plain_body(msg: Message) -> str:
    """The first text/plain part (not an attachment), else the first text/html part as text."""
    html = None
    for part in msg.walk():
        if part.is_multipart() or (part.get("Content-Disposition") or "").lower().startswith("attachment"):
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain":
            return _part_text(part)
        if ctype == "text/html" and html is None:
            html = part
    return html_to_text(_part_text(html)) if html is not None else ""


def snippet_of(body: str, limit: int = SNIPPET_CHARS) -> str:
    """The new text of a message: quoted replies and signatures cut, whitespace folded, ``limit`` chars."""
    m = _QUOTE_START.search(body)
    if m:
        body = body[:m.start()]
    lines = [ln for ln in body.splitlines() if not ln.lstrip().startswith(">")]
    text = "\n".join(lines).split("\n-- \n")[0]
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def parse_message(raw: bytes, *, internal_date: datetime | None = None, keep_body: bool = False) -> MailMessage:
    """Parse one message (headers and at least the start of its body)."""
    msg = email.message_from_bytes(raw)
    ids = _ids(msg.get("Message-ID"))
    refs = _ids(msg.get("References"))
    reply_to = (_ids(msg.get("In-Reply-To")) or [None])[0]
    # A message without Message-ID still gets a stable id: a digest of what identifies it.
    message_id = ids[0] if ids else "<sha256-" + hashlib.sha256(
        b"\0".join([str(msg.get(h, "")).encode() for h in ("From", "To", "Date", "Subject")])).hexdigest()[:32] + ">"
    thread = refs[0] if refs else (reply_to or message_id)
    senders = _addresses(msg, "From")
    body = _plain_body(msg)
    subject = " ".join(_header(msg, "Subject").split())
    auto = str(msg.get("Auto-Submitted", "no")).lower() not in ("", "no") or \
        str(msg.get("Precedence", "")).lower() in ("bulk", "list", "junk") or bool(msg.get("List-Unsubscribe"))
    return MailMessage(
        message_id=message_id, thread_id=thread, subject=subject[:500], date=_date(msg, internal_date),
        sender=senders[0] if senders else None, to=_addresses(msg, "To"), cc=_addresses(msg, "Cc"),
        in_reply_to=reply_to, references=refs, snippet=snippet_of(body), body=body if keep_body else "",
        auto_submitted=auto)


def is_business(addr: Address, *, blocked: frozenset[str] = frozenset()) -> bool:
    """A participant worth a contact: a business domain, a person (not a no-reply), not blocked."""
    d = addr.domain
    if d in FREE_MAIL or addr.is_noreply or addr.email in blocked or d in blocked:
        return False
    return any(d == b or d.endswith("." + b) for b in blocked) is False
