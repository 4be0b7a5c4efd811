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
