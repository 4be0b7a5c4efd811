"""LIKE / ILIKE patterns from user text: the one place that escapes ``%``, ``_`` and the escape character.

PostgreSQL's LIKE treats backslash as the escape character unless told otherwise, so a search for
``50%_off`` must reach the server as ``50\\%\\_off`` or it matches far more than was typed.
"""

from __future__ import annotations


def escape_like(text: str) -> str:
    """``text`` with LIKE's wildcards and its escape character matched literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_pattern(text: str) -> str:
    """A LIKE / ILIKE pattern matching any value that contains ``text`` as typed."""
    return f"%{escape_like(text)}%"
