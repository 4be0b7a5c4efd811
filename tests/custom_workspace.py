"""A Twenty-shaped workspace with custom fields and a custom object, as Twenty creates them: custom columns
of several types on person, company and opportunity (TEXT → text NOT NULL DEFAULT '', NUMBER → double
precision, SELECT → a <table>_<column>_enum, DATE_TIME → timestamptz, DATE → date, CURRENCY → two
columns), a custom object table prefixed ``_``, and the metadata rows of ``core."objectMetadata"`` /
``core."fieldMetadata"`` that label them (Twenty ≥ 0.54 keeps metadata in ``core``)."""

from __future__ import annotations

import uuid

import psycopg

from cockpit.db.layer1 import workspace_schema_name

WORKSPACE_ID = uuid.UUID("3f2c1e6a-9b7d-4c1e-8a55-0d6f7e2b9c41")
SCHEMA = workspace_schema_name(WORKSPACE_ID)
CLIENT = "lumen"

CUSTOM_DDL = """
CREATE TYPE {ws}."company_tier_enum" AS ENUM ('GOLD', 'SILVER', 'BRONZE');
ALTER TABLE {ws}.company ADD COLUMN tier {ws}."company_tier_enum";
ALTER TABLE {ws}.company ADD COLUMN "churnRisk" double precision;
ALTER TABLE {ws}.company ADD COLUMN "foundedOn" date;
ALTER TABLE {ws}.company ADD COLUMN "salesNotes" text NOT NULL DEFAULT '';
ALTER TABLE {ws}.company ADD COLUMN "budgetAmountMicros" numeric;
ALTER TABLE {ws}.company ADD COLUMN "budgetCurrencyCode" text NOT NULL DEFAULT '';
ALTER TABLE {ws}.person ADD COLUMN "dietaryPreference" text NOT NULL DEFAULT '';
ALTER TABLE {ws}.person ADD COLUMN "lastMetAt" timestamptz;
ALTER TABLE {ws}.person ADD COLUMN "npsScore" double precision;
CREATE TYPE {ws}."opportunity_lossReason_enum" AS ENUM ('PRICE', 'TIMING', 'COMPETITOR');
ALTER TABLE {ws}.opportunity ADD COLUMN "lossReason" {ws}."opportunity_lossReason_enum";
ALTER TABLE {ws}.opportunity ADD COLUMN "signedProbability" double precision;
CREATE TABLE {ws}."_partnerProgram" (
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    "createdAt" timestamptz NOT NULL DEFAULT now(),
    "updatedAt" timestamptz NOT NULL DEFAULT now(),
    "deletedAt" timestamptz,
    position double precision NOT NULL DEFAULT 0,
    name text NOT NULL DEFAULT '',
    "companyId" uuid REFERENCES {ws}.company (id)
);
"""

META_DDL = """
CREATE SCHEMA IF NOT EXISTS {ns};
CREATE TABLE IF NOT EXISTS {ns}."objectMetadata" (
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    "workspaceId" uuid NOT NULL,
    "nameSingular" varchar NOT NULL, "namePlural" varchar NOT NULL,
    "labelSingular" varchar NOT NULL, "labelPlural" varchar NOT NULL,
    "isCustom" boolean NOT NULL DEFAULT false, "isActive" boolean NOT NULL DEFAULT true
);
CREATE TABLE IF NOT EXISTS {ns}."fieldMetadata" (
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    "objectMetadataId" uuid NOT NULL REFERENCES {ns}."objectMetadata" (id) ON DELETE CASCADE,
    "workspaceId" uuid NOT NULL,
    type varchar NOT NULL, name varchar NOT NULL, label varchar NOT NULL,
    "isCustom" boolean NOT NULL DEFAULT false, "isActive" boolean NOT NULL DEFAULT true,
    options jsonb
);
"""

