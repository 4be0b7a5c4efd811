"""The import's plain types: what the CRM already holds for a file's keys, the auto rule's name, and the
progress callback the import reports through."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

AUTO_RULE = "import.new_record_no_candidate"

Progress = Callable[[str, int, int], None]


@dataclass
class ImportStep:
    """Some rows of a file, ready to write: (row number, raw values, errors) per row, and the proposals
    planned from them (ProposalRecords)."""

    rows: list[tuple[int, list[str], list[dict[str, Any]]]]
    proposals: list[Any]


@dataclass
class Existing:
    """What the CRM already holds for the keys in this file."""

    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)   # email -> contact row
    company_domains: dict[str, str] = field(default_factory=dict)        # domain -> company id
    company_names: dict[str, str] = field(default_factory=dict)          # lower(name) -> company id


# (emails, domains, lower-case company names) -> what the CRM holds for them; called from a worker thread
LookUp = Callable[[list[str], list[str], list[str]], Existing]
