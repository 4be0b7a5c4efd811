"""Validation of strategic field edits (pure: before anything reaches the database)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from cockpit.errors import ValidationFailed
from cockpit.fields import parse_date, parse_priority, strategic_changes

CURRENT = SimpleNamespace(priority="high", strategy_note=None, relationship_note="champion", recontact_at=None)


def test_date_parses_iso_and_blank_clears() -> None:
    assert parse_date("2027-07-01") == date(2027, 7, 1)
    assert parse_date("  ") is None


@pytest.mark.parametrize("bad", ["soonish", "2027-13-01", "01/07/2027", "2027-02-30"])
def test_a_date_that_is_not_a_date_is_refused_with_the_value(bad: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        parse_date(bad)
    assert repr(bad) in err.value.message and "is not a date" in err.value.message
    assert "YYYY-MM-DD" in (err.value.hint or "")


def test_priority_must_be_known() -> None:
    assert parse_priority("Medium") == "medium"
    assert parse_priority("") is None
    with pytest.raises(ValidationFailed, match="urgent"):
        parse_priority("urgent")


def test_only_changed_fields_are_returned() -> None:
    changes = strategic_changes(CURRENT, {"priority": "high", "strategy_note": " land and expand ",
                                          "relationship_note": "champion", "recontact_at": "2027-07-01"})
    assert changes == {"strategy_note": "land and expand", "recontact_at": date(2027, 7, 1)}


def test_one_bad_field_refuses_the_whole_edit() -> None:
    with pytest.raises(ValidationFailed):
        strategic_changes(CURRENT, {"strategy_note": "ok", "recontact_at": "whenever"})


def test_unknown_field_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="stage_id"):
        strategic_changes(CURRENT, {"stage_id": "DEMO"})