# (object, [(field name, type, label, is custom)]) as Twenty's metadata holds them
FIELDS = {
    ("company", "Company", False): [("name", "TEXT", "Name", False), ("tier", "SELECT", "Niveau partenaire", True),
                                    ("churnRisk", "NUMBER", "Churn risk – %", True),
                                    ("foundedOn", "DATE", "Founded", True),
                                    ("salesNotes", "TEXT", "Sales notes", True),
                                    ("budget", "CURRENCY", "Budget", True)],
    ("person", "Person", False): [("name", "FULL_NAME", "Name", False),
                                  ("dietaryPreference", "TEXT", "Régime alimentaire", True),
                                  ("lastMetAt", "DATE_TIME", "Last met", True),
                                  ("npsScore", "NUMBER", "NPS", True)],
    ("opportunity", "Opportunity", False): [("lossReason", "SELECT", "Loss reason", True),
                                            ("signedProbability", "NUMBER", "Signed probability", True)],
    ("partnerProgram", "Partner program", True): [("name", "TEXT", "Name", False)],
}


async def create(admin_store, url: str, *, metadata: str | None = "core") -> None:  # type: ignore[no-untyped-def]
    """The fixture workspace with its custom columns (and Twenty's metadata in schema ``metadata``: core
    since 2025, metadata before; None: no metadata), registered for CLIENT."""
    await admin_store.admin.create_fixture_workspace(SCHEMA)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(CUSTOM_DDL.format(ws=f'"{SCHEMA}"'))  # type: ignore[arg-type]
        if metadata:
            await write_metadata(conn, metadata)
    await admin_store.admin.register_workspace(SCHEMA, CLIENT, label="Lumen Studio")


async def write_metadata(conn: psycopg.AsyncConnection, ns: str = "core") -> None:
    await conn.execute(META_DDL.format(ns=ns))  # type: ignore[arg-type]
    for (obj, label, custom), fields in FIELDS.items():
        cur = await conn.execute(
            f'INSERT INTO {ns}."objectMetadata" ("workspaceId", "nameSingular", "namePlural", "labelSingular",'
            ' "labelPlural", "isCustom") VALUES (%s, %s, %s, %s, %s, %s) RETURNING id',
            (WORKSPACE_ID, obj, obj + "s", label, label + "s", custom))
        (oid,) = await cur.fetchone()  # type: ignore[misc]
        for name, ftype, flabel, fcustom in fields:
            await conn.execute(
                f'INSERT INTO {ns}."fieldMetadata" ("objectMetadataId", "workspaceId", type, name, label, "isCustom")'
                " VALUES (%s, %s, %s, %s, %s, %s)", (oid, WORKSPACE_ID, ftype, name, flabel, fcustom))


async def seed_rows(url: str) -> dict[str, uuid.UUID]:
    """A company, a person and a deal with custom values (one blank text, as Twenty stores it: '')."""
    ws = f'"{SCHEMA}"'
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cur = await conn.execute(
            f'INSERT INTO {ws}.company (name, "domainNamePrimaryLinkUrl", tier, "churnRisk", "foundedOn",'
            f' "salesNotes", "budgetAmountMicros", "budgetCurrencyCode")'
            " VALUES ('Åsgard Lüften AB', 'https://asgard-luften.se', 'GOLD', 12.5, '2011-03-04',"
            " 'renewal owner: Brontë', 250000000000, 'SEK') RETURNING id")
        (company,) = await cur.fetchone()  # type: ignore[misc]
        await conn.execute(f"INSERT INTO {ws}.company (name, \"domainNamePrimaryLinkUrl\") VALUES ('Plain Co', 'plain.example')")
        cur = await conn.execute(
            f'INSERT INTO {ws}.person ("nameFirstName", "nameLastName", "emailsPrimaryEmail", "companyId",'
            f' "dietaryPreference", "lastMetAt", "npsScore")'
            " VALUES ('Zoë', 'Ångström', 'zoe@asgard-luften.se', %s, 'vegetarisk', '2026-11-02T09:30:00Z', 9)"
            " RETURNING id", (company,))
        (person,) = await cur.fetchone()  # type: ignore[misc]
        cur = await conn.execute(
            f'INSERT INTO {ws}.opportunity (name, "amountAmountMicros", "amountCurrencyCode", "companyId",'
            f' "pointOfContactId", "lossReason", "signedProbability")'
            " VALUES ('Åsgard — ventilation retrofit', 48000000000, 'SEK', %s, %s, 'TIMING', 0.4) RETURNING id",
            (company, person))
        (deal,) = await cur.fetchone()  # type: ignore[misc]
        await conn.execute(f"""INSERT INTO {ws}."_partnerProgram" (name, "companyId") VALUES ('Nordic reseller', %s)""",
                           (company,))
    return {"company": company, "person": person, "deal": deal}
