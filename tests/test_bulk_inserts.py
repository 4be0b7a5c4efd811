"""The set-based insert path (redkey.crm_contacts_insert_rows / crm_companies_insert_rows): what a bulk
import commits through. Same values as the view's trigger writes, same checks, one change notification."""

from __future__ import annotations

import json
import uuid

import pytest
from psycopg import sql

from cockpit.store import Store
from tests.test_tenant_isolation import _heard, _listening

_COMPARE = ("first_name", "last_name", "full_name", "email", "phone", "job_title", "city", "company_id",
            "linkedin_url", "industry", "company_size", "client_id")


def _person(i: int | str, company_id: str | None = None) -> dict[str, str]:
    row = {"id": str(uuid.uuid4()), "first_name": f"  Zoë{i} ", "last_name": f"Ørsted-{i}",
           "email": f" Zoe.{i}@Ørsted.Example ", "phone": "+45 33 12 34 56", "job_title": "Head of R&D",
           "city": "København", "linkedin_url": f"https://www.linkedin.com/in/zoe-{i}", "industry": "Energy"}
    if company_id:
        row["company_id"] = company_id
    return row


async def _insert_rows(store: Store, view: str, rows: list[dict], role: str = "operational") -> int:
    async with store.db.tx(role) as c:  # type: ignore[arg-type]
        cur = await c.execute(f"SELECT redkey.{view}_insert_rows(%s::jsonb)", (json.dumps(rows),))
        return (await cur.fetchone())[0]  # type: ignore[index]


async def _rows(store: Store, ids: list[str]) -> dict[str, dict]:
    got = await store.db.fetch_dicts("SELECT * FROM crm_contacts WHERE id = ANY(%s::uuid[])", (ids,))
    return {str(r["id"]): r for r in got}


async def test_bulk_rows_read_back_as_the_trigger_writes_them(store: Store) -> None:
    company = (await store.db.fetch_dicts("SELECT id FROM crm_companies ORDER BY name LIMIT 1"))[0]["id"]
    via_view, via_bulk = _person("alpha", str(company)), _person("beta", str(company))
    async with store.db.tx("operational") as c:
        cols = list(via_view)
        await c.execute(sql.SQL("INSERT INTO crm_contacts ({}) VALUES ({})").format(
            sql.SQL(", ").join(map(sql.Identifier, cols)), sql.SQL(", ").join(sql.Placeholder() * len(cols))),
            [via_view[k] for k in cols])
    assert await _insert_rows(store, "crm_contacts", [via_bulk]) == 1
    got = await _rows(store, [via_view["id"], via_bulk["id"]])
    a, b = got[via_view["id"]], got[via_bulk["id"]]
    assert b["email"] == "zoe.beta@ørsted.example" and b["first_name"] == "Zoëbeta" and b["client_id"] == "bezeliq"
    for col in _COMPARE:
        assert str(a[col]).replace("alpha", "#") == str(b[col]).replace("beta", "#"), col
    ws = (await store.admin.workspaces())[0].schema_name
    stamps = await store.db.fetch_dicts(sql.SQL(
        'SELECT id::text, "createdBySource"::text AS src, "createdByName" AS name FROM {}.person WHERE id = ANY(%s::uuid[])'
    ).format(sql.Identifier(ws)), ([via_view["id"], via_bulk["id"]],), role="owner")
    assert {(r["src"], r["name"]) for r in stamps} == {("API", "RedKey Cockpit")} and len(stamps) == 2
    # found by the contact search like any other contact
    assert [c.id for c in (await store.crm.contacts_page("zoëbeta")).items] == [b["id"]]
    # another client sees none of them
    assert await store.scoped("northwind").db.fetch_dicts(
        "SELECT id FROM crm_contacts WHERE id = ANY(%s::uuid[])", ([via_bulk["id"]],)) == []


async def test_companies_in_bulk_with_extension_fields(store: Store) -> None:
    rows = [{"id": str(uuid.uuid4()), "name": f"Fjord Ænergi {i}", "domain": f"fjord{i}.no", "employees": 40 + i,
             "industry": "Energy", "city": "Tromsø", "country": "Norway"} for i in range(3)]
    assert await _insert_rows(store, "crm_companies", rows) == 3
    got = await store.db.fetch_dicts("SELECT * FROM crm_companies WHERE id = ANY(%s::uuid[]) ORDER BY name",
                                     ([r["id"] for r in rows],))
    assert [(g["name"], g["domain"], g["employees"], g["industry"], g["city"]) for g in got] == [
        (f"Fjord Ænergi {i}", f"fjord{i}.no", 40 + i, "Energy", "Tromsø") for i in range(3)]


@pytest.mark.parametrize("role", ["strategic", "readonly"])
async def test_only_the_creator_role_inserts(store: Store, role: str) -> None:
    row = _person(3)
    with pytest.raises(Exception) as info:
        await _insert_rows(store, "crm_contacts", [row], role=role)
    assert "permission denied" in str(info.value).lower() or "operational" in str(info.value)
    assert await _rows(store, [row["id"]]) == {}


async def test_a_field_the_role_does_not_own_refuses_the_whole_write(store: Store) -> None:
    rows = [_person(4), {**_person(5), "priority": "high"}]
    with pytest.raises(Exception) as info:
        await _insert_rows(store, "crm_contacts", rows)
    assert "priority" in str(info.value)
    assert await _rows(store, [r["id"] for r in rows]) == {}


async def test_unknown_columns_other_clients_and_unscoped_sessions_are_refused(store: Store) -> None:
    for rows, words in (([{**_person(6), "full_name": "Zoë X"}], "full_name"),
                        ([{**_person(7), "favourite_colour": "teal"}], "favourite_colour"),
                        ([{**_person(8), "client_id": "northwind"}], "another client"),
                        # only a later row has the key: every row is checked, not the first
                        ([_person(10), {**_person(11), "favourite_colour": "teal"}], "favourite_colour"),
                        ([_person(12), {**_person(13), "strategy_note": "board member"}], "strategy_note"),
                        ([_person(14), "Zoë X"], "scalar")):
        with pytest.raises(Exception) as info:
            await _insert_rows(store, "crm_contacts", rows)
        assert words in str(info.value)
        assert await _rows(store, [rows[0]["id"]]) == {}
    unscoped = store.scoped(None)
    with pytest.raises(Exception) as info:
        await _insert_rows(unscoped, "crm_contacts", [_person(9)])
    assert "no client scope" in str(info.value)
    assert await store.scoped("northwind").db.fetch_value("SELECT count(*) FROM crm_contacts WHERE city = 'København'") == 0


async def test_change_feed_hears_each_small_write_and_one_note_for_a_large_one(store: Store, db_url: str) -> None:
    channel = await store.db.fetch_value("SELECT redkey.change_channel()")
    async with _listening(db_url, channel) as feed:
        few = [_person(10), _person(11)]
        await _insert_rows(store, "crm_contacts", few)
        assert sorted(await _heard(feed, 1.0)) == sorted(f"contact:{r['id']}" for r in few)
        many = [_person(100 + i) for i in range(250)]
        await _insert_rows(store, "crm_contacts", many)
        assert await _heard(feed, 1.0) == ["contact:"]
    assert len(await _rows(store, [r["id"] for r in many])) == 250
