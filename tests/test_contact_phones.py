"""A phone written through crm_contacts lands in Twenty's calling code, number and country columns: a new
number never keeps the calling code of the one it replaces (the view reads them together)."""

from __future__ import annotations

import json
import uuid

from psycopg import sql

from cockpit.store import Store


async def _layer1(store: Store, contact_id: str) -> tuple[str, str, str]:
    ws = (await store.admin.workspaces())[0].schema_name
    rows = await store.db.fetch_dicts(sql.SQL(
        'SELECT "phonesPrimaryPhoneCallingCode" AS cc, "phonesPrimaryPhoneNumber" AS num, '
        '"phonesPrimaryPhoneCountryCode" AS country FROM {}.person WHERE id = %s').format(sql.Identifier(ws)),
        (contact_id,), role="owner")
    r = rows[0]
    return r["cc"], r["num"], r["country"]


async def test_a_new_phone_replaces_the_old_calling_code(store: Store) -> None:
    contact = next(c for c in (await store.crm.contacts_page(limit=50)).items if c.phone)
    assert contact.phone.startswith("+1 ")  # the demo's US numbers: calling code +1 in its own column
    async def write(phone: str | None) -> str | None:
        await store.crm.update_operational("crm_contacts", contact.id, phone=phone)
        return (await store.crm.contact(contact.id)).phone

    assert await write("+33 6 12 34 56 78") == "+33 6 12 34 56 78"
    assert await _layer1(store, str(contact.id)) == ("+33", "6 12 34 56 78", "FR")
    # E.164 as an import writes it; a calling code several countries share leaves the country blank
    assert await write("+442079460958") == "+44 2079460958"
    assert await _layer1(store, str(contact.id)) == ("+44", "2079460958", "")
    # a number with no calling code has none (not the previous +44)
    assert await write("020 7946 0958") == "020 7946 0958"
    assert await _layer1(store, str(contact.id)) == ("", "020 7946 0958", "")
    # clearing the phone clears all three
    assert await write(None) is None
    assert await _layer1(store, str(contact.id)) == ("", "", "")


async def test_phones_of_new_contacts_through_the_view_and_in_bulk(store: Store) -> None:
    one, many = str(uuid.uuid4()), [str(uuid.uuid4()) for _ in range(3)]
    async with store.db.tx("operational") as c:
        await c.execute("INSERT INTO crm_contacts (id, first_name, email, phone) VALUES (%s, 'Ngozi', "
                        "'ngozi@lagos-fintech.ng', '+2348025550147')", (one,))
        await c.execute("SELECT redkey.crm_contacts_insert_rows(%s::jsonb)", (json.dumps([
            {"id": many[0], "first_name": "Lars", "phone": "+47 912 34 567"},
            {"id": many[1], "first_name": "Priya", "phone": "+919845012345"},
            {"id": many[2], "first_name": "Ann", "phone": "555-0100"}]),))
    assert await _layer1(store, one) == ("+234", "8025550147", "NG")
    assert [await _layer1(store, i) for i in many] == [
        ("+47", "912 34 567", ""), ("+91", "9845012345", "IN"), ("", "555-0100", "")]
    got = {str(r["id"]): r["phone"] for r in await store.db.fetch_dicts(
        "SELECT id, phone FROM crm_contacts WHERE id = ANY(%s::uuid[])", ([one, *many],))}
    assert got == {one: "+234 8025550147", many[0]: "+47 912 34 567", many[1]: "+91 9845012345",
                   many[2]: "555-0100"}
