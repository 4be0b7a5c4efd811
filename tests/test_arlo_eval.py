"""The evaluation: every sentence of tests/arlo_eval_cases.py told to arlo against the demo data.

Each case runs as a real strategic task. A snapshot of every strategic field and deal term of every
record of the client, taken before and after, says exactly what was written; anything written that
the case does not expect is a wrong write and fails the test. A write is then undone (``cockpit undo``'s
path) and the snapshot must be back to where it was, so every case starts from the same data.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from cockpit.arlo.context import Services
from cockpit.arlo.enrichment import OfflineProvider
from cockpit.arlo.instructions import RuleBasedParser
from cockpit.arlo.questions import undo
from cockpit.arlo.runner import Arlo
from cockpit.store import Store
from tests.arlo_eval_cases import CASES, Case
from tests.conftest import FIXED_NOW

# New notes and tasks (what they say, due when, linked to which records).
OBJECTS = {"crm_notes": "title, body, NULL::date AS due, target_ids",
           "crm_tasks": "title, body, (due_at AT TIME ZONE 'UTC')::date AS due, target_ids"}
COLUMNS = {
    "crm_deals": ["name", "amount", "currency", "close_date", "stage_id", "priority", "strategy_note", "recontact_at"],
    "crm_contacts": ["full_name", "priority", "strategy_note", "relationship_note", "recontact_at"],
    "crm_companies": ["name", "priority", "strategy_note", "relationship_note", "recontact_at"],
}
# Records of the full-size demo that the sentences name, added to the test demo.
EXTRA_COMPANIES = [("Stanton Logistics", "stantonlogistics.com"), ("York & Blake", "yorkblake.com"),
                   ("Hamilton Labs", "hamiltonlabs.io"), ("Macdonald Analytics", "macdonaldanalytics.co")]
EXTRA_DEALS = [("Stanton Logistics — Pilot", "PROPOSAL", 24000, "Stanton Logistics"),
               ("York & Blake — Pilot", "QUALIFY", 18000, "York & Blake"),
               ("Hamilton Labs — Platform", "DEMO", 54000, "Hamilton Labs"),
               ("Macdonald Analytics — Expansion", "PROPOSAL", 36000, "Macdonald Analytics")]


def _norm(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, date):
        return v.isoformat()
    return v


async def snapshot(conn) -> dict[tuple[str, str], dict[str, Any]]:
    await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
    out = {}
    for view, cols in COLUMNS.items():
        cur = await conn.execute(f"SELECT id, {', '.join(cols)} FROM {view}")
        for row in await cur.fetchall():
            out[(view, str(row[0]))] = {c: _norm(v) for c, v in zip(cols, row[1:])}
    for view, cols in OBJECTS.items():
        cur = await conn.execute(f"SELECT id, {cols} FROM {view}")
        for row in await cur.fetchall():
            out[(view, str(row[0]))] = {"title": row[1], "body": row[2], "due": _norm(row[3]),
                                        "on": sorted(str(t) for t in row[4])}
    return out


def _names(snap: dict[tuple[str, str], dict[str, Any]]) -> dict[str, list[tuple[str, str]]]:
    names: dict[str, list[tuple[str, str]]] = {}
    for key, row in snap.items():
        if key[0] in OBJECTS:
            continue
        names.setdefault(row.get("name") or row.get("full_name"), []).append(key)
    return names


def diff(before: dict, after: dict) -> dict[tuple[str, str], dict[str, tuple[Any, Any]]]:
    out = {}
    for key, row in after.items():
        changed = {f: (before.get(key, {}).get(f), v) for f, v in row.items() if before.get(key, {}).get(f) != v}
        if changed:
            out[key] = changed
    return out


def judge(case: Case, base: dict, changed: dict, names: dict) -> list[str]:
    """What is wrong with the outcome: writes not expected (wrong writes) or expected ones missing."""
    problems = []
    expected: dict[tuple[str, str], dict[str, Any]] = {}
    for name, fields in case.writes.items():
        keys = names.get(name) or []
        assert len(keys) == 1, f"the evaluation names {name!r}, which is {len(keys)} records"
        expected[keys[0]] = fields
    creates = list(case.creates)
    for key, fields in changed.items():
        if key[0] in OBJECTS:   # a note or task: new, and one the case expects
            row = {f: new for f, (_old, new) in fields.items()}
            match = next((c for c in creates if c[0] == key[0] and names.get(c[1], [("", "?")])[0][1] in row.get("on", [])
                          and c[2] in f"{row.get('title') or ''} {row.get('body') or ''}" and c[3] == row.get("due")
                          and key not in base), None)
            if match is None:
                problems.append(f"WRONG WRITE {key[0]}: {row}")
            else:
                creates.remove(match)
            continue
        want = expected.get(key, {})
        for f, (old, new) in fields.items():
            if f not in want:
                problems.append(f"WRONG WRITE {base[key].get('name') or base[key].get('full_name')}.{f}: {old!r} -> {new!r}")
                continue
            w = want[f]
            if isinstance(w, str) and w.startswith("+"):
                ok = isinstance(new, str) and new.endswith(f"2026-11-20: {w[1:]}") and (not old or new.startswith(old))
            else:
                ok = new == w
            if not ok:
                problems.append(f"WRONG WRITE {base[key].get('name') or base[key].get('full_name')}.{f}: "
                                f"{old!r} -> {new!r} (expected {w!r})")
    for key, fields in expected.items():
        for f in fields:
            if f not in changed.get(key, {}):
                problems.append(f"missing {f} on {base[key].get('name') or base[key].get('full_name')}")
    problems += [f"missing the new {view[4:-1]} on {on}: {text!r}" for view, on, text, _due in creates]
    return problems


@pytest.fixture
async def eval_store(store: Store) -> Store:
    companies = {}
    for name, domain in EXTRA_COMPANIES:
        companies[name] = await store.crm.insert_record("crm_companies", {"name": name, "domain": domain})
    for name, stage, amount, company in EXTRA_DEALS:
        await store.crm.insert_record("crm_deals", {"name": name, "stage_id": stage, "amount": amount, "currency": "USD",
                                                "company_id": companies[company].id, "close_date": date(2027, 2, 26)})
    hawkins = next(c for c in (await store.crm.companies_page("hawkins")).items if c.name == "Hawkins LLC")
    await store.crm.insert_record("crm_contacts", {"first_name": "Megan", "last_name": "York",
                                               "email": "megan.york@hawkinsllc.com", "company_id": hawkins.id})
    return store


def test_the_evaluation_set_is_large_and_varied() -> None:
    assert len(CASES) >= 150
    assert len({c.text for c in CASES}) == len(CASES)
    several = sum(sum(len(f) for f in c.writes.values()) > 1 for c in CASES)
    assert sum(c.question for c in CASES) >= 30 and several >= 15
    assert sum(" — " in c.text for c in CASES) >= 15  # names as the cockpit displays them
    assert sum(c.deal_terms for c in CASES) >= 15


async def test_evaluation(eval_store: Store, settings, conn) -> None:
    store = eval_store
    arlo = Arlo(store, settings, Services(enrichment=OfflineProvider(), parser=RuleBasedParser(),
                                          clock=lambda: FIXED_NOW))
    base = await snapshot(conn)
    names = _names(base)
    wrong: list[str] = []
    missed: list[str] = []
    stats = {"writes": 0, "applied": 0, "questions": 0, "asked": 0, "asked_right": 0}
    try:
        for case in CASES:
            task = await arlo.tell(case.text, "bezeliq")
            done = await arlo.run_task(task.id)
            after = await snapshot(conn)
            changed = diff(base, after)
            problems = judge(case, base, changed, names)
            wrong += [f"{case.text!r}: {p}" for p in problems if p.startswith("WRONG")]
            asked = done.status == "blocked" and bool((done.output or {}).get("question"))
            stats["asked"] += asked
            if case.question:
                stats["questions"] += 1
                stats["asked_right"] += asked and not changed
                if not asked:
                    missed.append(f"{case.text!r}: expected a question, got {done.status}: {done.summary}")
                elif not all(p.lower() in done.output["question"].lower() for p in case.asks):
                    missed.append(f"{case.text!r}: the question lacks {case.asks}: {done.output['question']}")
            else:
                stats["writes"] += 1
                if not problems and done.status == "complete":
                    stats["applied"] += 1
                else:
                    missed.append(f"{case.text!r}: {problems} / {done.status}: {done.summary}")
            if changed:
                await undo(store, task.id)
                assert await snapshot(conn) == base, f"undo of {case.text!r} did not restore everything"
    finally:
        await arlo.aclose()
    applied = stats["applied"] / max(stats["writes"], 1)
    right = stats["asked_right"] / max(stats["asked"], 1)
    print(f"\nevaluation: {len(CASES)} instructions; applied correctly {stats['applied']}/{stats['writes']} "
          f"({applied:.0%}); questions right to ask {stats['asked_right']}/{stats['asked']} ({right:.0%}); "
          f"wrong writes {len(wrong)}")
    for m in missed:
        print("  miss:", m)
    assert not wrong, "\n".join(wrong)
    assert applied >= 0.9, "\n".join(missed)
    assert right >= 0.85, "\n".join(missed)
