"""Foundation benchmark: 1M contacts and 100k deals.

- Contact search (as-you-type prefixes, full names, email local parts), one query each, through the
  store (crm_search_contacts). Target: p95 ≤ 50 ms.
- The pipeline's per-stage count and sum (Store.crm.stage_totals), and the first page of every column.

`python -m bench store_queries` (seeds the bench database on first use: about a minute).
"""

from __future__ import annotations

import asyncio
import random

from cockpit.config import Settings
from cockpit.store import Store

from bench.common import Timer, bench_database, summary

DEALS, CONTACTS = 100_000, 1_000_000


async def run() -> None:
    url = await bench_database(DEALS, CONTACTS)
    store = await Store.open(Settings(database_url=url, _env_file=None), client_id="bezeliq",  # type: ignore[call-arg]
                             min_size=1, max_size=2)
    try:
        total = await store.db.fetch_value("SELECT count(*) FROM crm_contacts")
        print(f"BezelIQ: {total:,} contacts, {await store.db.fetch_value('SELECT count(*) FROM crm_deals'):,} deals")
        # Realistic queries: what a user types looking for a contact picked at random.
        rng = random.Random(11)
        sample = (await store.crm.contacts_page(limit=1000)).items
        picks = [sample[rng.randrange(len(sample))] for _ in range(12)]
        after = None
        for _ in range(rng.randrange(50, 400)):  # and some from deep in the alphabet
            page = await store.crm.contacts_page(after=after, limit=1000)
            after = page.next_after
        picks += rng.sample(page.items, 12)
        queries: list[str] = []
        for c in picks:
            first, last = (c.first_name or "x").lower(), (c.last_name or "x").lower()
            queries += [first[:2], first[:3], first[:4], first, f"{first} {last[:2]}", c.full_name.lower(),
                        last[:4], (c.email or "x@y").split("@")[0]]
        queries += ["a", "s", "zzq", "ceo", "head of", "vp sales"]
        # people found by their company's name or domain ("hawkins" finds Hawkins LLC's people)
        for c in picks[:8]:
            if c.company_id:
                co = await store.crm.company(c.company_id)
                queries += [(co.name or "x").split()[0].lower(), (co.domain or "x.y").lower()]
        for q in queries[:3]:  # warm the cache once, as a running cockpit would be
            await store.crm.contacts_page(q)
        ms = []
        for q in queries:
            with Timer() as t:
                await store.crm.contacts_page(q, limit=50)
            ms.append(t.ms)
        summary(f"contact search ({len(queries)} queries)", ms, 50)

        ms = []
        for i in range(30):
            after = None
            with Timer() as t:
                page = await store.crm.contacts_page(limit=50)
            ms.append(t.ms)
        summary("contact list first page", ms, 50)

        ms = []
        for _ in range(20):
            with Timer() as t:
                totals = await store.crm.stage_totals()
            ms.append(t.ms)
        summary("pipeline per-stage count + sum (7 stages)", ms)
        print("   " + ", ".join(f"{k}={v.count:,}/${v.amount:,.0f}" for k, v in totals.items()))

        for sort in ("amount", "close_date", "staleness"):
            ms = []
            for _ in range(5):
                with Timer() as t:
                    await store.crm.board(sort=sort, limit=30)  # type: ignore[arg-type]
                ms.append(t.ms)
            summary(f"board: first 30 cards of all 7 columns, {sort}", ms)
        page = (await store.crm.board())["PROSPECT"]
        ms = []
        for _ in range(10):
            with Timer() as t:
                page = await store.crm.deal_cards("PROSPECT", after=page.next_after, limit=30)
            ms.append(t.ms)
        summary("next page of the largest column (30k deals)", ms)
        ms = []
        for _ in range(5):
            with Timer() as t:
                await store.crm.stage_totals("acme")
                await store.crm.board(text="acme")
            ms.append(t.ms)
        summary("filter '/acme': totals + board", ms)
    finally:
        await store.close()


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
