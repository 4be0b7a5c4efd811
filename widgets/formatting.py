"""Small display helpers shared by widgets: money (from the core, which arlo's reports use too), dates,
relative days (pure, no I/O)."""

from __future__ import annotations

from datetime import date, datetime

from cockpit.formatting import money

__all__ = ["ago", "days_since", "money", "short_date"]


def short_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()


def days_since(moment: datetime | None, now: datetime) -> int | None:
    if moment is None:
        return None
    return max((now - moment).days, 0)


def ago(moment: datetime | None, now: datetime) -> str:
    days = days_since(moment, now)
    if days is None:
        return "never"
    if days == 0:
        return "today"
    return f"{days}d ago"
