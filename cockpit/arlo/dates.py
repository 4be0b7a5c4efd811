"""Dates as Justin writes them -> one exact date, shown back to him.

Calendar phrases ("Feb 15th", "march 3", "next Tuesday", "in 2 weeks", "2027-03-15") are read by
dateparser; the business phrases it lacks are read here first: quarters ("Q3", "end of Q1", "Q2 2027"),
"end of the month/quarter/year", "early/mid/late March", "in a couple of weeks", "after the summer",
"after the board meeting on Jan 12" (the day after the date named). Dates are always in the future of
``today`` unless a year says otherwise; a phrase that names no readable date gives None.
"""

from __future__ import annotations

import re
import warnings
from calendar import monthrange
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS.update({"sept": 9, "janurary": 1, "febuary": 2, "feburary": 2, "agust": 8, "setpember": 9, "decmber": 12})
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "couple of": 2, "couple": 2,
                "few": 3, "a few": 3, "a couple of": 2, "a couple": 2}
SEASONS = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}

_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY_RE = "|".join(WEEKDAYS + [d[:3] for d in WEEKDAYS] + ["tues", "thurs", "weds"])
_NUM_RE = r"\d+|a couple of|a couple|couple of|a few|few|an|a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
_QUARTER_RE = r"q[1-4](?:\s*(?:'|20)?\d{2})?"

# A date phrase inside a sentence (longest forms first). The reader below decides what it means.
DATE_PHRASE = re.compile(
    r"\b(?:"
    r"after\s+(?:the\s+)?[a-z' ]{2,40}?\s+on\s+(?:(?:" + _MONTH_RE + r")\.?\s+\d{1,2}(?:st|nd|rd|th)?|\d{1,2}(?:st|nd|rd|th)?\s+(?:" + _MONTH_RE + r"))"
    r"|(?:the\s+)?(?:end|start|beginning|middle|mid|close)\s+of\s+(?:the\s+|this\s+|next\s+)?(?:" + _QUARTER_RE + r"|month|quarter|year|week|" + _MONTH_RE + r")"
    r"|(?:early|mid|late|end)[- ](?:" + _MONTH_RE + r"|" + _QUARTER_RE + r")"
    r"|(?:next|this|coming)\s+(?:" + _WEEKDAY_RE + r"|week|month|quarter|year|" + _MONTH_RE + r")"
    r"|(?:" + _WEEKDAY_RE + r")\s+(?:next\s+week|week)"
    r"|(?:in\s+|within\s+)?(?:" + _NUM_RE + r")\s*(?:days?|weeks?|wks?|months?|mos?|years?|yrs?|quarters?)(?:\s+from\s+now|\s+time)?"
    r"|(?:the\s+)?\d{1,2}(?:st|nd|rd|th)(?!\s+(?:of\s+)?(?:" + _MONTH_RE + r"))"
    r"|(?:after|before|by)\s+(?:thanksgiving|christmas|xmas|new year'?s?|the new year|easter)"
    r"|\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}/\d{1,2}(?:/\d{2,4})?"
    r"|(?:" + _MONTH_RE + r")\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:" + _MONTH_RE + r")(?:,?\s+\d{4})?"
    r"|(?:after|before)\s+(?:the\s+)?(?:summer|spring|fall|autumn|winter|holidays|new year|christmas)"
    r"|" + _QUARTER_RE +
    r"|(?:" + _MONTH_RE + r")(?:\s+\d{4})?"
    r"|(?:" + _WEEKDAY_RE + r")"
    r"|tomorrow|tmrw|tmr|today|tonight|next\s+week|asap"
    r")\b", re.I)


def _quarter(text: str, today: date) -> tuple[int, int] | None:
    m = re.search(r"q([1-4])(?:\s*(?:'|20)?(\d{2}))?", text)
    if not m:
        return None
    q = int(m[1])
    if m[2]:
        return q, 2000 + int(m[2])
    start = date(today.year, 3 * (q - 1) + 1, 1)
    end = start + relativedelta(months=3) - timedelta(days=1)
    return q, today.year if end >= today else today.year + 1


def _next_month_start(month: int, today: date, year: int | None = None) -> date:
    if year:
        return date(year, month, 1)
    return date(today.year if month > today.month else today.year + 1, month, 1)


