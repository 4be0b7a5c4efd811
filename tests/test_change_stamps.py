"""The change feed's poll of contacts, companies and activities reads stamps (redkey.change_stamps) kept
by statement triggers, not the views: every committed write Twenty (or psql) makes moves the client's
value, even one that leaves "updatedAt" alone or dates an activity in the past, which the old
aggregates missed; a rolled-back write and another client's writes do not; without LISTEN RedKey's
extension and activity rows move it too; a missing trigger falls back to scanning until the next
migration check puts it back; and the poll reads none of the tables it watches."""

from __future__ import annotations

import re
import uuid

import psycopg
from psycopg import sql

from cockpit.db.migrate import migrate
from cockpit.store import Store
from cockpit.store.changes import fingerprint_sql

WATCHED = ("person", "company", "timelineActivity", "note", "noteTarget", "task", "taskTarget")


async def _schema(conn: psycopg.AsyncConnection, client: str = "bezeliq") -> str:
    cur = await conn.execute("SELECT schema_name FROM redkey.workspaces WHERE client_id = %s", (client,))
    return (await cur.fetchone())[0]  # type: ignore[index]


def _t(ws: str, table: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(ws), sql.Identifier(table))


async def test_every_write_twenty_makes_moves_the_polled_value(store: Store, conn: psycopg.AsyncConnection) -> None:
    ws, other = await _schema(conn), await _schema(conn, "northwind")
    person = (await (await conn.execute(sql.SQL("SELECT id FROM {} ORDER BY id LIMIT 1").format(_t(ws, "person")))).fetchone())[0]  # type: ignore[index]
    company = (await (await conn.execute(sql.SQL("SELECT id FROM {} ORDER BY id LIMIT 1").format(_t(ws, "company")))).fetchone())[0]  # type: ignore[index]
    note = uuid.uuid4()
    writes = {
        # psql edits a job title without touching "updatedAt": the old count/max(updated_at) missed it
        "contact": [sql.SQL("UPDATE {} SET \"jobTitle\" = 'Directrice générale' WHERE id = {}").format(
                        _t(ws, "person"), sql.Literal(person)),
                    sql.SQL("DELETE FROM {} WHERE id = (SELECT id FROM {} WHERE id <> {} ORDER BY id DESC LIMIT 1)").format(
                        _t(ws, "person"), _t(ws, "person"), sql.Literal(person))],
        "company": [sql.SQL("UPDATE {} SET \"addressAddressCity\" = 'Genève' WHERE id = {}").format(
                        _t(ws, "company"), sql.Literal(company))],
        # a timeline event dated last year (older than the newest): the old max(occurred_at) missed it
        "activity": [sql.SQL("INSERT INTO {} (name, \"happensAt\", \"personId\") VALUES ('person.updated', "
                             "'2025-01-02', {})").format(_t(ws, "timelineActivity"), sql.Literal(person)),
                     sql.SQL("INSERT INTO {} (id, title, \"createdAt\") VALUES ({}, 'Compte-rendu — visite', '2024-06-01')").format(
                         _t(ws, "note"), sql.Literal(note)),
                     sql.SQL("INSERT INTO {} (\"noteId\", \"personId\") VALUES ({}, {})").format(
                         _t(ws, "noteTarget"), sql.Literal(note), sql.Literal(person)),
                     sql.SQL("UPDATE {} SET \"deletedAt\" = now() WHERE \"noteId\" = {}").format(
                         _t(ws, "noteTarget"), sql.Literal(note))],
    }
    for kind, statements in writes.items():
        for stmt in statements:
            for everything in (False, True):
                before = await store.changes.fingerprint(everything=everything)
                async with conn.transaction(force_rollback=True):  # rolled back: nothing moves
                    await conn.execute(stmt)
                assert await store.changes.fingerprint(everything=everything) == before, (kind, stmt)
            before = await store.changes.fingerprint(everything=False)
            await conn.execute(stmt)
            after = await store.changes.fingerprint(everything=False)
            moved = {k for k in after if after[k] != before[k]}
            # (a deleted person also stamps the tables its foreign keys cascade into)
            assert kind in moved and moved <= {kind, "activity", "deal", "note", "crm_task"}, stmt.as_string(conn)
    # another client's writes move nothing of BezelIQ's
    before = await store.changes.fingerprint(everything=True)
    await conn.execute(sql.SQL("UPDATE {} SET \"jobTitle\" = 'CTO'").format(_t(other, "person")))
    await conn.execute(sql.SQL("INSERT INTO {} (name) VALUES ('company.created')").format(_t(other, "timelineActivity")))
    assert await store.changes.fingerprint(everything=True) == before


async def test_without_listen_redkeys_rows_move_it_too(store: Store, conn: psycopg.AsyncConnection) -> None:
    contact = (await store.crm.contacts_page("chen")).items[0]
    before = await store.changes.fingerprint(everything=True)
    await store.crm.update_strategic("crm_contacts", contact.id, relationship_note="Préfère être appelée le matin")
    await store.crm.log_activity(kind="call", summary="Appel – relance", contact_id=contact.id,
                                 occurred_at="2025-02-03T10:00:00Z", source="cockpit")
    after = await store.changes.fingerprint(everything=True)
    assert after["contact"] != before["contact"] and after["activity"] != before["activity"]
    # RedKey's part moved, Twenty's did not (its stamp is the first half)
    assert after["activity"].split("|")[0] == before["activity"].split("|")[0]
    assert after["activity"].split("|")[1] != before["activity"].split("|")[1]


async def test_a_table_without_its_trigger_is_scanned_until_the_next_migration(store: Store, db_url: str,
                                                                                conn: psycopg.AsyncConnection) -> None:
    ws = await _schema(conn)
    stamped = await store.changes.fingerprint(everything=False)
    await conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER redkey_change_stamp").format(_t(ws, "person")))
    scanned = await store.changes.fingerprint(everything=False)
    assert scanned["contact"] != stamped["contact"] and scanned["company"] == stamped["company"]
    await conn.execute(sql.SQL("UPDATE {} SET \"jobTitle\" = 'Head of Sales', \"updatedAt\" = now() "
                               "WHERE id = (SELECT id FROM {} ORDER BY id LIMIT 1)").format(_t(ws, "person"), _t(ws, "person")))
    assert (await store.changes.fingerprint(everything=False))["contact"] != scanned["contact"]
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as admin:
        await migrate(admin)
    cur = await conn.execute("SELECT redkey.changes_stamp('bezeliq', ARRAY['person'])")
    assert (await cur.fetchone())[0] is not None  # type: ignore[index]


async def test_the_poll_reads_none_of_the_tables_it_watches(store: Store) -> None:
    """The poll as the store runs it (the client's schema, the owner role), analysed: every scan of a
    watched table (Twenty's, the extension tables, the activity log) is a fallback never executed."""
    watched = set(WATCHED) | {"contact_ext", "company_ext", "deal_ext", "activities"}
    for everything in (False, True):
        async with store.db.tx("owner") as conn:
            cur = await conn.execute("EXPLAIN (ANALYZE) " + fingerprint_sql(everything=everything),  # type: ignore[arg-type]
                                     {"c": "bezeliq"})
            plan = [r[0] for r in await cur.fetchall()]
        scans = [line for line in plan if (m := re.search(r"Scan(?: using \S+)? on (\S+)", line)) and m[1] in watched]
        assert scans, plan  # the fallbacks are there...
        assert all("never executed" in line for line in scans), "\n".join(plan)  # ...and not run
