"""Business days, sending windows and DST boundaries (pure), plus templates' merge-field rules, and one
end-to-end check that the step honours a contact's time zone across a DST change."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from cockpit.config import Settings
from cockpit.errors import ValidationFailed
from cockpit.sequences.models import parse_steps
from cockpit.sequences.schedule import (
    SendWindow,
    add_business_days,
    due_after,
    in_window,
    local_instant,
    next_open,
)
from cockpit.sequences.step import sequence_step
from cockpit.sequences.templates import MissingMergeField, render
from cockpit.store import Store
from tests.seq_helpers import contacts_with_email

UTC = timezone.utc
NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")
W = SendWindow()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_business_days_skip_weekends() -> None:
    assert add_business_days(date(2026, 11, 20), 1, W.days) == date(2026, 11, 23)  # Fri -> Mon
    assert add_business_days(date(2026, 11, 21), 1, W.days) == date(2026, 11, 23)  # Sat -> Mon
    assert add_business_days(date(2026, 11, 18), 3, W.days) == date(2026, 11, 23)
    assert add_business_days(date(2026, 11, 18), 0, W.days) == date(2026, 11, 18)


@pytest.mark.parametrize("sent, tz, wait, due", [
    # US spring forward (Sun 8 Mar 2026): 09:00 is 14:00 UTC before, 13:00 UTC after.
    (utc(2026, 3, 6, 15), NY, 1, utc(2026, 3, 9, 13)),
    # US fall back (Sun 1 Nov 2026): 09:00 is 13:00 UTC before, 14:00 UTC after.
    (utc(2026, 10, 30, 15), NY, 1, utc(2026, 11, 2, 14)),
    # UK (Sun 29 Mar 2026): 09:00 GMT = 09:00 UTC, then 09:00 BST = 08:00 UTC.
    (utc(2026, 3, 27, 10), LONDON, 1, utc(2026, 3, 30, 8)),
    (utc(2026, 10, 23, 10), LONDON, 1, utc(2026, 10, 26, 9)),
    # Southern hemisphere: Sydney leaves DST on Sun 5 Apr 2026 (09:00 AEDT = 22:00 UTC, AEST = 23:00 UTC).
    (utc(2026, 4, 2, 23), SYDNEY, 1, utc(2026, 4, 5, 23)),
])
def test_due_after_across_dst(sent: datetime, tz: ZoneInfo, wait: int, due: datetime) -> None:
    assert due_after(sent, wait, tz, W) == due
    assert due.astimezone(tz).time() == time(9, 0)


def test_window_in_local_time_on_dst_days() -> None:
    assert in_window(utc(2026, 3, 9, 13, 30), NY, W)        # 09:30 EDT
    assert not in_window(utc(2026, 3, 9, 12, 30), NY, W)    # 08:30 EDT (would be 07:30 EST: still closed)
    assert in_window(utc(2026, 3, 6, 14, 30), NY, W)        # 09:30 EST
    assert not in_window(utc(2026, 3, 6, 13, 30), NY, W)    # 08:30 EST
    assert next_open(utc(2026, 3, 9, 12, 30), NY, W) == utc(2026, 3, 9, 13)
    # Friday evening local -> Monday 09:00, across the fall-back weekend.
    assert next_open(utc(2026, 10, 30, 22), NY, W) == utc(2026, 11, 2, 14)
    assert next_open(utc(2026, 11, 21, 12), NY, W) == utc(2026, 11, 23, 14)  # Saturday
    assert next_open(utc(2026, 11, 20, 15), NY, W, not_today=True) == utc(2026, 11, 23, 14)


def test_gap_and_fold_times() -> None:
    # 02:30 does not exist on 8 Mar 2026 in New York: the first real instant after the gap is 03:00 EDT.
    assert local_instant(date(2026, 3, 8), time(2, 30), NY) == utc(2026, 3, 8, 7, 30)
    assert local_instant(date(2026, 3, 8), time(2, 30), NY).astimezone(NY).hour == 3
    # 01:30 happens twice on 1 Nov 2026: the first (EDT) one is used.
    assert local_instant(date(2026, 11, 1), time(1, 30), NY) == utc(2026, 11, 1, 5, 30)


def test_send_window_validation() -> None:
    with pytest.raises(ValidationFailed, match="end must be after"):
        SendWindow.from_json({"start": "17:00", "end": "09:00"})
    with pytest.raises(ValidationFailed, match="unknown time zone"):
        SendWindow.from_json({"time_zone": "Mars/Olympus"})
    with pytest.raises(ValidationFailed, match="ISO weekdays"):
        SendWindow.from_json({"days": [0, 8]})


def test_templates_fallbacks_and_missing_fields() -> None:
    assert render("Hi {{first_name|there}},", {"first_name": None}) == "Hi there,"
    assert render("Hi {{ first_name | there }},", {"first_name": "Ana"}) == "Hi Ana,"
    assert render("Hi{{first_name|}}!", {"first_name": "  "}) == "Hi!"
    with pytest.raises(MissingMergeField) as err:
        render("Hi {{first_name}} at {{company}}", {"first_name": "", "company": None})
    assert err.value.fields == ["first_name", "company"]
    assert "no fallback" in err.value.message


def test_step_definitions_are_validated() -> None:
    with pytest.raises(ValidationFailed, match="at least one step"):
        parse_steps([])
    with pytest.raises(ValidationFailed, match="step 2 body: unknown merge field frist_name"):
        parse_steps([{"subject": "a", "body": "b"}, {"subject": "c", "body": "Hi {{frist_name}}"}])
    with pytest.raises(ValidationFailed, match="unbalanced"):
        parse_steps([{"subject": "Hi {{first_name", "body": "b"}])
    with pytest.raises(ValidationFailed, match="step 1: wait_days"):
        parse_steps([{"subject": "a", "body": "b", "wait_days": -1}])


async def test_step_uses_the_contacts_zone_across_dst(store: Store, settings: Settings) -> None:
    async with store.db.tx("owner") as conn:  # only this test's enrollment is due
        await conn.execute("DELETE FROM crm_sequences")
        await conn.execute("DELETE FROM redkey.contact_email_prefs")
    seq = await store.sequences.create_sequence("Zones", [{"subject": "Hello {{first_name|there}}", "body": "One"},
                                                {"subject": "Again", "body": "Two", "wait_days": 1}])
    [cid] = await contacts_with_email(store, 1)
    await store.sequences.set_contact_time_zone(cid, "America/New_York")
    friday = utc(2026, 3, 6, 13, 30)  # 08:30 EST: before the window
    enrollment = await store.sequences.enroll(cid, seq.id, now=friday)
    report = await sequence_step(store, settings, now=friday)  # offline: scheduling still applies
    assert report.rescheduled == 1 and report.drafted == 0
    assert (await store.sequences.enrollment(enrollment.id)).next_due_at == utc(2026, 3, 6, 14)  # 09:00 EST
    with pytest.raises(ValidationFailed, match="unknown time zone"):
        await store.sequences.set_contact_time_zone(cid, "Nowhere/Special")
