"""When a step may go out: business days, a sending window in the contact's IANA time zone.

Due times are stored in UTC; windows are computed in the contact's zone with :mod:`zoneinfo`, so
09:00 in New York is 14:00 UTC in winter and 13:00 UTC in summer (the Mautic/Reply.io DST bugs come
from doing this arithmetic in UTC or with fixed offsets). A window start that falls in a spring-forward
gap resolves to the first instant after the gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cockpit.errors import ValidationFailed

UTC = timezone.utc


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    """The zone for an IANA name; an unknown or empty name falls back to ``default``."""
    for candidate in (name, default, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(f"unknown time zone {name!r}", "use an IANA name like America/New_York") from None
    return name


def _parse_time(value: Any, what: str) -> time:
    try:
        hh, mm = str(value).split(":")
        return time(int(hh), int(mm))
    except (ValueError, TypeError):
        raise ValidationFailed(f"send window {what} must be HH:MM, got {value!r}") from None


@dataclass(frozen=True)
class SendWindow:
    """Local hours and ISO weekdays (1 = Monday) a sequence may send in; ``time_zone`` is used for
    contacts without one."""

    start: time = time(9, 0)
    end: time = time(17, 0)
    days: frozenset[int] = field(default_factory=lambda: frozenset({1, 2, 3, 4, 5}))
    time_zone: str = "UTC"

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "SendWindow":
        data = data or {}
        start = _parse_time(data.get("start", "09:00"), "start")
        end = _parse_time(data.get("end", "17:00"), "end")
        if end <= start:
            raise ValidationFailed("send window end must be after its start")
        days = frozenset(int(d) for d in data.get("days", [1, 2, 3, 4, 5]))
        if not days or not days <= set(range(1, 8)):
            raise ValidationFailed("send window days must be ISO weekdays 1-7 (1 = Monday)")
        return cls(start, end, days, check_zone(str(data.get("time_zone") or "UTC")))

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start.strftime("%H:%M"), "end": self.end.strftime("%H:%M"),
                "days": sorted(self.days), "time_zone": self.time_zone}


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """``day`` at local wall time ``at`` in ``tz``, as UTC. Gap times move past the gap."""
    naive = datetime.combine(day, at)
    utc = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    back = utc.astimezone(tz).replace(tzinfo=None)
    if back < naive:  # inside a spring-forward gap: the later reading is the first real instant
        utc = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    return utc


def add_business_days(day: date, n: int, days: frozenset[int]) -> date:
    """``n`` sending days after ``day`` (0 = the same day)."""
    while n > 0:
        day += timedelta(days=1)
        if day.isoweekday() in days:
            n -= 1
    return day


def in_window(now: datetime, tz: ZoneInfo, window: SendWindow) -> bool:
    local = now.astimezone(tz)
    return local.isoweekday() in window.days and window.start <= local.time() < window.end


def next_open(now: datetime, tz: ZoneInfo, window: SendWindow, *, not_today: bool = False) -> datetime:
    """The first instant at or after ``now`` inside the window (``not_today``: from tomorrow, local)."""
    if not not_today and in_window(now, tz, window):
        return now
    local = now.astimezone(tz)
    day = local.date()
    if not_today or local.time() >= window.start or local.isoweekday() not in window.days:
        day += timedelta(days=1)
    while day.isoweekday() not in window.days:
        day += timedelta(days=1)
    return local_instant(day, window.start, tz)


def due_after(sent_at: datetime, wait_days: int, tz: ZoneInfo, window: SendWindow) -> datetime:
    """When the next step is due: ``wait_days`` sending days after ``sent_at`` (local date), at the
    window's start; with no wait, right away (the window is checked when it is sent)."""
    if wait_days <= 0:
        return sent_at
    day = add_business_days(sent_at.astimezone(tz).date(), wait_days, window.days)
    return local_instant(day, window.start, tz)
