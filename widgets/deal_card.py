"""How a deal looks on the pipeline board: a few lines of rich text, an OptionList prompt (not a widget
per card — thousands of card widgets would make the board slow)."""

from __future__ import annotations

from datetime import date, datetime

from rich.text import Text

from cockpit.models import DealCard
from widgets.formatting import days_since, money

PRIORITY_MARK = {"high": ("▲", "bold red"), "medium": ("◆", "yellow"), "low": ("▽", "dim")}


def render_card(card: DealCard, now: datetime, stale_days: int, *, closed: bool = False) -> Text:
    """Three lines: priority + name / company (the contact when the name already starts with the
    company) / amount, close date (``overdue`` when an open deal is past it), days since the last
    activity (``⚠`` and red once stale; a closed deal is never stale). Kept short: a column can be 22
    cells wide."""
    mark, mark_style = PRIORITY_MARK.get(card.priority or "", (" ", ""))
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(mark, style=mark_style)
    text.append(" ")
    text.append(card.name or "(unnamed deal)", style="bold")
    text.append("\n  ")
    name, company = (card.name or "").casefold(), (card.company_name or "").casefold()
    if company and name.startswith(company) and card.contact_name:
        text.append(card.contact_name, style="italic")
    else:
        text.append(card.company_name or "no company", style="italic" if card.company_name else "dim")
    text.append("\n  ")
    text.append(money(card.amount, card.currency, compact=True), style="green")
    text.append(" ")
    overdue = not closed and card.close_date is not None and card.close_date < now.date()
    if overdue:
        text.append("overdue", style="bold red")
    else:
        text.append(close_label(card.close_date, now), style="cyan" if card.close_date else "dim")
    idle = days_since(card.last_activity_at, now)
    text.append(" ")
    if closed:
        text.append(f"{idle}d" if idle is not None else "", style="dim")
    elif idle is None:
        text.append("no activity", style="dim")
    else:
        if idle >= stale_days:
            text.append(f"⚠{idle}d", style="bold red")
        else:
            text.append(f"{idle}d", style="dim")
    return text


def close_label(close: date | None, now: datetime) -> str:
    """``Dec 04`` this year, ``Mar '27`` later or earlier: short enough for a narrow column."""
    if close is None:
        return "no date"
    return close.strftime("%b %d") if close.year == now.year else close.strftime("%b '%y")
