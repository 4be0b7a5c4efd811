"""A compact activity timeline (newest first) as rich text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text

from cockpit.models import Activity
from widgets.formatting import short_date

KIND_STYLE = {"email_sent": "cyan", "email_received": "bold cyan", "email_opened": "blue", "email_clicked": "blue",
              "email_bounced": "red", "call": "magenta", "meeting": "magenta", "note": "yellow",
              "stage_change": "green", "enrichment": "dim"}


def render_timeline(items: Sequence[Activity], now: datetime | None = None) -> Text:
    if not items:
        return Text("no activity yet", style="dim")
    text = Text()
    for i, a in enumerate(items):
        if i:
            text.append("\n")
        text.append(f"{short_date(a.occurred_at)} ", style="dim")
        text.append(f"{a.kind:<14} ", style=KIND_STYLE.get(a.kind, ""))
        text.append(a.subject or a.summary or "")
        if a.source and a.source not in ("twenty",):
            text.append(f"  ({a.source})", style="dim")
    return text
