"""Calendar sync: events with contacts among their attendees become ``meeting`` activities.

Sources: a CalDAV account (``COCKPIT_CALDAV_URL``, read with the ``caldav`` library) and ICS
subscription URLs (``COCKPIT_ICS_URLS``: what Google calls a calendar's secret iCal address). Both are
parsed with ``icalendar`` and expanded with ``recurring_ical_events`` inside a window (default 30 days
back, 60 ahead), so a weekly meeting is one activity per occurrence.

Each occurrence is keyed by (source, UID, RECURRENCE-ID): the same key is the same meeting. A moved
meeting (new start for the same key) updates its activities; a cancelled one (STATUS:CANCELLED, or gone
from the source while inside the window) retracts them; an unchanged one writes nothing. All-day
events keep their date; timed events keep their time zone (IANA, via icalendar) and are stored in UTC.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx
import icalendar
import recurring_ical_events

from cockpit.config import Settings
from cockpit.errors import CockpitError


@dataclass
class Occurrence:
    key: str
    uid: str
    starts_at: datetime
    ends_at: datetime | None
    all_day: bool
    summary: str
    location: str
    cancelled: bool
    sequence: int
    organizer: str | None
    attendees: list[str]


@dataclass
class CalendarReport:
    sources: int = 0
    occurrences: int = 0
    created: int = 0
    updated: int = 0
    retracted: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (f"{self.sources} calendars, {self.occurrences} meetings in the window: {self.created} activities "
                f"created, {self.updated} moved, {self.retracted} retracted")
        return text + (f"; {len(self.errors)} errors: " + "; ".join(self.errors) if self.errors else "")


def _redacted(url: str) -> str:
    """A calendar URL as shown in messages: no user, password, query, and no path but its last part
    (a secret iCal address keeps its secret in the path)."""
    p = urlsplit(url)
    netloc = (p.hostname or "") + (f":{p.port}" if p.port else "")
    last = p.path.rstrip("/").rpartition("/")[2]
    return urlunsplit((p.scheme, netloc, f"/…/{last}" if last else "/", "", ""))


def source_ref(url: str) -> str:
    """A stable name for a calendar source that never holds its secret: host + a digest of the URL."""
    p = urlsplit(url)
    return f"{p.scheme}://{p.hostname or ''}#{hashlib.sha256(url.encode()).hexdigest()[:16]}"


def _as_utc(value: Any) -> tuple[datetime, bool]:
    if isinstance(value, datetime):
        return (value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)), False
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=timezone.utc), True
    raise ValueError(f"not a date: {value!r}")


def _addr(v: Any) -> str | None:
    s = str(v or "").strip()
    if s.lower().startswith("mailto:"):
        s = s[7:]
    s = unquote(s).strip().lower()
    return s if "@" in s else None


def occurrences(data: bytes | str, start: datetime, end: datetime) -> list[Occurrence]:
    """Every event occurrence in [start, end) of one iCalendar document."""
    cal = icalendar.Calendar.from_ical(data)
    # a series (RRULE/RDATE, or overridden instances) is keyed per instance; a single event by its UID
    # alone, so that moving it keeps its key (the expander stamps every occurrence with a RECURRENCE-ID)
    series = {str(c.get("UID")) for c in cal.walk("VEVENT")
              if c.get("RRULE") is not None or c.get("RDATE") is not None or c.get("RECURRENCE-ID") is not None}
    out: list[Occurrence] = []
    for ev in recurring_ical_events.of(cal, skip_bad_series=True).between(start, end):
        if ev.name != "VEVENT":
            continue
        uid = str(ev.get("UID") or "")
        if not uid:
            continue
        s, all_day = _as_utc(ev.decoded("DTSTART"))
        e = None
        if ev.get("DTEND") is not None:
            e, _ = _as_utc(ev.decoded("DTEND"))
        rid = ev.get("RECURRENCE-ID")
        rid_key = "" if uid not in series else (_as_utc(rid.dt)[0].isoformat() if rid is not None else s.isoformat())
        attendees = ev.get("ATTENDEE") or []
        if not isinstance(attendees, list):
            attendees = [attendees]
        out.append(Occurrence(
            key=f"{uid}@{rid_key}" if rid_key else uid, uid=uid, starts_at=s, ends_at=e, all_day=all_day,
            summary=" ".join(str(ev.get("SUMMARY") or "").split())[:500], location=str(ev.get("LOCATION") or "")[:200],
            cancelled=str(ev.get("STATUS") or "").upper() == "CANCELLED", sequence=int(ev.get("SEQUENCE") or 0),
            organizer=_addr(ev.get("ORGANIZER")), attendees=sorted({a for a in map(_addr, attendees) if a})))
    return out


def _caldav_documents(url: str, start: datetime, end: datetime) -> list[bytes]:
    """The raw iCalendar of every event in every calendar of a CalDAV account (blocking: run in a thread)."""
    import caldav
    from caldav.lib.error import AuthorizationError, DAVError

    p = urlsplit(url)
    plain = urlunsplit((p.scheme, (p.hostname or "") + (f":{p.port}" if p.port else ""), p.path or "/", p.query, ""))
    try:
        with caldav.DAVClient(url=plain, username=unquote(p.username or ""), password=unquote(p.password or ""),
                              timeout=30) as client:
            docs: list[bytes] = []
            for cal in client.principal().calendars():
                for obj in cal.search(start=start, end=end, event=True, expand=False):
                    data = obj.data
                    docs.append(data.encode() if isinstance(data, str) else data)
            return docs
    except AuthorizationError:
        raise CockpitError(f"{_redacted(url)}: the CalDAV server refused the login",
                           "check the user and password in COCKPIT_CALDAV_URL") from None
    except (DAVError, httpx.HTTPError, OSError) as exc:
        raise CockpitError(f"cannot read the CalDAV account at {_redacted(url)} ({type(exc).__name__})",
                           "check COCKPIT_CALDAV_URL") from None


async def _ics_document(client: httpx.AsyncClient, url: str) -> bytes:
    try:
        resp = await client.get(url, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise CockpitError(f"cannot fetch the calendar {_redacted(url)} ({type(exc).__name__})") from None
    if resp.status_code != 200:
        raise CockpitError(f"the calendar {_redacted(url)} answered HTTP {resp.status_code}",
                           "check the secret iCal address in COCKPIT_ICS_URLS")
    return resp.content


def _split(text: str | None) -> list[str]:
    return [u.strip() for u in (text or "").split(",") if u.strip()]


async def sync_calendars(store: Any, settings: Settings, *, now: datetime | None = None) -> CalendarReport:
    now = now or datetime.now(timezone.utc)
    start, end = now - timedelta(days=settings.calendar_past_days), now + timedelta(days=settings.calendar_future_days)
    report = CalendarReport()
    me = {a.strip().lower() for a in (settings.mail_self or "").split(",") if a.strip()}
    sources: list[tuple[str, list[bytes]]] = []
    if settings.caldav_url:
        try:
            sources.append((settings.caldav_url, await asyncio.to_thread(_caldav_documents, settings.caldav_url,
                                                                          start, end)))
        except CockpitError as exc:
            report.errors.append(str(exc))
    if settings.ics_urls:
        async with httpx.AsyncClient(timeout=30) as http:
            for url in _split(settings.ics_urls):
                try:
                    sources.append((url, [await _ics_document(http, url)]))
                except CockpitError as exc:
                    report.errors.append(str(exc))
    for url, docs in sources:
        report.sources += 1
        occ: dict[str, Occurrence] = {}
        try:
            for doc in docs:
                for o in occurrences(doc, start, end):
                    cur = occ.get(o.key)
                    if cur is None or o.sequence >= cur.sequence:
                        occ[o.key] = o
        except ValueError as exc:
            report.errors.append(f"{_redacted(url)}: not an iCalendar document ({exc})")
            continue
        report.occurrences += sum(1 for o in occ.values() if not o.cancelled)
        c, u, r = await store.calendar.apply(source_ref(url), list(occ.values()), window=(start, end), me=me)
        report.created += c
        report.updated += u
        report.retracted += r
    return report
