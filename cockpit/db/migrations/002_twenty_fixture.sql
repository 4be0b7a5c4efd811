-- Layer 1 fixture: a Twenty-shaped workspace schema, for where no real Twenty runs (embedded, demo, tests).
--
-- This migration only defines redkey.create_twenty_fixture(schema); nothing is created until it is
-- called, so applying the migrations to a real Twenty database on Supabase creates no fixture.
-- The shapes follow Twenty v1.10 (reference/twenty.md §4): one schema per workspace, tables named by
-- nameSingular, composite fields flattened to quoted camelCase columns, text parts NOT NULL DEFAULT '',
-- "deletedAt" soft delete, money in micros, select fields as <table>_<column>_enum, relation columns
-- "<relation>Id" with an index on ("<col>", "deletedAt"), partial unique indexes WHERE col != '', and a
-- stored generated "searchVector" (to_tsvector('simple', ...) minus unaccent, which needs an extension).

CREATE OR REPLACE FUNCTION redkey.create_twenty_fixture(ws text, stages text[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    stage_labels text[] := coalesce(stages, ARRAY['NEW', 'SCREENING', 'MEETING', 'PROPOSAL', 'CUSTOMER']);
    ddl text;
BEGIN
    IF ws !~ '^workspace_[a-z0-9]+$' THEN
        RAISE EXCEPTION 'fixture schema name % does not look like Twenty''s workspace_<base36>', ws;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ws) THEN
        RAISE EXCEPTION 'schema % already exists', ws;
    END IF;

    ddl := $ddl$
CREATE SCHEMA __WS__;

CREATE TYPE __WS__."opportunity_stage_enum" AS ENUM (__STAGES__);
CREATE TYPE __WS__."task_status_enum" AS ENUM ('TODO', 'IN_PROGRESS', 'DONE');
CREATE TYPE __WS__."attachment_fileCategory_enum" AS ENUM
    ('ARCHIVE', 'AUDIO', 'IMAGE', 'PRESENTATION', 'SPREADSHEET', 'TEXT_DOCUMENT', 'VIDEO', 'OTHER');
CREATE TYPE __WS__."actor_source_enum" AS ENUM
    ('EMAIL', 'CALENDAR', 'WORKFLOW', 'AGENT', 'API', 'IMPORT', 'MANUAL', 'SYSTEM', 'WEBHOOK');

CREATE TABLE __WS__."workspaceMember" (
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    "createdAt" timestamptz NOT NULL DEFAULT now(),
    "updatedAt" timestamptz NOT NULL DEFAULT now(),
    "deletedAt" timestamptz,
    position double precision NOT NULL DEFAULT 0,
    "nameFirstName" text NOT NULL DEFAULT '',
    "nameLastName" text NOT NULL DEFAULT '',
    "userEmail" text NOT NULL DEFAULT '',
    "userId" uuid NOT NULL DEFAULT gen_random_uuid(),
    "colorScheme" text NOT NULL DEFAULT 'System',
    locale text NOT NULL DEFAULT 'en',
    "avatarUrl" text NOT NULL DEFAULT '',
    "timeZone" text NOT NULL DEFAULT 'system',
    "dateFormat" text NOT NULL DEFAULT 'SYSTEM',
    "timeFormat" text NOT NULL DEFAULT 'SYSTEM',
    "numberFormat" text NOT NULL DEFAULT 'SYSTEM',
    "calendarStartDay" integer NOT NULL DEFAULT 7,
    "searchVector" tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', "nameFirstName" || ' ' || "nameLastName" || ' ' || "userEmail")) STORED
);
CREATE UNIQUE INDEX ON __WS__."workspaceMember" ("userEmail") WHERE "userEmail" != '';
CREATE INDEX ON __WS__."workspaceMember" USING gin ("searchVector");

CREATE TABLE __WS__.company (
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    "createdAt" timestamptz NOT NULL DEFAULT now(),
    "updatedAt" timestamptz NOT NULL DEFAULT now(),
    "deletedAt" timestamptz,
    position double precision NOT NULL DEFAULT 0,
    "createdBySource" __WS__."actor_source_enum" NOT NULL DEFAULT 'MANUAL',
    "createdByWorkspaceMemberId" uuid,
    "createdByName" text NOT NULL DEFAULT '',
    "createdByContext" jsonb,
    name text NOT NULL DEFAULT '',
    "domainNamePrimaryLinkUrl" text NOT NULL DEFAULT '',
    "domainNamePrimaryLinkLabel" text NOT NULL DEFAULT '',
    "domainNameSecondaryLinks" jsonb,
    "addressAddressStreet1" text NOT NULL DEFAULT '',
    "addressAddressStreet2" text NOT NULL DEFAULT '',
    "addressAddressCity" text NOT NULL DEFAULT '',
    "addressAddressPostcode" text NOT NULL DEFAULT '',
    "addressAddressState" text NOT NULL DEFAULT '',
    "addressAddressCountry" text NOT NULL DEFAULT '',
    "addressAddressLat" numeric,
    "addressAddressLng" numeric,
    employees double precision,
    "linkedinLinkPrimaryLinkUrl" text NOT NULL DEFAULT '',
    "linkedinLinkPrimaryLinkLabel" text NOT NULL DEFAULT '',
    "linkedinLinkSecondaryLinks" jsonb,
    "xLinkPrimaryLinkUrl" text NOT NULL DEFAULT '',
    "xLinkPrimaryLinkLabel" text NOT NULL DEFAULT '',
    "xLinkSecondaryLinks" jsonb,
    "annualRecurringRevenueAmountMicros" numeric,
    "annualRecurringRevenueCurrencyCode" text NOT NULL DEFAULT '',
    "idealCustomerProfile" boolean NOT NULL DEFAULT false,
    "accountOwnerId" uuid REFERENCES __WS__."workspaceMember" (id) ON DELETE SET NULL,
    "searchVector" tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', name || ' ' || "domainNamePrimaryLinkUrl")) STORED
);
CREATE UNIQUE INDEX ON __WS__.company ("domainNamePrimaryLinkUrl") WHERE "domainNamePrimaryLinkUrl" != '';
CREATE INDEX ON __WS__.company ("accountOwnerId", "deletedAt");
CREATE INDEX ON __WS__.company USING gin ("searchVector");

CREATE TABLE __WS__.person (
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    "createdAt" timestamptz NOT NULL DEFAULT now(),
    "updatedAt" timestamptz NOT NULL DEFAULT now(),
    "deletedAt" timestamptz,
    position double precision NOT NULL DEFAULT 0,
    "createdBySource" __WS__."actor_source_enum" NOT NULL DEFAULT 'MANUAL',
    "createdByWorkspaceMemberId" uuid,
    "createdByName" text NOT NULL DEFAULT '',
    "createdByContext" jsonb,
    "nameFirstName" text NOT NULL DEFAULT '',
    "nameLastName" text NOT NULL DEFAULT '',
    "emailsPrimaryEmail" text NOT NULL DEFAULT '',
    "emailsAdditionalEmails" jsonb,
    "linkedinLinkPrimaryLinkUrl" text NOT NULL DEFAULT '',
    "linkedinLinkPrimaryLinkLabel" text NOT NULL DEFAULT '',
    "linkedinLinkSecondaryLinks" jsonb,
    "xLinkPrimaryLinkUrl" text NOT NULL DEFAULT '',
    "xLinkPrimaryLinkLabel" text NOT NULL DEFAULT '',
    "xLinkSecondaryLinks" jsonb,
    "jobTitle" text NOT NULL DEFAULT '',
    "phonesPrimaryPhoneNumber" text NOT NULL DEFAULT '',
    "phonesPrimaryPhoneCountryCode" text NOT NULL DEFAULT '',
    "phonesPrimaryPhoneCallingCode" text NOT NULL DEFAULT '',
    "phonesAdditionalPhones" jsonb,
    city text NOT NULL DEFAULT '',
    "avatarUrl" text NOT NULL DEFAULT '',
    "companyId" uuid REFERENCES __WS__.company (id) ON DELETE SET NULL,
    "searchVector" tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', "nameFirstName" || ' ' || "nameLastName" || ' ' || "emailsPrimaryEmail"
            || ' ' || "phonesPrimaryPhoneNumber" || ' ' || "jobTitle")) STORED
);
CREATE UNIQUE INDEX ON __WS__.person ("emailsPrimaryEmail") WHERE "emailsPrimaryEmail" != '';
CREATE INDEX ON __WS__.person ("companyId", "deletedAt");
CREATE INDEX ON __WS__.person USING gin ("searchVector");

