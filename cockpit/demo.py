"""Deterministic demo data: two clients, Twenty-shaped workspaces, realistic records, loaded with COPY.

- **BezelIQ** (``bezeliq``) with its own sales stages prospect → onboard, and the named
  records (the Acme deal, Sarah at Meridian, the Volta deal) so arlo's example instructions work.
- **Northwind Labs** (``northwind``) with Twenty's default stages, so client scoping is visible.

The demo plays Twenty's part: it writes Layer 1 tables directly (as Twenty would) and RedKey's own
tables as their owner. The same seed and ``now`` give the same data, byte for byte; it scales to
100k deals and 1M contacts for the benchmarks.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from faker.providers.company.en_US import Provider as CompanyWords
from faker.providers.person.en_US import Provider as PersonNames
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from cockpit.db import layer2
from cockpit.db.layer1 import workspace_schema_name
from cockpit.db.migrate import migrate
from cockpit.errors import ValidationFailed
from cockpit.sequences.demo import seed_sequences

FIRST_NAMES = list(PersonNames.first_names)
LAST_NAMES = list(PersonNames.last_names)
SUFFIXES = ["Inc", "LLC", "Group", "Labs", "Systems", "Partners", "Health", "Logistics", "Energy", "Analytics"]
ADJECTIVES = sorted({w for w in CompanyWords.catch_phrase_words[0] if w.isalpha()})
NOUNS = sorted({w.capitalize() for w in CompanyWords.catch_phrase_words[2] if w.isalpha()})
TITLES = ["CEO", "CFO", "COO", "CTO", "VP Sales", "VP Operations", "Head of Procurement", "Head of Finance",
          "Director of IT", "Operations Manager", "Finance Manager", "Fleet Manager", "Product Manager",
          "Controller", "Account Director", "Chief of Staff", "Head of Growth", "Procurement Lead"]
CITIES = [("Austin", "United States"), ("Denver", "United States"), ("Chicago", "United States"),
          ("Boston", "United States"), ("Seattle", "United States"), ("Toronto", "Canada"),
          ("London", "United Kingdom"), ("Manchester", "United Kingdom"), ("Dublin", "Ireland"),
          ("Berlin", "Germany"), ("Amsterdam", "Netherlands"), ("Sydney", "Australia")]
INDUSTRIES = ["Logistics", "Healthcare", "Energy", "Manufacturing", "Retail", "Financial Services", "SaaS"]
SIZES = ["1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000"]


@dataclass(frozen=True)
class DemoClient:
    client_id: str
    name: str
    workspace_uuid: uuid.UUID
    stages: list[str]
    labels: dict[str, str]
    closed: set[str]
    weights: list[int]

    @property
    def schema(self) -> str:
        return workspace_schema_name(self.workspace_uuid)


BEZELIQ = DemoClient(
    "bezeliq", "BezelIQ", uuid.UUID("3f2a9c1e-5b7d-4e8f-9a10-0b1c2d3e4f50"),
    ["PROSPECT", "QUALIFY", "DEMO", "PROPOSAL", "NEGOTIATE", "CLOSE", "ONBOARD"],
    {"PROSPECT": "Prospect", "QUALIFY": "Qualify", "DEMO": "Demo", "PROPOSAL": "Proposal",
     "NEGOTIATE": "Negotiation", "CLOSE": "Closed won", "ONBOARD": "Onboarding"},
    {"CLOSE", "ONBOARD"}, [30, 22, 16, 12, 8, 7, 5])
NORTHWIND = DemoClient(
    "northwind", "Northwind Labs", uuid.UUID("8c4e2b7a-1d3f-4a5b-8c6d-7e8f9a0b1c2d"),
    ["NEW", "SCREENING", "MEETING", "PROPOSAL", "CUSTOMER"],
    {}, {"CUSTOMER"}, [35, 25, 18, 12, 10])
DEMO_CLIENTS = (BEZELIQ, NORTHWIND)

# The named records arlo's example instructions refer to ("Acme stalled", "Sarah at Meridian", "the Volta deal").
NAMED_COMPANIES = [
    ("Acme Corp", "acme.com", "Logistics"), ("Meridian Health", "meridianhealth.com", "Healthcare"),
    ("Volta Energy", "voltaenergy.com", "Energy"), ("Brightline Logistics", "brightline.io", "Logistics"),
]
NAMED_PEOPLE = [  # first, last, title, company index, email
    ("Dan", "Whitfield", "VP Operations", 0, "dan.whitfield@acme.com"),
    ("Sarah", "Chen", "CFO", 1, "sarah.chen@meridianhealth.com"),
    ("Tom", "Alvarez", "Head of IT", 1, "tom.alvarez@meridianhealth.com"),
    ("Priya", "Raman", "Head of Procurement", 2, "priya.raman@voltaenergy.com"),
    ("Sarah", "Okafor", "COO", 3, "sarah.okafor@brightline.io"),
]
NAMED_DEALS = [  # name, stage, amount, company index, person index, days since activity
    ("Acme — Fleet Analytics", "PROPOSAL", 48_000, 0, 0, 41),
    ("Meridian Health — Platform", "DEMO", 120_000, 1, 1, 3),
    ("Volta Energy — Pilot", "PROPOSAL", 65_000, 2, 3, 6),
    ("Brightline — Route Optimizer", "QUALIFY", 22_000, 3, 4, 12),
]


@dataclass
class DemoStats:
    clients: int = 0
    companies: int = 0
    contacts: int = 0
    deals: int = 0
    activities: int = 0
    seconds: float = 0.0
    per_client: dict[str, dict[str, int]] = field(default_factory=dict)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def default_now() -> datetime:
    """Midnight UTC today: demo data is stable within a day."""
    today = datetime.now(timezone.utc).date()
    return datetime(today.year, today.month, today.day, tzinfo=timezone.utc)


async def _copy(conn: AsyncConnection, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
    cols = ", ".join(f'"{c}"' for c in columns)
    n = 0
    async with conn.cursor().copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
        for row in rows:
            await copy.write_row(row)
            n += 1
    return n


BULK_ROWS = 50_000  # above this, secondary indexes are rebuilt after loading instead of maintained per row


async def _without_indexes(conn: AsyncConnection, table: str, load) -> int:  # type: ignore[no-untyped-def]
    """Run ``load()`` with ``table``'s secondary indexes dropped, then rebuild them: building a GIN or
    btree once is far cheaper than maintaining it row by row during a bulk COPY."""
    schema, name = table.split(".")
    rows = await (await conn.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary", (table,))).fetchall()
    for index_name, _ in rows:
        await conn.execute(f"DROP INDEX {index_name}")
    n = await load()
    async with conn.transaction():  # SET LOCAL: a session SET would stay behind on a pooled backend
        await conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _, definition in rows:
            await conn.execute(definition)
    return n  # type: ignore[no-any-return]


async def reset(conn: AsyncConnection) -> None:
    """Drop RedKey's schema, Layer 2 and every fixture workspace, then migrate afresh.

    Refused when a real (non-fixture) Twenty workspace is registered: demo data never goes there.
    """
    exists = await (await conn.execute("SELECT to_regclass('redkey.workspaces') IS NOT NULL")).fetchone()
    fixtures: list[str] = []
    if exists and exists[0]:
        real = await (await conn.execute(
            "SELECT string_agg(schema_name, ', ') FROM redkey.workspaces WHERE NOT is_fixture")).fetchone()
        if real and real[0]:
            raise ValidationFailed(f"this database has real Twenty workspaces registered ({real[0]})",
                                   "demo data only goes into a database of its own (the embedded one)")
        rows = await (await conn.execute("SELECT schema_name FROM redkey.workspaces")).fetchall()
        fixtures = [r[0] for r in rows]
    # the per-client schemas of Layer 2 (recognised by the generator's comment)
    rows = await (await conn.execute(
        "SELECT nspname FROM pg_namespace WHERE obj_description(oid, 'pg_namespace') LIKE 'RedKey: the stable views of client %'"
    )).fetchall()
    fixtures += [r[0] for r in rows]
    async with conn.transaction():
        for schema in fixtures + [c.schema for c in DEMO_CLIENTS]:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.execute("DROP SCHEMA IF EXISTS redkey_client_groups CASCADE")
        await conn.execute("DROP SCHEMA IF EXISTS redkey CASCADE")
        for fn in ("crm_move_deal(uuid, text)", "crm_search_contacts(text, integer, text, uuid)",
                   "crm_search_companies(text, integer, text, uuid)", "crm_search_deals(text, integer, text, uuid)"):
            await conn.execute(f"DROP FUNCTION IF EXISTS public.{fn} CASCADE")
        for view in ("crm_contacts", "crm_companies", "crm_deals", "crm_activities", "crm_pipeline"):
            await conn.execute(f"DROP VIEW IF EXISTS public.{view} CASCADE")
    await migrate(conn)


async def has_data(conn: AsyncConnection) -> bool:
    """Whether any client is registered (so ``demo --if-empty`` leaves the database alone)."""
    row = await (await conn.execute("SELECT to_regclass('redkey.clients') IS NOT NULL")).fetchone()
    if not (row and row[0]):
        return False
    row = await (await conn.execute("SELECT EXISTS (SELECT 1 FROM redkey.clients)")).fetchone()
    return bool(row and row[0])


async def seed_demo(conn: AsyncConnection, *, deals: int = 240, contacts: int = 1200, seed: int = 7,
                    now: datetime | None = None, progress: Callable[[str], None] | None = None) -> DemoStats:
    """Reset the database and load demo data. ``deals``/``contacts`` size BezelIQ; Northwind gets a
    fifth. ``conn`` must be in autocommit mode."""
    if deals < 0 or contacts < 0:
        raise ValidationFailed("--deals and --contacts must be zero or more")
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    now = now or default_now()
    await reset(conn)
    stats = DemoStats()
    for client, scale in ((BEZELIQ, 1.0), (NORTHWIND, 0.2)):
        rng = random.Random(f"{seed}:{client.client_id}")
        n_contacts = max(int(contacts * scale), len(NAMED_PEOPLE))
        n_deals = max(int(deals * scale), len(NAMED_DEALS))
        say(f"{client.name}: {n_contacts:,} contacts, {n_deals:,} deals")
        counts = await _seed_client(conn, client, rng, now, n_contacts, n_deals, named=client is BEZELIQ)
        stats.per_client[client.client_id] = counts
        stats.clients += 1
        stats.companies += counts["companies"]
        stats.contacts += counts["contacts"]
        stats.deals += counts["deals"]
        stats.activities += counts["activities"]
    async with conn.transaction():
        await layer2.regenerate(conn)
    await conn.execute("ANALYZE")
    stats.seconds = time.perf_counter() - started
    return stats


async def _seed_client(conn: AsyncConnection, client: DemoClient, rng: random.Random, now: datetime,
                       n_contacts: int, n_deals: int, *, named: bool) -> dict[str, int]:
    ws = f'"{client.schema}"'
    # randint/choice by hand, on the same random stream as random.Random's (CPython draws both from
    # _randbelow): identical data, a third of the time for a million rows.
    below = rng._randbelow

    def randint(a: int, b: int) -> int:
        return a + below(b - a + 1)

    def choice(seq: Any) -> Any:
        return seq[below(len(seq))]

    async with conn.transaction():
        await conn.execute("SELECT redkey.create_twenty_fixture(%s, %s)", (client.schema, client.stages))
        await _seed_members(conn, client)
        await conn.execute("INSERT INTO redkey.clients (client_id, name) VALUES (%s, %s)",
                           (client.client_id, client.name))
        await conn.execute("INSERT INTO redkey.workspaces (schema_name, client_id, label, is_fixture) "
                           "VALUES (%s, %s, %s, true)", (client.schema, client.client_id, client.name))
        for stage in client.stages:
            await conn.execute(
                "INSERT INTO redkey.stage_settings (client_id, stage_id, label, is_closed) VALUES (%s, %s, %s, %s)",
                (client.client_id, stage, client.labels.get(stage), stage in client.closed))

    # --- companies ----------------------------------------------------------------------------
    n_companies = max(n_contacts // 8, 12)
    companies: list[tuple[Any, ...]] = []
    domains: set[str] = set()
    if named:
        for name, domain, _industry in NAMED_COMPANIES:
            companies.append((_uuid(rng), name, domain))
            domains.add(domain)
    while len(companies) < n_companies:
        roll = rng.random()
        if roll < 0.45:
            base = f"{choice(LAST_NAMES)} {choice(SUFFIXES)}"
        elif roll < 0.65:
            base = f"{choice(LAST_NAMES)} & {choice(LAST_NAMES)}"
        else:
            base = f"{choice(ADJECTIVES)} {choice(NOUNS)} {choice(SUFFIXES)}"
        domain = "".join(ch for ch in base.lower() if ch.isalnum())[:40] + choice([".com", ".io", ".co"])
        if domain in domains:
            domain = f"{len(companies)}{domain}"
        domains.add(domain)
        companies.append((_uuid(rng), base, domain))
    company_rows = []
    company_ext = []
    for i, (cid, name, domain) in enumerate(companies):
        city, country = choice(CITIES)
        created = now - timedelta(days=randint(30, 900), minutes=randint(0, 1439))
        company_rows.append((cid, created, created, float(i), name, f"https://{domain}", city, country,
                             float(choice([8, 25, 60, 140, 320, 800, 2400])),
                             f"https://linkedin.com/company/{domain.split('.')[0]}" if rng.random() < 0.5 else ""))
        if rng.random() < 0.5:
            industry = NAMED_COMPANIES[i][2] if named and i < len(NAMED_COMPANIES) else choice(INDUSTRIES)
            company_ext.append((client.client_id, cid, choice(SIZES), industry,
                                now - timedelta(days=randint(1, 60)), now))
    await _copy(conn, f"{ws}.company",
                ["id", "createdAt", "updatedAt", "position", "name", "domainNamePrimaryLinkUrl",
                 "addressAddressCity", "addressAddressCountry", "employees", "linkedinLinkPrimaryLinkUrl"],
                company_rows)
    await _copy(conn, "redkey.company_ext", ["client_id", "record_id", "company_size", "industry", "enriched_at",
                                             "updated_at"],
                company_ext)

    # --- contacts -----------------------------------------------------------------------------
    people: list[tuple[uuid.UUID, uuid.UUID, str]] = []  # id, company id, full name

    def person_rows() -> Iterable[tuple[Any, ...]]:
        emails: set[str] = set()
        for i in range(n_contacts):
            pid = _uuid(rng)
            if named and i < len(NAMED_PEOPLE):
                first, last, title, ci, email = NAMED_PEOPLE[i]
                company = companies[ci]
            else:
                first, last = choice(FIRST_NAMES), choice(LAST_NAMES)
                title = choice(TITLES)
                # the named companies keep only their named people ("Sarah at Meridian" is one person)
                company = companies[rng.randrange(len(NAMED_COMPANIES) if named else 0, len(companies))]
                email = f"{first}.{last}@{company[2]}".lower()
                if email in emails:
                    email = f"{first}.{last}{i}@{company[2]}".lower()
            emails.add(email)
            city, _country = choice(CITIES)
            created = now - timedelta(days=randint(1, 700), minutes=randint(0, 1439))
            phone = f"{randint(200, 989)} {randint(200, 999)} {randint(1000, 9999)}" if rng.random() < 0.7 else ""
            people.append((pid, company[0], f"{first} {last}"))
            yield (pid, created, created, float(i), first, last, email, title, phone, "+1" if phone else "", city,
                   company[0])

    async def load_people() -> int:
        return await _copy(conn, f"{ws}.person",
                           ["id", "createdAt", "updatedAt", "position", "nameFirstName", "nameLastName",
                            "emailsPrimaryEmail", "jobTitle", "phonesPrimaryPhoneNumber",
                            "phonesPrimaryPhoneCallingCode", "city", "companyId"], person_rows())

    if n_contacts >= BULK_ROWS:
        n_people = await _without_indexes(conn, f"{ws}.person", load_people)
    else:
        n_people = await load_people()

    # --- deals --------------------------------------------------------------------------------
    by_company: dict[uuid.UUID, list[uuid.UUID]] = {}
    for pid, cid, _name in people[: min(len(people), 200_000)]:
        by_company.setdefault(cid, []).append(pid)
    deal_rows = []
    deal_ext = []
    deal_last: dict[uuid.UUID, tuple[datetime, uuid.UUID | None, uuid.UUID | None, str]] = {}
    for i in range(n_deals):
        did = _uuid(rng)
        if named and i < len(NAMED_DEALS):
            name, stage, amount, ci, pi, days = NAMED_DEALS[i]
            company_id, contact_id = companies[ci][0], people[pi][0]
            last = now - timedelta(days=days, hours=randint(1, 8))
            priority = "high" if pi == 1 else None
        else:
            first_free = len(NAMED_COMPANIES) if named else 0  # the named companies keep only their deal
            ci = rng.randrange(first_free, len(companies))
            company_id = companies[ci][0]
            contacts_here = by_company.get(company_id) or [people[rng.randrange(len(people))][0]]
            contact_id = choice(contacts_here)
            stage = rng.choices(client.stages, weights=client.weights)[0]
            product = choice(["Platform", "Pilot", "Renewal", "Expansion", "Analytics", "Integration"])
            name = f"{companies[ci][1]} — {product}"
            amount = round(rng.lognormvariate(10.3, 0.8) / 500) * 500 or 1000
            last = now - timedelta(days=min(int(rng.expovariate(1 / 12)), 120), hours=randint(0, 23))
            priority = rng.choices([None, "high", "medium", "low"], weights=[80, 6, 8, 6])[0]
        created = last - timedelta(days=randint(5, 200))
        close = now + timedelta(days=randint(-30, 150))
        deal_rows.append((did, created, created, float(i), name, amount * 1_000_000, "USD", close, stage,
                          contact_id, company_id))
        deal_ext.append((client.client_id, did, last, priority, now))
        deal_last[did] = (last, contact_id, company_id, name)
    n_opps = await _copy(conn, f"{ws}.opportunity",
                         ["id", "createdAt", "updatedAt", "position", "name", "amountAmountMicros",
                          "amountCurrencyCode", "closeDate", "stage", "pointOfContactId", "companyId"], deal_rows)
    await _copy(conn, "redkey.deal_ext", ["client_id", "record_id", "last_activity_at", "priority", "updated_at"],
                deal_ext)

    # --- activities: RedKey's log (emails, calls, meetings) and Twenty's timeline/notes ---------
    kinds = [("email_sent", "email", "outbound"), ("email_opened", "email", "inbound"),
             ("email_received", "email", "inbound"), ("call", "phone", "outbound"),
             ("meeting", "calendar", "internal")]
    contact_last: dict[uuid.UUID, datetime] = {}
    acts = []
    timeline = []
    for did, (last, contact_id, company_id, name) in deal_last.items():
        for k in range(randint(1, 3)):
            kind, channel, direction = choice(kinds)
            when = last - timedelta(days=3 * k, hours=randint(0, 5))
            subject = {"email_sent": f"Following up: {name}", "email_opened": f"Opened: {name}",
                       "email_received": f"Re: {name}", "call": f"Call about {name}",
                       "meeting": f"Meeting: {name}"}[kind]
            acts.append((_uuid(rng), client.client_id, when, kind, channel, direction, subject,
                         None, contact_id, company_id, did, "arlo" if kind.startswith("email") else "cockpit",
                         None, Jsonb({})))
            if contact_id is not None:
                contact_last[contact_id] = max(contact_last.get(contact_id, when), when)
        if rng.random() < 0.3:
            timeline.append((_uuid(rng), last - timedelta(days=randint(1, 20)), "opportunity.updated",
                             Jsonb({"diff": {"amount": {"before": None, "after": "updated"}}}), name, did,
                             contact_id, company_id))
    n_acts = await _copy(conn, "redkey.activities",
                         ["id", "client_id", "occurred_at", "kind", "channel", "direction", "subject", "summary",
                          "contact_id", "company_id", "deal_id", "source", "external_id", "properties"], acts)
    n_tl = await _copy(conn, f'{ws}."timelineActivity"',
                       ["id", "happensAt", "name", "properties", "linkedRecordCachedName", "opportunityId",
                        "personId", "companyId"], timeline)

    contact_ext = []
    enrich_cut = 0.4
    for pid, _cid, _name in people:
        enriched = now - timedelta(days=randint(1, 90)) if rng.random() < enrich_cut else None
        last = contact_last.get(pid)
        if enriched is None and last is None and rng.random() < 0.9:
            continue
        contact_ext.append((client.client_id, pid, last, enriched,
                            randint(0, 6) if last else 0, randint(0, 12) if last else 0, now))
    await _copy(conn, "redkey.contact_ext", ["client_id", "record_id", "last_activity_at", "enriched_at",
                                             "email_thread_count", "open_count", "updated_at"], contact_ext)
    if named:
        await _seed_named_context(conn, client, people, now)
        from cockpit.store.approvals import seed_demo_proposals  # arlo's proposals waiting in Approvals
        await seed_demo_proposals(conn, client.client_id, people, now)
        await seed_sequences(conn, client, rng, now, people)
    return {"companies": len(companies), "contacts": n_people, "deals": n_opps, "activities": n_acts + n_tl}


# The workspace's members (task assignees): Justin first (the cockpit's "me" by default), then a colleague.
DEMO_MEMBERS = (("Justin", "Reed", "justin"), ("Maya", "Okafor", "maya"))


async def _seed_members(conn: Any, client: DemoClient) -> None:
    domain = client.client_id + ".example"
    for i, (first, last, user) in enumerate(DEMO_MEMBERS):
        await conn.execute(
            f'INSERT INTO "{client.schema}"."workspaceMember" (id, position, "nameFirstName", "nameLastName",'
            ' "userEmail") VALUES (%s, %s, %s, %s, %s)',
            (uuid.uuid5(client.workspace_uuid, "member:" + user), i, first, last, f"{user}@{domain}"))


async def _seed_named_context(conn: AsyncConnection, client: DemoClient,
                              people: list[tuple[uuid.UUID, uuid.UUID, str]], now: datetime) -> None:
    """Strategic notes and a client context object for the named contacts."""
    sarah = people[1][0]
    await conn.execute(
        "INSERT INTO redkey.contact_ext (client_id, record_id, priority, relationship_note, updated_at) "
        "VALUES (%s, %s, 'high', %s, %s) ON CONFLICT (client_id, record_id) DO UPDATE SET priority = 'high', "
        "relationship_note = EXCLUDED.relationship_note, updated_at = EXCLUDED.updated_at",
        (client.client_id, sarah, "Strong champion; CFO relationship", now))
    context = {
        "contact_id": str(sarah),
        "last_updated_at": (now - timedelta(days=2)).isoformat(),
        "summary": "CFO at Meridian Health and our champion for the platform deal; evaluating against a "
                   "build-in-house option.",
        "relationship_status": "warm",
        "emotion_trend": {"valence": 0.4, "energy": "medium", "stability": "stable"},
        "roles": ["economic_buyer", "champion"],
        "key_facts": ["Prefers a short written summary after each call.",
                      "Budget approved for Q1; board review in February."],
        "open_threads": [{"channel": "email", "thread_id": "demo-thread-1", "topic": "Security questionnaire",
                          "last_message_at": (now - timedelta(days=3)).isoformat(), "needs_reply": True,
                          "suggested_tone": "reassuring and clear"}],
        "opportunities": [{"type": "platform", "stage": "demo", "estimated_value": 120000,
                           "next_action": "Send the security answers and book the technical demo."}],
        "risks": [{"type": "communications_gap", "note": "Security questionnaire unanswered for 3 days."}],
        "system_links": {},
    }
    await conn.execute(
        "INSERT INTO redkey.client_context (client_id, contact_id, context_json, last_updated_at) "
        "VALUES (%s, %s, %s, %s)", (client.client_id, sarah, Jsonb(context), now - timedelta(days=2)))
    await conn.execute(
        "INSERT INTO redkey.client_context_history (client_id, contact_id, context_json, change_note, recorded_at) "
        "VALUES (%s, %s, %s, %s, %s)",
        (client.client_id, sarah, Jsonb(context), "initial context from demo data", now - timedelta(days=2)))
