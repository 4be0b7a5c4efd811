"""Justin's instructions become strategic field changes (or a question, with nothing written)."""

from __future__ import annotations

from datetime import date

import pytest

from cockpit.arlo.context import Services
from cockpit.arlo.enrichment import OfflineProvider
from cockpit.arlo.instructions import RuleBasedParser
from cockpit.arlo.runner import Arlo
from cockpit.store import Store
from tests.conftest import FIXED_NOW


@pytest.fixture
async def arlo(store: Store, settings):
    a = Arlo(store, settings, Services(enrichment=OfflineProvider(), parser=RuleBasedParser(), clock=lambda: FIXED_NOW))
    yield a
    await a.aclose()


async def _strategic_snapshot(conn) -> list:
    """Every strategic field of every BezelIQ record (deal stages included), to prove nothing was written."""
    await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
    rows = []
    for view, cols in (("crm_deals", "stage_id, priority, strategy_note, recontact_at"),
                       ("crm_contacts", "priority, strategy_note, relationship_note, recontact_at"),
                       ("crm_companies", "priority, strategy_note, relationship_note, recontact_at")):
        cur = await conn.execute(f"SELECT id, {cols} FROM {view} ORDER BY id")
        rows.append(await cur.fetchall())
    cur = await conn.execute("SELECT count(*) FROM crm_activities")
    rows.append(await cur.fetchone())
    return rows


@pytest.fixture
async def seed_records(store: Store) -> None:
    """Guard: the example sentences must name exactly one deal each. The demo keeps the named companies to
    their named deals; should any other deal sit at one of them, move it to another company."""
    from cockpit.demo import NAMED_COMPANIES, NAMED_DEALS, NAMED_PEOPLE

    companies = {c.name: c for c in (await store.crm.companies_page(limit=500)).items}
    named_ids = {companies[n].id for n, _, _ in NAMED_COMPANIES}
    elsewhere = next(c for c in companies.values() if c.id not in named_ids)
    emails = {c.id: c.email for c in (await store.crm.contacts_page(limit=500)).items}
    wanted = {(name, NAMED_PEOPLE[pi][4]) for name, _, _, _, pi, _ in NAMED_DEALS}
    seen: set = set()
    for stage in await store.crm.pipeline():
        page = await store.crm.deal_cards(stage.stage_id, limit=500)
        for i, d in enumerate(page.items):
            key = (d.name, emails.get(d.contact_id))
            if d.company_id in named_ids and (key not in wanted or key in seen):
                await store.crm.update_record("crm_deals", d.id, {"name": f"Side deal {stage.stage_id} {i}",
                                                                   "company_id": elsewhere.id}, role="owner")
            seen.add(key)


async def _deal(store: Store, name: str):
    return (await store.crm.search_deals(name, 5))[0]


async def _tell(arlo: Arlo, text: str):
    task = await arlo.tell(text, "bezeliq")
    return await arlo.run_task(task.id)


async def test_acme_stalled_recontact_in_july(arlo: Arlo, store: Store, seed_records) -> None:
    done = await _tell(arlo, "The Acme deal is stalled — budget freeze until Q3, recontact in July")
    assert done.status == "complete", done.output
    deal = await _deal(store, "Acme")
    assert deal.strategy_note == "2026-11-20: Stalled — budget freeze until Q3"  # dated, appended
    assert deal.recontact_at == date(2027, 7, 1)  # next July 1st after 2026-11-20
    assert "Acme" in done.summary and "2027-07-01" in done.summary


async def test_mark_sarah_at_meridian_as_priority(arlo: Arlo, store: Store, seed_records) -> None:
    done = await _tell(arlo, "Mark Sarah at Meridian as a priority — strong champion, CFO relationship")
    assert done.status == "complete", done.output
    sarah = (await store.crm.contacts_page("sarah chen")).items[0]
    assert sarah.priority == "high"
    # appended under the note that was there, dated
    assert sarah.relationship_note == "Strong champion; CFO relationship\n2026-11-20: Strong champion, CFO relationship"
    okafor = (await store.crm.contacts_page("sarah okafor")).items[0]
    assert okafor.priority is None and okafor.relationship_note is None


async def test_move_volta_to_negotiation(arlo: Arlo, store: Store, conn, seed_records) -> None:
    done = await _tell(arlo, "Move the Volta deal to Negotiation, we're close")
    assert done.status == "complete", done.output
    deal = await _deal(store, "Volta")
    assert deal.stage_id == "NEGOTIATE"
    page = await store.activity.activities_page(deal_id=deal.id, kinds=["stage_change"])
    assert page.items and page.items[0].source == "arlo"


async def test_fuzzy_names_resolve_despite_typos(arlo: Arlo, store: Store, seed_records) -> None:
    done = await _tell(arlo, "Move the Voltta deal to negotiatoin")
    assert done.status == "complete", done.output
    assert (await _deal(store, "Volta")).stage_id == "NEGOTIATE"