CREATE TABLE __WS__.opportunity (
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    "createdAt" timestamptz NOT NULL DEFAULT now(),
    "updatedAt" timestamptz NOT NULL DEFAULT now(),
    "deletedAt" timestamptz,
    position double precision NOT NULL DEFAULT 0,
    "createdBySource" __WS__."actor_source_enum" NOT NULL DEFAULT 'MANUAL',
    "createdByWorkspaceMemberId" uuid,
    "createdByName" text NOT NULL DEFAULT '',
    "createdByContext" jsonb,
    name text NOT NULL DEFAULT '',
    "amountAmountMicros" numeric,
    "amountCurrencyCode" text NOT NULL DEFAULT '',
    "closeDate" timestamptz,
    stage __WS__."opportunity_stage_enum" NOT NULL DEFAULT __FIRST_STAGE__,
    "pointOfContactId" uuid REFERENCES __WS__.person (id) ON DELETE SET NULL,
    "companyId" uuid REFERENCES __WS__.company (id) ON DELETE SET NULL,
    "searchVector" tsvector GENERATED ALWAYS AS (to_tsvector('simple', name)) STORED
);
CREATE INDEX ON __WS__.opportunity ("pointOfContactId", "deletedAt");
CREATE INDEX ON __WS__.opportunity ("companyId", "deletedAt");
CREATE INDEX ON __WS__.opportunity USING gin ("searchVector");

