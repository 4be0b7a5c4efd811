"""Benchmark: the records a sentence may mention, at 1M contacts and 100k deals (what arlo's instruction
reader collects before resolving "move the Volta deal to Negotiation": every deal, company and person
with a word starting like one of the sentence's words). Target (ours; DESIGN.md names none): p95 ≤ 1 s
per sentence, so an instruction typed in the cockpit is answered in about a second.

Before the word indexes (redkey_*_words_idx) this was a regex over every name: 7 s per sentence.

    .venv/bin/python -m bench arlo_vocabulary
"""

from __future__ import annotations

import asyncio

from bench.common import Timer, bench_database, summary
from cockpit.config import Settings
from cockpit.store import Store

DEALS, CONTACTS = 100_000, 1_000_000
SENTENCES = [
    "Move the Volta deal to Negotiation", "note on hawkins: call went well, wants pricing",
    "remind me to send the contract to Sarah on Friday", "set priority high for José Martínez at Acme",
    "mark the riggs partners pilot as lost", "who needs a follow-up?", "Andre Conway's deal: close date 2027-03-01",
    "push everything at banks group to next quarter", "riggs partners.com is their new domain",
    "Lane Partners — Platform: amount 300k",
]


async def run() -> None:
    url = await bench_database(DEALS, CONTACTS)
    store = await Store.open(Settings(database_url=url, _env_file=None), client_id="bezeliq",  # type: ignore[call-arg]
                             min_size=1, max_size=2)
    try:
        await store.instructions.vocabulary(SENTENCES[0])  # warm, as a running cockpit is
        ms, sizes = [], []
        for _ in range(3):
            for s in SENTENCES:
                with Timer() as t:
                    vocab = await store.instructions.vocabulary(s)
                ms.append(t.ms)
                sizes.append(len(vocab.records))
        summary(f"sentence -> candidate records ({len(SENTENCES)} sentences x 3)", ms, 1000)
        print(f"   candidates per sentence: min {min(sizes):,}, max {max(sizes):,}")
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(run())