def _dateparser(text: str, today: date) -> date | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import dateparser
    base = datetime(today.year, today.month, today.day, 12)
    parsed = dateparser.parse(text, languages=["en"], settings={
        "RELATIVE_BASE": base, "PREFER_DATES_FROM": "future", "PREFER_DAY_OF_MONTH": "first",
        "RETURN_AS_TIMEZONE_AWARE": False, "DATE_ORDER": "MDY", "STRICT_PARSING": False})
    return parsed.date() if parsed else None


def read_date(expr: str, today: date) -> date | None:
    """The exact date ``expr`` names, relative to ``today``; None when it names none."""
    e = " ".join(expr.lower().replace(",", " ").split())
    e = re.sub(r"^(?:on|by|around|for|until|till|in|at)\s+(?=\S)", "", e)
    if not e:
        return None
    if e in ("today", "tonight", "asap"):
        return today
    if e in ("tmrw", "tmr"):
        e = "tomorrow"
    # "after the board meeting on Jan 12" -> the day after Jan 12
    if m := re.fullmatch(r"after\s+.+?\s+on\s+(.+)", e):
        named = read_date(m[1], today)
        return named + timedelta(days=1) if named else None
    if m := re.fullmatch(r"(?:after|before)\s+(?:the\s+)?(summer|spring|fall|autumn|winter|holidays|new year|christmas)", e):
        word, after = m[1], e.startswith("after")
        if word in ("holidays", "new year", "christmas"):
            return date(today.year + 1, 1, 5) if after else date(today.year, 12, 15)
        start = _next_month_start(SEASONS[word], today) if SEASONS[word] != today.month else today
        return start + relativedelta(months=3) if after else start - relativedelta(months=1)
    # quarters and periods
    if m := re.fullmatch(r"(?:the\s+)?(end|close|start|beginning|middle|mid)\s+of\s+(?:the\s+|this\s+|next\s+)?(.+)", e):
        edge, what = m[1], m[2]
        nxt = " next " in f" {e} "
        q = _quarter(what, today)
        if q:
            start = date(q[1], 3 * (q[0] - 1) + 1, 1)
            span = (start, start + relativedelta(months=3) - timedelta(days=1))
        elif what == "month":
            start = (today.replace(day=1) + relativedelta(months=1)) if nxt else today.replace(day=1)
            span = (start, start + relativedelta(months=1) - timedelta(days=1))
        elif what == "quarter":
            start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1) + relativedelta(months=3 if nxt else 0)
            span = (start, start + relativedelta(months=3) - timedelta(days=1))
        elif what == "year":
            start = date(today.year + (1 if nxt else 0), 1, 1)
            span = (start, date(start.year, 12, 31))
        elif what == "week":
            start = today - timedelta(days=today.weekday()) + timedelta(weeks=1 if nxt else 0)
            span = (start, start + timedelta(days=4))
        elif what in MONTHS:
            start = _next_month_start(MONTHS[what], today) if MONTHS[what] != today.month else today.replace(day=1)
            span = (start, start + relativedelta(months=1) - timedelta(days=1))
        else:
            return None
        if edge in ("end", "close"):
            return span[1]
        if edge in ("middle", "mid"):
            return span[0] + (span[1] - span[0]) / 2
        return span[0] if span[0] >= today else today
    if m := re.fullmatch(r"(early|mid|late|end)[- ](.+)", e):
        what = m[2]
        q = _quarter(what, today)
        if q:
            start = date(q[1], 3 * (q[0] - 1) + 1, 1)
            length = 90
        elif what in MONTHS:
            start = _next_month_start(MONTHS[what], today)
            length = monthrange(start.year, start.month)[1]
        else:
            return None
        day = {"early": 0, "mid": length // 2, "late": length * 3 // 4, "end": length - 1}[m[1]]
        return start + timedelta(days=day)
    if re.fullmatch(_QUARTER_RE, e):
        q = _quarter(e, today)
        assert q is not None
        start = date(q[1], 3 * (q[0] - 1) + 1, 1)
        return start if start >= today else today
    if e in ("next quarter", "coming quarter"):
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1) + relativedelta(months=3)
    if e in ("this quarter",):
        return today
    if e in ("next year",):
        return date(today.year + 1, 1, 1)
    if e in ("next month", "coming month"):
        return today.replace(day=1) + relativedelta(months=1)
    if m := re.fullmatch(r"(?:after|before|by)\s+(thanksgiving|christmas|xmas|new year'?s?|the new year|easter)", e):
        after = e.startswith("after")
        if m[1] == "thanksgiving":   # the fourth Thursday of November
            year = today.year if today <= _thanksgiving(today.year) else today.year + 1
            day = _thanksgiving(year)
        elif m[1] in ("christmas", "xmas"):
            day = date(today.year if today <= date(today.year, 12, 25) else today.year + 1, 12, 25)
        elif m[1] == "easter":
            from dateutil.easter import easter
            day = easter(today.year) if today <= easter(today.year) else easter(today.year + 1)
        else:
            day = date(today.year + 1, 1, 1)
        return day + timedelta(days=1) if after else day - timedelta(days=1)
    if m := re.fullmatch(r"(?:within\s+)?(" + _NUM_RE + r")\s*(day|week|wk|month|mo|year|yr|quarter)s?(?:\s+from\s+now|\s+time)?", e):
        n = int(m[1]) if m[1].isdigit() else NUMBER_WORDS[m[1]]
        unit = {"wk": "week", "mo": "month", "yr": "year"}.get(m[2], m[2])
        return {"day": today + timedelta(days=n), "week": today + timedelta(weeks=n),
                "month": today + relativedelta(months=n), "quarter": today + relativedelta(months=3 * n),
                "year": today + relativedelta(years=n)}[unit]
    if m := re.fullmatch(r"(next|this|coming)\s+(" + _MONTH_RE + r")", e):
        return _next_month_start(MONTHS[m[2]], today)
    if m := re.fullmatch(r"(" + _MONTH_RE + r")(?:\s+(\d{4}))?", e):
        return _next_month_start(MONTHS[m[1]], today, int(m[2]) if m[2] else None)
    if m := re.fullmatch(r"(" + _MONTH_RE + r")\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:\s+(\d{4}))?", e):
        return _month_day(MONTHS[m[1]], int(m[2]), int(m[3]) if m[3] else None, today)
    if m := re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(" + _MONTH_RE + r")(?:\s+(\d{4}))?", e):
        return _month_day(MONTHS[m[2]], int(m[1]), int(m[3]) if m[3] else None, today)
    if m := re.fullmatch(r"(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)", e):
        day = int(m[1])
        for k in range(0, 3):
            first = today.replace(day=1) + relativedelta(months=k)
            if day <= monthrange(first.year, first.month)[1] and first.replace(day=day) >= today:
                return first.replace(day=day)
        return None
    if m := re.fullmatch(r"(" + _WEEKDAY_RE + r")\s+(?:next\s+)?week", e):
        e = f"next {m[1]}"
    if re.fullmatch(r"\d{1,2}/\d{1,2}", e):
        found = _dateparser(e, today)
        return found if found and found >= today else (found + relativedelta(years=1) if found else None)
    if re.fullmatch(r"(?:next\s+|this\s+|coming\s+)?(?:" + _WEEKDAY_RE + r")", e):
        word = e.split()[-1]
        idx = next(i for i, d in enumerate(WEEKDAYS) if d.startswith(word[:3]))
        days = (idx - today.weekday()) % 7 or 7
        return today + timedelta(days=days)
    if e == "next week":
        return today + timedelta(days=7 - today.weekday())  # next Monday
    if not re.search(r"\d|tomorrow|yesterday", e):
        return None  # dateparser reads any stray word as a date; only hand it what looks like one
    found = _dateparser(e, today)
    return found


def _thanksgiving(year: int) -> date:
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


def _month_day(month: int, day: int, year: int | None, today: date) -> date | None:
    try:
        if year:
            return date(year, month, day)
        candidate = date(today.year, month, day)
        return candidate if candidate >= today else date(today.year + 1, month, day)
    except ValueError:
        return None


def find_dates(text: str) -> list[tuple[int, int, str]]:
    """Spans of date phrases in ``text``: (start, end, phrase), left to right, not overlapping."""
    return [(m.start(), m.end(), m.group(0)) for m in DATE_PHRASE.finditer(text)]


def shown(d: date) -> str:
    """How a date is shown back: the weekday and the ISO date ("Mon 2027-03-15")."""
    return f"{d:%a} {d.isoformat()}"