CREATE TABLE __WS__.note (
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    "createdAt" timestamptz NOT NULL DEFAULT now(),
    "updatedAt" timestamptz NOT NULL DEFAULT now(),
    "deletedAt" timestamptz,
    position double precision NOT NULL DEFAULT 0,
    "createdBySource" __WS__."actor_source_enum" NOT NULL DEFAULT 'MANUAL',
    "createdByWorkspaceMemberId" uuid,
    "createdByName" text NOT NULL DEFAULT '',
    "createdByContext" jsonb,
    title text NOT NULL DEFAULT '',
    "bodyV2Blocknote" text,
    "bodyV2Markdown" text,
    "searchVector" tsvector GENERATED ALWAYS AS (to_tsvector('simple', title)) STORED
);
CREATE INDEX ON __WS__.note USING gin ("searchVector");

CREATE TABLE __WS__."noteTarget" (
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    "createdAt" timestamptz NOT NULL DEFAULT now(),
    "updatedAt" timestamptz NOT NULL DEFAULT now(),
    "deletedAt" timestamptz,
    "noteId" uuid REFERENCES __WS__.note (id) ON DELETE CASCADE,
    "personId" uuid REFERENCES __WS__.person (id) ON DELETE CASCADE,
    "companyId" uuid REFERENCES __WS__.company (id) ON DELETE CASCADE,
    "opportunityId" uuid REFERENCES __WS__.opportunity (id) ON DELETE CASCADE
);
CREATE INDEX ON __WS__."noteTarget" ("noteId", "deletedAt");
CREATE INDEX ON __WS__."noteTarget" ("personId", "deletedAt");
CREATE INDEX ON __WS__."noteTarget" ("companyId", "deletedAt");
CREATE INDEX ON __WS__."noteTarget" ("opportunityId", "deletedAt");

CREATE TABLE __WS__.task (
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    "createdAt" timestamptz NOT NULL DEFAULT now(),
    "updatedAt" timestamptz NOT NULL DEFAULT now(),
    "deletedAt" timestamptz,
    position double precision NOT NULL DEFAULT 0,
    "createdBySource" __WS__."actor_source_enum" NOT NULL DEFAULT 'MANUAL',
    "createdByWorkspaceMemberId" uuid,
    "createdByName" text NOT NULL DEFAULT '',
    "createdByContext" jsonb,
    title text NOT NULL DEFAULT '',
    "bodyV2Blocknote" text,
    "bodyV2Markdown" text,
    "dueAt" timestamptz,
    status __WS__."task_status_enum" DEFAULT 'TODO',
    "assigneeId" uuid REFERENCES __WS__."workspaceMember" (id) ON DELETE SET NULL,
    "searchVector" tsvector GENERATED ALWAYS AS (to_tsvector('simple', title)) STORED
);
CREATE INDEX ON __WS__.task ("assigneeId", "deletedAt");
CREATE INDEX ON __WS__.task USING gin ("searchVector");