@pytest.mark.parametrize("text, asks", [
    ("Mark Sarah as a priority", ["Sarah Chen", "Sarah Okafor"]),                 # ambiguous
    ("The Acme deal is stalled", ["Acme Corp — Renewal", "Acme — Fleet Analytics"]),  # two Acme deals
    ("Move the Zorblax deal to Negotiation", ["couldn't find", "Zorblax"]),       # unresolvable record
    ("Move the Volta deal to Banana Town", ["No stage matches", "Negotiation"]),   # unresolvable stage
    ("purple monkey dishwasher", ["couldn't tell what to change"]),               # nonsense
    ("The Acme deal is stalled, recontact in blorptember", ["couldn't read"]),   # unreadable date
])
async def test_unclear_instructions_ask_and_write_nothing(arlo: Arlo, store: Store, conn, text: str,
                                                         asks: list[str]) -> None:
    if "Acme Corp — Renewal" in asks:  # a second deal at Acme makes "the Acme deal" ambiguous
        acme = await _deal(store, "Acme")
        await store.crm.insert_record("crm_deals", {"name": "Acme Corp — Renewal", "stage_id": "QUALIFY",
                                                "company_id": acme.company_id, "amount": 12000})
    before = await _strategic_snapshot(conn)
    done = await _tell(arlo, text)
    assert done.status == "blocked"
    question = done.output["question"]
    for part in asks:
        assert part in question, question
    assert "Nothing was changed" in question
    assert await _strategic_snapshot(conn) == before


async def test_instruction_runs_under_the_strategic_role(arlo: Arlo, store: Store, conn, seed_records) -> None:
    """The write went through the strategic role: an operational-only session could not have made it."""
    from cockpit.errors import PermissionDenied
    deal = await _deal(store, "Acme")
    with pytest.raises(PermissionDenied):
        await store.crm.update_operational("crm_deals", deal.id, strategy_note="sneaky")
    done = await _tell(arlo, "The Acme deal is stalled — budget freeze")
    assert done.status == "complete"
    assert (await _deal(store, "Acme")).strategy_note == "2026-11-20: Stalled — budget freeze"


async def test_a_move_with_fields_is_all_or_nothing(arlo: Arlo, store: Store, seed_records) -> None:
    done = await _tell(arlo, "Move the Volta deal to Negotiation, recontact in March")
    assert done.status == "complete", done.output
    deal = await _deal(store, "Volta")
    assert deal.stage_id == "NEGOTIATE" and deal.recontact_at == date(2027, 3, 1)
    # a field the strategic role may not write (Postgres refuses it) rolls back the move made with it
    from cockpit.errors import PermissionDenied
    with pytest.raises(PermissionDenied):
        await store.arlo.apply_strategic("crm_deals", deal.id, {"last_activity_at": "2026-01-01T00:00:00Z"},
                                         stage_id="DEMO")
    assert (await store.crm.deal(deal.id)).stage_id == "NEGOTIATE"


async def test_candidate_records_come_from_the_word_indexes_with_dashes_accents_and_apostrophes(
        store: Store, conn) -> None:
    """The words of a name are the runs of letters and digits once folded: a sentence's word finds a
    record whichever punctuation or accent the name has, and nothing only sharing letters inside a word."""
    made = {}
    for first, last in (("Anne-Sophie", "Müller-Lüdenscheidt"), ("Seán", "O'Brien"), ("Zoë", "Ångström"),
                        ("Brianna", "Keller")):
        made[first] = await store.crm.insert_record(
            "crm_contacts", {"first_name": first, "last_name": last, "email": f"{first[:3].lower()}@words.example"},
            role="owner")
    co = await store.crm.insert_record("crm_companies", {"name": "Smith_Hawkins & Sons (Europe)"}, role="owner")
    found = {r.label for r in (await store.instructions.vocabulary("note on sophie ludenscheidt: send pricing")).records}
    assert "Anne-Sophie Müller-Lüdenscheidt" in found
    names = {r.label for r in (await store.instructions.vocabulary("call o'brien about the angstrom pilot")).records}
    assert {"Seán O'Brien", "Zoë Ångström"} <= names  # found by "brien" and "angstrom"
    assert "Brianna Keller" in names  # she shares the prefix "bri": a candidate, for resolution to rule out
    assert "Brianna Keller" not in {r.label for r in (await store.instructions.vocabulary("call sean")).records}
    companies = {r.label for r in (await store.instructions.vocabulary("what about europe sons")).records}
    assert "Smith_Hawkins & Sons (Europe)" in companies
    # the lookups are index lookups: each workspace's name columns carry RedKey's word indexes
    cur = await conn.execute("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'redkey\\_%%\\_words\\_idx'")
    assert (await cur.fetchone())[0] >= 4 * 2  # person first/last, company, opportunity; two demo clients
    assert made and co
