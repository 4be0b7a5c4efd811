"""A purpose-built schema that exercises every hard case of the schema cache refresh (imported by
the schema tests): composite FK declared in a column order different from both tables' attnums, a
cross-schema FK, a column in two FKs, a self-reference, a view over a view, a partitioned table
with an FK, quoted mixed-case names, a domain NOT NULL, a table the browsing role cannot read, a
Supabase system schema, an extension-owned table, RLS with a policy, an FK cycle and an orphan."""

from __future__ import annotations

import psycopg

SCHEMA_SQL = """
CREATE SCHEMA sales;
CREATE SCHEMA "Ledger";
CREATE SCHEMA secret;
CREATE SCHEMA auth;
CREATE DOMAIN sales.code AS text NOT NULL;

CREATE TABLE sales.region (
    code     sales.code,
    country  text,
    name     text NOT NULL DEFAULT 'unnamed',
    PRIMARY KEY (country, code)
);
COMMENT ON TABLE sales.region IS 'Sales regions per country';
CREATE TABLE sales.store (
    id           integer PRIMARY KEY,
    country      text NOT NULL,
    region_code  text NOT NULL,
    opened       date,
    UNIQUE (id, country),
    CONSTRAINT store_region_fk FOREIGN KEY (region_code, country)
        REFERENCES sales.region (code, country) ON DELETE CASCADE ON UPDATE RESTRICT
);
COMMENT ON COLUMN sales.store.region_code IS 'Region within the country';
CREATE INDEX store_region_idx ON sales.store (country, region_code);
ALTER TABLE sales.store ENABLE ROW LEVEL SECURITY;
CREATE POLICY store_dutch ON sales.store FOR SELECT TO redkey_readonly USING (country = 'NL');

CREATE TABLE sales.employee (
    id          integer PRIMARY KEY,
    manager_id  integer REFERENCES sales.employee (id),
    store_id    integer REFERENCES sales.store (id)
);
CREATE INDEX employee_manager_idx ON sales.employee (manager_id);

CREATE TABLE "Ledger"."InvoiceLine" (
    "lineId"   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "storeId"  integer NOT NULL REFERENCES sales.store (id),
    "Country"  text NOT NULL,
    CONSTRAINT "InvoiceLine_store_country_fk" FOREIGN KEY ("storeId", "Country")
        REFERENCES sales.store (id, country)
);

CREATE TABLE sales.event (
    id        bigint NOT NULL,
    at        date NOT NULL,
    store_id  integer REFERENCES sales.store (id),
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE TABLE sales.event_2025 PARTITION OF sales.event FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE sales.event_2026 PARTITION OF sales.event FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');

CREATE VIEW sales.v_store AS
    SELECT s.id, s.country, r.name AS region_name FROM sales.store s
    JOIN sales.region r ON r.code = s.region_code AND r.country = s.country;
CREATE VIEW sales.v_store_names AS SELECT id, region_name FROM sales.v_store;

CREATE TABLE secret.keys (
    id        integer PRIMARY KEY,
    store_id  integer REFERENCES sales.store (id),
    material  text
);
REVOKE ALL ON SCHEMA secret FROM PUBLIC;

CREATE TABLE auth.users (id uuid PRIMARY KEY);
CREATE TABLE public.profiles (id uuid PRIMARY KEY REFERENCES auth.users (id), handle text);

CREATE TABLE sales.ext_owned (id integer);
ALTER EXTENSION plpgsql ADD TABLE sales.ext_owned;

CREATE TABLE sales.cyc_a (id integer PRIMARY KEY, b_id integer);
CREATE TABLE sales.cyc_b (id integer PRIMARY KEY, a_id integer REFERENCES sales.cyc_a (id));
ALTER TABLE sales.cyc_a ADD CONSTRAINT cyc_a_b_fk FOREIGN KEY (b_id) REFERENCES sales.cyc_b (id);

CREATE TABLE "Ledger".region (id integer);
CREATE TABLE sales.lonely (id integer PRIMARY KEY, note text);
CREATE TABLE sales.no_columns ();
ANALYZE sales.region;
"""


async def build(conn: psycopg.AsyncConnection) -> None:
    await conn.execute(SCHEMA_SQL)


def schema_database(pg_server_url: str, template: str):  # type: ignore[no-untyped-def]
    """Generator for a module-scoped fixture: a demo database clone with this schema built and the
    cache refreshed once (the schema tests only read it), dropped afterwards."""
    import asyncio

    from tests.conftest import _clone

    gen = _clone(pg_server_url, template)
    url = next(gen)

    async def prepare() -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as c:
            await build(c)
            await c.execute("SELECT redkey.refresh_system_schema_cache()")

    asyncio.run(prepare())
    try:
        yield url
    finally:
        gen.close()
