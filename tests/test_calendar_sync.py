"""Calendar sync against real servers started by the test: Radicale (CalDAV, from PyPI) and a plain HTTP
server handing out an ICS file as Google's secret iCal address does. Meetings with contacts become
meeting activities (recurring ones per occurrence, all-day and time zones kept); a moved meeting
updates its activity, a cancelled or deleted one retracts it, a re-sync writes nothing."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import caldav
import pytest

from cockpit.calendar.sync import sync_calendars
from cockpit.config import Settings
from cockpit.store import Store
from tests.mail_servers import Radicale, free_port, radicale

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)
NY = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def dav() -> Iterator[Radicale]:
    with radicale() as r:
        yield r


def _vevent(uid: str, start: str, end: str, summary: str, attendees: list[str], *, extra: str = "",
            tz: str | None = "America/New_York") -> str:
    tzp = f";TZID={tz}" if tz else ""
    att = "".join(f"ATTENDEE;CN=x;ROLE=REQ-PARTICIPANT:mailto:{a}\r\n" for a in attendees)
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART{tzp}:{start}\r\nDTEND{tzp}:{end}\r\n"
            f"SUMMARY:{summary}\r\nORGANIZER:mailto:justin@bezeliq.com\r\n{att}{extra}END:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest.fixture
async def contacts(store: Store) -> list[dict[str, Any]]:
    rows = await store.db.fetch_dicts("SELECT id, email FROM crm_contacts WHERE email LIKE '%%@%%' ORDER BY id LIMIT 2")
    assert len(rows) == 2
    return rows


async def _meetings(store: Store) -> list[dict[str, Any]]:
    return await store.db.fetch_dicts("SELECT occurred_at, subject, contact_id, properties FROM crm_activities "
                                   "WHERE source = 'calendar' AND kind = 'meeting' ORDER BY occurred_at, subject")


async def test_caldav_meetings_moves_and_cancellations(dav: Radicale, store: Store, settings: Settings,
                                                       contacts: list[dict[str, Any]]) -> None:
    a, b = contacts[0]["email"], contacts[1]["email"]
    client = caldav.DAVClient(url=dav.url, username=dav.user, password=dav.password)
    cal = client.principal().make_calendar(name="Work")
    cal.save_event(_vevent("m1@test", "20261123T100000", "20261123T110000", "Pilot kickoff", [a]))
    cal.save_event(_vevent("w1@test", "20261102T090000", "20261102T093000", "Weekly sync", [b],
                           extra="RRULE:FREQ=WEEKLY;COUNT=6\r\n"))
    cal.save_event("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:d1@test\r\n"
                   "DTSTAMP:20261101T000000Z\r\nDTSTART;VALUE=DATE:20261125\r\nDTEND;VALUE=DATE:20261126\r\n"
                   f"SUMMARY:Offsite\r\nATTENDEE:mailto:{a}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    cal.save_event(_vevent("f1@test", "20261124T190000", "20261124T210000", "Dinner", ["friend@gmail.com"]))
    url = dav.url.replace("http://", f"http://{dav.user}:{dav.password}@")
    s = settings.model_copy(update={"caldav_url": url, "mail_self": "justin@bezeliq.com"})

    report = await sync_calendars(store, s, now=NOW)
    assert not report.errors, report.errors
    rows = await _meetings(store)
    kickoff = [r for r in rows if r["subject"] == "Pilot kickoff"]
    assert len(kickoff) == 1 and kickoff[0]["occurred_at"] == datetime(2026, 11, 23, 10, 0, tzinfo=NY)
    weekly = [r for r in rows if r["subject"] == "Weekly sync"]
    assert len(weekly) == 6 and {str(r["contact_id"]) for r in weekly} == {str(contacts[1]["id"])}
    # 09:00 New York across the DST change on Nov 1 stays 09:00 local: 14:00 UTC
    assert all(r["occurred_at"].astimezone(NY).hour == 9 for r in weekly)
    offsite = [r for r in rows if r["subject"] == "Offsite"]
    assert offsite and offsite[0]["properties"]["all_day"] is True
    assert offsite[0]["occurred_at"] == datetime(2026, 11, 25, tzinfo=timezone.utc)
    assert not [r for r in rows if r["subject"] == "Dinner"]
    assert report.created == len(rows) == 8

    again = await sync_calendars(store, s, now=NOW)
    assert (again.created, again.updated, again.retracted) == (0, 0, 0)

    # move the kickoff, cancel the offsite, delete one weekly occurrence's whole series
    ev = cal.event_by_uid("m1@test")
    ev.data = _vevent("m1@test", "20261124T140000", "20261124T150000", "Pilot kickoff (moved)", [a],
                      extra="SEQUENCE:1\r\n")
    ev.save()
    off = cal.event_by_uid("d1@test")
    off.data = off.data.replace("SUMMARY:Offsite", "SUMMARY:Offsite\r\nSTATUS:CANCELLED")
    off.save()
    cal.event_by_uid("w1@test").delete()
    third = await sync_calendars(store, s, now=NOW)
    rows = await _meetings(store)
    assert [r["subject"] for r in rows] == ["Pilot kickoff (moved)"]
    assert rows[0]["occurred_at"] == datetime(2026, 11, 24, 14, 0, tzinfo=NY)
    assert third.updated == 1 and third.retracted == 7 and third.created == 0


class _Ics(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/calendar/ical/secret/basic.ics"):
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar; charset=UTF-8")
            self.end_headers()
            self.wfile.write(self.body)
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


async def test_ics_subscription_and_bad_urls(store: Store, settings: Settings, contacts: list[dict[str, Any]]) -> None:
    _Ics.body = _vevent("g1@google.com", "20261126T160000Z", "20261126T170000Z", "Quarterly review",
                        [contacts[0]["email"].upper()], tz=None).encode()
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Ics)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        good = f"http://127.0.0.1:{port}/calendar/ical/secret/basic.ics"
        bad = f"http://127.0.0.1:{port}/nope.ics"
        s = settings.model_copy(update={"ics_urls": f"{good}, {bad}"})
        report = await sync_calendars(store, s, now=NOW)
        rows = await _meetings(store)
        assert [r["subject"] for r in rows] == ["Quarterly review"]
        assert rows[0]["occurred_at"] == datetime(2026, 11, 26, 16, 0, tzinfo=timezone.utc)
        assert report.errors == [f"the calendar http://127.0.0.1:{port}/…/nope.ics answered HTTP 404 — "
                                 "check the secret iCal address in COCKPIT_ICS_URLS"]
        assert "secret" not in rows[0]["properties"]["calendar"]  # the address's secret is never stored
    finally:
        server.shutdown()
