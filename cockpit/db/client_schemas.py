"""Per-client schemas: each client's copy of Layer 2, built over that client's workspaces only.

``public.crm_*`` reads every client's branches, so every query on it plans them all. For each client with a workspace the generator also creates the schema
``client_<id>`` (:func:`cockpit.db.views.client_schema`) holding the same views (same columns, same
``redkey.current_client_id()`` gate, so they fail closed too), the same INSTEAD OF triggers, check
and column grants, ``crm_move_deal`` and the search functions — over one client's branches. public's
views read these (through groups of clients), and public's triggers call these schemas' write
functions. The store puts that schema before ``public`` on its search path per transaction; everything it names
unqualified then plans one client.

Only the store's session roles (``redkey_cockpit_*``) and the owner have USAGE on these schemas;
client-bound logins and Data API callers hold the field-owning roles at most, so PostgreSQL skips a
client schema on their search path and they read ``public.crm_*``.

Each client's fingerprint (generator and workspace shapes) is kept in ``redkey.client_schemas``: a
regeneration generates and runs only the clients whose fingerprint changed (registering a workspace runs
that client's, and rewrites its group of views, :mod:`cockpit.db.client_groups`), and drops the schema
of a client that has no workspace left. Each schema also holds the client's write functions
(``<view>_write_row``), Layer 1 bulk inserts (``<view>_insert_l1``) and ``crm_match_*``, which public's
triggers and functions call for a session scoped to the client (:mod:`cockpit.db.dispatch`).
"""

from __future__ import annotations

from collections import defaultdict

from psycopg import AsyncConnection

from cockpit.db import custom_fields
from cockpit.db import notes_tasks
from cockpit.db.board import board_functions, board_index_sql
from cockpit.db.bulk_writes import client_bulk_sql
from cockpit.db.matches import matches_sql
from cockpit.db import change_stamps, stale_keys
from cockpit.db.stage_totals import totals_functions, track_sql
from cockpit.db.views import (
    CONTRACT,
    DOMAIN,
    EXPRS,
    L1_TABLE,
    Workspace,
    client_schema,
    full_name_expr,
    lit,
    named_columns,
    q,
    view_sql,
)
from cockpit.db.words import WORD_COLUMNS, word_index_sql
from cockpit.db.generation import fingerprint
from cockpit.db.grants import grants_sql
from cockpit.db.writes import (
    SEARCHES,
    activity_trigger_on,
    move_deal_sql,
    record_trigger,
    search_function,
)

# The roles that may reach a client's schema: the store's sessions (members of the field-owning roles).
SESSION_ROLES = ("redkey_cockpit_readonly", "redkey_cockpit_operational", "redkey_cockpit_strategic")
# Supabase's Data API roles: never given anything here (revoked in case a default privilege granted it).
API_ROLES = ("anon", "authenticated")


def sort_index_sql(w: Workspace) -> list[str]:
    """RedKey-owned indexes on Layer 1 that make the views' list orders index scans. Named redkey_* so
    they are recognisable in a real Twenty database; created IF NOT EXISTS."""
    ws = q(w.schema)  # people's are covering, so the contact search reads them index-only
    return [
        f'CREATE INDEX IF NOT EXISTS redkey_person_search_idx ON {ws}.person (({full_name_expr("person")}), id)'
        ' INCLUDE ("nameFirstName", "nameLastName", "searchVector", "companyId") WHERE "deletedAt" IS NULL',
        f"DROP INDEX IF EXISTS {ws}.redkey_person_full_name_idx",  # the same keys, superseded by the above
        f'CREATE INDEX IF NOT EXISTS redkey_person_company_idx ON {ws}.person ("companyId")'
        ' INCLUDE (id, "nameFirstName", "nameLastName") WHERE "deletedAt" IS NULL',
        f'CREATE INDEX IF NOT EXISTS redkey_company_name_idx ON {ws}.company (name, id) WHERE "deletedAt" IS NULL',
        f'CREATE INDEX IF NOT EXISTS redkey_opportunity_name_idx ON {ws}.opportunity (name, id) WHERE "deletedAt" IS NULL',
        # look-ups by key (an import's duplicates, mail participants): the views' own expressions
        *([f"CREATE INDEX IF NOT EXISTS redkey_person_email_idx ON {ws}.person "
           f"""((lower(nullif("emailsPrimaryEmail", '')))) WHERE "deletedAt" IS NULL"""]
          if w.shape.has("person", "emailsPrimaryEmail") else []),
        f"CREATE INDEX IF NOT EXISTS redkey_company_lower_name_idx ON {ws}.company ((lower(nullif(name, ''))))"
        ' WHERE "deletedAt" IS NULL',
        f"CREATE INDEX IF NOT EXISTS redkey_company_domain_idx ON {ws}.company "
        f"""(({DOMAIN.replace('p."', '"')})) WHERE "deletedAt" IS NULL""",
    ]


def by_client(workspaces: list[Workspace]) -> dict[str, list[Workspace]]:
    grouped: dict[str, list[Workspace]] = defaultdict(list)
    for w in workspaces:
        grouped[w.client_id].append(w)
    return dict(grouped)


