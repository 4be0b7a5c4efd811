"""Money as people read it, for the screens and for arlo's reports alike (pure, no I/O)."""

from __future__ import annotations

from decimal import Decimal

CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£"}


def money(amount: Decimal | float | None, currency: str | None = "USD", *, compact: bool = False) -> str:
    """``$120,000`` or, compact, ``$120k`` / ``$1.2M``; em dash for no amount."""
    if amount is None:
        return "—"
    sign = CURRENCY_SIGNS.get((currency or "USD").upper(), "")
    value = float(amount)
    if compact:
        for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(value) >= limit:
                text = f"{value / limit:.1f}".rstrip("0").rstrip(".")
                return f"{sign}{text}{suffix}" if sign else f"{text}{suffix} {currency or ''}".strip()
    text = f"{value:,.0f}"
    return f"{sign}{text}" if sign else f"{text} {currency or ''}".strip()


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells, ending with an ellipsis when cut."""
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def counted(n: int, one: str, many: str | None = None) -> str:
    """``n`` and the noun that agrees with it: "1 row", "2 rows", "1 company" / "3 companies"."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"
