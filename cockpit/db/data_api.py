"""Supabase's Data API exposure of RedKey's objects: the lock-down after migrations, and the check
`cockpit doctor` reports.

PostgREST serves the exposed schemas under the roles ``anon`` (the public anon key) and
``authenticated`` (any signed-in user). RedKey means one thing for them: ``authenticated`` may read
the client-scoped ``public.crm_*`` views (rows of the JWT's ``client_id`` claim only). Anything else
either role can read, write or call is an exposure, and the per-client schemas (``client_<id>``) are
the store's alone: any privilege of theirs there is one too.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import AsyncConnection

API_ROLES = ("anon", "authenticated")


@dataclass(frozen=True)
class Exposure:
    role: str
    privilege: str
    object: str

    def __str__(self) -> str:
        return f"{self.role} may {self.privilege} {self.object}"


async def lock_down(conn: AsyncConnection, client_schemas: list[str] | None = None) -> int:
    """Run ``redkey.lock_down_data_api()`` if it exists (it comes with a migration); returns how many
    objects it changed. With ``client_schemas``, only those per-client schemas are covered (besides
    redkey's and public's objects, always covered): the ones a generation just rebuilt."""
    cur = await conn.execute("SELECT to_regprocedure('redkey.lock_down_data_api()') IS NOT NULL,"
                             " to_regprocedure('redkey.lock_down_data_api(text[])') IS NOT NULL")
    whole, some = await cur.fetchone()  # type: ignore[misc]
    if some:
        cur = await conn.execute("SELECT redkey.lock_down_data_api(%s::text[])", (client_schemas,))
    elif whole:
        cur = await conn.execute("SELECT redkey.lock_down_data_api()")
    else:
        return 0
    return int((await cur.fetchone())[0])  # type: ignore[index]


_RELATIONS = """
SELECT r.rolname, p.priv, format('%%I.%%I', n.nspname, c.relname)
FROM pg_roles r
CROSS JOIN pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p(priv)
WHERE r.rolname = ANY(%(roles)s)
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND ((n.nspname = 'redkey' AND has_schema_privilege(r.oid, n.oid, 'USAGE'))
       OR (n.nspname = 'public' AND c.relname LIKE 'crm\\_%%')
       OR n.nspname = ANY(%(client_schemas)s))
  AND (has_table_privilege(r.oid, c.oid, p.priv)
       OR (p.priv IN ('SELECT', 'INSERT', 'UPDATE') AND has_any_column_privilege(r.oid, c.oid, p.priv)))
  AND NOT (r.rolname = 'authenticated' AND p.priv = 'SELECT' AND c.relkind = 'v' AND n.nspname = 'public')
ORDER BY 3, 1, 2
"""

_FUNCTIONS = """
SELECT r.rolname, 'EXECUTE', p.oid::regprocedure::text
FROM pg_roles r
CROSS JOIN pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE r.rolname = ANY(%(roles)s) AND p.prokind IN ('f', 'p')
  AND ((n.nspname = 'public' AND p.proname LIKE 'crm\\_%%')
       OR (n.nspname = 'redkey' AND has_schema_privilege(r.oid, n.oid, 'USAGE'))
       OR n.nspname = ANY(%(client_schemas)s))
  AND has_function_privilege(r.oid, p.oid, 'EXECUTE')
ORDER BY 3, 1
"""

_SCHEMAS = """
SELECT r.rolname, 'USAGE', format('schema %%I', n.nspname)
FROM pg_roles r CROSS JOIN pg_namespace n
WHERE r.rolname = ANY(%(roles)s) AND n.nspname = ANY(%(client_schemas)s)
  AND has_schema_privilege(r.oid, n.oid, 'USAGE')
ORDER BY 3, 1
"""


async def client_schemas(conn: AsyncConnection) -> list[str]:
    """The per-client schemas of Layer 2 (none before they exist, or for a login that may not read them)."""
    cur = await conn.execute("SELECT CASE WHEN to_regclass('redkey.client_schemas') IS NULL THEN false"
                             " ELSE has_table_privilege('redkey.client_schemas', 'SELECT') END")
    if not (await cur.fetchone())[0]:  # type: ignore[index]
        return []
    cur = await conn.execute("SELECT schema_name FROM redkey.client_schemas ORDER BY 1")
    return [r[0] for r in await cur.fetchall()]


async def exposures(conn: AsyncConnection) -> tuple[list[str], list[Exposure]]:
    """The Data API roles present, and every RedKey object one of them can read, write or call beyond
    the intended client-scoped reads."""
    cur = await conn.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s) ORDER BY 1", (list(API_ROLES),))
    roles = [r[0] for r in await cur.fetchall()]
    if not roles:
        return [], []
    found: list[Exposure] = []
    params = {"roles": roles, "client_schemas": await client_schemas(conn)}
    for query in (_SCHEMAS, _RELATIONS, _FUNCTIONS):
        cur = await conn.execute(query, params)  # type: ignore[arg-type]
        found += [Exposure(role, priv, obj) for role, priv, obj in await cur.fetchall()]
    return roles, found
