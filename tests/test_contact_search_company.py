"""Contact search matches the company's name and domain as its placeholder promises: "hawkins" finds the
people of Hawkins companies, a domain finds the company's people; the person's own name still matches."""

from __future__ import annotations

from tests.tui_support import scoped_rows


async def test_search_finds_people_by_company_name_and_domain(store, conn) -> None:  # type: ignore[no-untyped-def]
    [(company, domain, n)] = await scoped_rows(
        conn, "bezeliq", "SELECT c.name, c.domain, count(p.id) FROM crm_companies c JOIN crm_contacts p "
        "ON p.company_id = c.id WHERE c.name = 'Meridian Health' GROUP BY c.name, c.domain")
    people = {r[0] for r in await scoped_rows(conn, "bezeliq", "SELECT p.id FROM crm_contacts p JOIN crm_companies c "
                                              "ON c.id = p.company_id WHERE c.name = 'Meridian Health'")}
    found = {c.id for c in (await store.crm.contacts_page("meridian", limit=200)).items}
    assert people <= found and n >= 2
    by_domain = {c.id for c in (await store.crm.contacts_page(domain, limit=200)).items}
    assert people <= by_domain
    # a company word that is nobody's name: only that company's people
    hawkins = await scoped_rows(conn, "bezeliq", "SELECT p.id FROM crm_contacts p JOIN crm_companies c ON "
                                "c.id = p.company_id WHERE c.name ILIKE 'hawkins%%' OR p.full_name ILIKE '%%hawkins%%'")
    assert hawkins
    got = {c.id for c in (await store.crm.contacts_page("hawkins", limit=500)).items}
    assert got == {r[0] for r in hawkins}
    # the person's own name still matches
    assert {"Sarah Chen", "Sarah Okafor"} <= {c.full_name for c in (await store.crm.contacts_page("sarah", limit=200)).items}


async def test_a_page_is_never_cut_short_when_matches_cluster(store, conn) -> None:  # type: ignore[no-untyped-def]
    """Matches dense at the start of the name order and sparse after it: the search still returns full
    pages, and paging finds every match (a walk that stops early must not end the list)."""
    from cockpit.db.writes import MAX_WALK, PROBE_ROWS

    [(ws,)] = await scoped_rows(conn, "bezeliq", "SELECT schema_name FROM redkey.workspaces WHERE client_id = 'bezeliq'")
    fillers = MAX_WALK + 1000
    # 40 "Aaab Quorvik…" people first in name order, 40 at the end, and enough people in between that a
    # walk sized from the first ones ends before the last ones
    await conn.execute(
        f'INSERT INTO "{ws}".person ("nameFirstName", "nameLastName", "emailsPrimaryEmail") '
        "SELECT 'Aaab', 'Quorvik' || i, 'aaab.q' || i || '@example.org' FROM generate_series(1, 40) i "
        "UNION ALL SELECT 'Aaac', 'Filler' || i, 'aaac.f' || i || '@example.org' FROM generate_series(1, %s) i "
        "UNION ALL SELECT 'Zzzy', 'Quorvik' || i, 'zzzy.q' || i || '@example.org' FROM generate_series(1, 40) i",
        (fillers,))
    await conn.execute(f'ANALYZE "{ws}".person')
    assert PROBE_ROWS > 40
    seen: list[str] = []
    page = await store.crm.contacts_page("quorvik", limit=50)
    assert len(page.items) == 50 and page.next_after is not None
    seen += [c.full_name for c in page.items]
    page = await store.crm.contacts_page("quorvik", after=page.next_after, limit=50)
    seen += [c.full_name for c in page.items]
    assert page.next_after is None and len(seen) == 80 == len(set(seen))
    assert seen == sorted(seen, key=lambda n: n)  # name order (the view's sort key)