CREATE TABLE __WS__."taskTarget" (
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    "createdAt" timestamptz NOT NULL DEFAULT now(),
    "updatedAt" timestamptz NOT NULL DEFAULT now(),
    "deletedAt" timestamptz,
    "taskId" uuid REFERENCES __WS__.task (id) ON DELETE CASCADE,
    "personId" uuid REFERENCES __WS__.person (id) ON DELETE CASCADE,
    "companyId" uuid REFERENCES __WS__.company (id) ON DELETE CASCADE,
    "opportunityId" uuid REFERENCES __WS__.opportunity (id) ON DELETE CASCADE
);
CREATE INDEX ON __WS__."taskTarget" ("taskId", "deletedAt");
CREATE INDEX ON __WS__."taskTarget" ("personId", "deletedAt");
CREATE INDEX ON __WS__."taskTarget" ("companyId", "deletedAt");
CREATE INDEX ON __WS__."taskTarget" ("opportunityId", "deletedAt");

CREATE TABLE __WS__."timelineActivity" (
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    "createdAt" timestamptz NOT NULL DEFAULT now(),
    "updatedAt" timestamptz NOT NULL DEFAULT now(),
    "deletedAt" timestamptz,
    "happensAt" timestamptz NOT NULL DEFAULT now(),
    name text NOT NULL DEFAULT '',
    properties jsonb,
    "linkedRecordCachedName" text NOT NULL DEFAULT '',
    "linkedRecordId" uuid,
    "linkedObjectMetadataId" uuid,
    "workspaceMemberId" uuid REFERENCES __WS__."workspaceMember" (id) ON DELETE CASCADE,
    "personId" uuid REFERENCES __WS__.person (id) ON DELETE CASCADE,
    "companyId" uuid REFERENCES __WS__.company (id) ON DELETE CASCADE,
    "opportunityId" uuid REFERENCES __WS__.opportunity (id) ON DELETE CASCADE,
    "noteId" uuid REFERENCES __WS__.note (id) ON DELETE CASCADE,
    "taskId" uuid REFERENCES __WS__.task (id) ON DELETE CASCADE
);
CREATE INDEX ON __WS__."timelineActivity" ("workspaceMemberId", "deletedAt");
CREATE INDEX ON __WS__."timelineActivity" ("personId", "deletedAt");
CREATE INDEX ON __WS__."timelineActivity" ("companyId", "deletedAt");
CREATE INDEX ON __WS__."timelineActivity" ("opportunityId", "deletedAt");
CREATE INDEX ON __WS__."timelineActivity" ("noteId", "deletedAt");
CREATE INDEX ON __WS__."timelineActivity" ("taskId", "deletedAt");

CREATE TABLE __WS__.attachment (
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    "createdAt" timestamptz NOT NULL DEFAULT now(),
    "updatedAt" timestamptz NOT NULL DEFAULT now(),
    "deletedAt" timestamptz,
    "createdBySource" __WS__."actor_source_enum" NOT NULL DEFAULT 'MANUAL',
    "createdByWorkspaceMemberId" uuid,
    "createdByName" text NOT NULL DEFAULT '',
    "createdByContext" jsonb,
    name text NOT NULL DEFAULT '',
    "fullPath" text NOT NULL DEFAULT '',
    "fileCategory" __WS__."attachment_fileCategory_enum" NOT NULL DEFAULT 'OTHER',
    "taskId" uuid REFERENCES __WS__.task (id) ON DELETE CASCADE,
    "noteId" uuid REFERENCES __WS__.note (id) ON DELETE CASCADE,
    "personId" uuid REFERENCES __WS__.person (id) ON DELETE CASCADE,
    "companyId" uuid REFERENCES __WS__.company (id) ON DELETE CASCADE,
    "opportunityId" uuid REFERENCES __WS__.opportunity (id) ON DELETE CASCADE
);
CREATE INDEX ON __WS__.attachment ("personId", "deletedAt");
CREATE INDEX ON __WS__.attachment ("companyId", "deletedAt");
CREATE INDEX ON __WS__.attachment ("opportunityId", "deletedAt");
$ddl$;

    ddl := replace(ddl, '__WS__', quote_ident(ws));
    ddl := replace(ddl, '__STAGES__', (SELECT string_agg(quote_literal(s), ', ') FROM unnest(stage_labels) AS s));
    ddl := replace(ddl, '__FIRST_STAGE__', quote_literal(stage_labels[1]));
    EXECUTE ddl;
END
$fn$;

COMMENT ON FUNCTION redkey.create_twenty_fixture(text, text[]) IS
    'Creates a Twenty v1.10-shaped workspace schema (fixture for embedded/demo/tests; never on a real Twenty).';