def client_sql(client_id: str, workspaces: list[Workspace]) -> list[str]:
    """Every statement of one client's schema, in order (``workspaces`` are that client's)."""
    ns = client_schema(client_id)
    s = q(ns)
    out = [f"CREATE SCHEMA IF NOT EXISTS {s}",
           f"COMMENT ON SCHEMA {s} IS {lit(f'RedKey: the stable views of client {client_id}, generated (one branch per workspace of this client)')}",
           f"REVOKE ALL ON SCHEMA {s} FROM PUBLIC",
           f"GRANT USAGE ON SCHEMA {s} TO {', '.join(SESSION_ROLES)}"]
    named = {view: named_columns(view) for view in custom_fields.CUSTOM_TABLES}
    for w in workspaces:
        out.extend(sort_index_sql(w))
        out.extend(board_index_sql(w))
        out.extend(track_sql(w))
        out.extend(stale_keys.track_sql(w))
        out.extend(change_stamps.track_sql(w))
        for view in WORD_COLUMNS:
            out.extend(word_index_sql(view, L1_TABLE[view], w.schema, EXPRS[view](w)))
        for view in custom_fields.SEARCHED:
            out.extend(custom_fields.search_index_sql(view, w, named[view]))
    for view in CONTRACT:
        out.append(view_sql(view, workspaces, ns))
    for view in ("crm_contacts", "crm_companies", "crm_deals"):
        out.append(record_trigger(view, workspaces, ns))
    out.append(activity_trigger_on(ns))
    out.extend(notes_tasks.triggers(workspaces, ns))
    out.extend(client_bulk_sql(workspaces, ns))
    out.append(move_deal_sql(ns))
    for view, fn in SEARCHES.items():
        out.append(search_function(view, fn, workspaces, ns))
    out.extend(matches_sql(workspaces, ns))
    out.extend(grants_sql(ns))
    out.extend(custom_fields.functions_sql(ns, workspaces, named))
    out.extend(board_functions(workspaces, ns))
    out.extend(totals_functions(workspaces, ns))
    out.append(revoke_from_api_sql(ns))
    return out


def revoke_from_api_sql(ns: str) -> str:
    """Nothing in schema ``ns`` for Supabase's Data API roles (where they exist)."""
    return f"""DO $do$ DECLARE r text; BEGIN
    FOR r IN SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY (ARRAY[{', '.join(lit(r) for r in API_ROLES)}]) LOOP
        EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %I', {lit(ns)}, r);
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', {lit(ns)}, r);
        EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA %I FROM %I', {lit(ns)}, r);
    END LOOP;
END $do$"""


async def apply_client_schemas(conn: AsyncConnection, groups: dict[str, list[Workspace]], *, force: bool) -> list[str]:
    """Bring the client schemas in line with ``groups`` (client -> its workspaces) inside the caller's
    transaction: generate and run a client's SQL when its fingerprint changed (or ``force``) or its
    schema is gone. Returns the clients whose schema was (re)generated."""
    cur = await conn.execute(
        "SELECT c.client_id, c.schema_name, c.sql_sha256, to_regnamespace(c.schema_name) IS NOT NULL"
        " FROM redkey.client_schemas c")
    known = {client: (schema, sha, present) for client, schema, sha, present in await cur.fetchall()}
    names: dict[str, str] = {}
    for client in groups:
        ns = client_schema(client)
        if ns in names:
            raise ValueError(f"clients {names[ns]!r} and {client!r} map to the same schema {ns}")
        names[ns] = client
    done = []
    for client, wss in groups.items():
        sha = fingerprint(wss, client)
        schema, old_sha, present = known.get(client, (None, None, False))
        if not force and present and old_sha == sha:
            continue
        stmts = client_sql(client, wss)
        if schema and schema != client_schema(client):
            stmts.insert(0, f"DROP SCHEMA IF EXISTS {q(schema)} CASCADE")
        stmts.append(
            "INSERT INTO redkey.client_schemas (client_id, schema_name, sql_sha256)"
            f" VALUES ({lit(client)}, {lit(client_schema(client))}, {lit(sha)})"
            " ON CONFLICT (client_id) DO UPDATE SET schema_name = EXCLUDED.schema_name,"
            " sql_sha256 = EXCLUDED.sql_sha256, generated_at = now()")
        await run_batch(conn, stmts)
        done.append(client)
    return done


async def run_batch(conn: AsyncConnection, stmts: list[str]) -> None:
    """Run generated statements (no parameters) in one round trip, in order, inside the caller's
    transaction: the first that fails raises and the transaction is rolled back whole."""
    if stmts:
        await conn.execute(";\n".join(stmts))  # type: ignore[arg-type]


async def drop_stale_client_schemas(conn: AsyncConnection, clients: set[str]) -> list[str]:
    """Drop the schemas of clients not in ``clients`` (run after public stopped reading them)."""
    cur = await conn.execute("SELECT client_id, schema_name FROM redkey.client_schemas")
    gone = [(c, s) for c, s in await cur.fetchall() if c not in clients]
    for client, schema in gone:
        await drop_client_schema(conn, client, schema)
    return [c for c, _ in gone]


async def drop_client_schema(conn: AsyncConnection, client_id: str, schema: str | None = None) -> None:
    """Drop a client's schema and everything the generator put in it, and forget it."""
    await conn.execute(f"DROP SCHEMA IF EXISTS {q(schema or client_schema(client_id))} CASCADE")  # type: ignore[arg-type]
    await conn.execute("DELETE FROM redkey.client_schemas WHERE client_id = %s", (client_id,))


async def known_schemas(conn: AsyncConnection) -> list[str]:
    """The client schemas recorded (for a full reset)."""
    cur = await conn.execute("SELECT schema_name FROM redkey.client_schemas ORDER BY 1")
    return [r[0] for r in await cur.fetchall()]
