"""Benchmark: first mail sync of a 10,000-message mailbox (target ≤ 60 s) and an incremental sync with
nothing new (target ≤ 1 s), against a real Dovecot on loopback (Debian's dovecot-imapd).

The mailbox is written as Maildir files before Dovecot first opens it (as a migrated mailbox would be):
80% Inbox, 20% Sent, a third of the correspondents are demo contacts, the rest business and free-mail
senders (so discovery proposes a few hundred people). The database is the demo (BezelIQ).

    .venv/bin/python bench/mail_sync.py [--messages 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from bench.common import bench_database, drop_database, server_url  # noqa: E402
from cockpit.db.embedded import with_database  # noqa: E402
from cockpit.config import Settings  # noqa: E402
from cockpit.mail.sync import sync_mail  # noqa: E402
from cockpit.store import Store  # noqa: E402
from tests.mail_servers import dovecot, have_dovecot  # noqa: E402

ME = "justin@bezeliq.com"
NOW = datetime.now(timezone.utc)


def _write_maildir(root: Path, uid: int, gid: int, messages: list[tuple[str, bytes, datetime]]) -> None:
    for folder, raw, when in messages:
        base = root / (".Sent Items" if folder == "sent" else "")
        for sub in ("cur", "new", "tmp"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        name = f"{int(when.timestamp())}.M{random.getrandbits(40)}P1.bench:2,S"
        path = base / "cur" / name
        path.write_bytes(raw)
        os.utime(path, (when.timestamp(), when.timestamp()))
    for dirpath, dirnames, filenames in os.walk(root):
        os.chown(dirpath, uid, gid)
        for f in filenames:
            os.chown(os.path.join(dirpath, f), uid, gid)


async def main(n: int) -> None:
    if not have_dovecot():
        print("Dovecot is not installed: apt-get install -y dovecot-imapd")
        return
    seeded = await bench_database(2000, 20_000)
    server, name = server_url(), "bench_mail_sync_scratch"
    with psycopg.connect(server, autocommit=True) as admin:  # a fresh copy each run: the sync writes
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(psycopg.conninfo.conninfo_to_dict(seeded)["dbname"])))
    url = with_database(server, name)
    try:
        settings = Settings(database_url=url, client_id="bezeliq", data_dir=Path(tempfile.mkdtemp()),
                            _env_file=None)  # type: ignore[call-arg]
        store = await Store.open(settings, url=url, min_size=1, max_size=2)
        contacts = [r["email"] for r in await store.db.fetch_dicts(
            "SELECT email FROM crm_contacts WHERE email LIKE '%%@%%' ORDER BY id LIMIT 2000")]
        rng = random.Random(7)
        outsiders = [f"person{i}@{rng.choice(['gmail.com', 'acme-labs.io', 'northwind.example', 'hotmail.com'])}"
                     for i in range(600)]
        messages = []
        for i in range(n):
            who = rng.choice(contacts) if rng.random() < 0.34 else rng.choice(outsiders)
            sent = rng.random() < 0.2
            when = NOW - timedelta(minutes=rng.randint(10, 80 * 24 * 60))
            m = EmailMessage()
            m["From"], m["To"] = (ME, who) if sent else (who, ME)
            m["Subject"] = f"Re: proposal {i % 700}"
            m["Date"] = format_datetime(when)
            m["Message-ID"] = f"<bench-{i}@example.com>"
            if i % 3:
                m["In-Reply-To"] = m["References"] = f"<bench-{i - 1}@example.com>"
            m.set_content("Thanks — see my notes below.\n\n" + "Lorem ipsum dolor sit amet. " * rng.randint(5, 80))
            messages.append(("sent" if sent else "inbox", m.as_bytes(), when))
        with dovecot(user=ME) as d:
            import pwd

            nobody = pwd.getpwnam("nobody")
            maildir = Path(str(d.config.parent / "mail" / ME))
            t0 = time.perf_counter()
            _write_maildir(maildir, nobody.pw_uid, nobody.pw_gid, messages)
            print(f"wrote {n:,} messages as Maildir in {time.perf_counter() - t0:.1f} s")
            s = settings.model_copy(update={"imap_url": d.url, "mail_first_sync_days": 90})
            t0 = time.perf_counter()
            first = await sync_mail(store, s)
            t_first = time.perf_counter() - t0
            runs = []
            for _ in range(5):
                t0 = time.perf_counter()
                again = await sync_mail(store, s)
                runs.append(time.perf_counter() - t0)
            assert again.activities == 0
        await store.close()
        print(first.summary())
        print(f"\n{'what':<52} {'result':<22} target")
        print(f"{f'first sync of {n:,} messages':<52} {t_first:>8.1f} s {'':<11} ≤ 60 s")
        print(f"{'incremental sync, nothing new (5 runs)':<52} {min(runs) * 1000:>8.0f} ms (max {max(runs) * 1000:.0f})"
              f"  ≤ 1 s")
    finally:
        drop_database(server, name)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=10_000)
    asyncio.run(main(ap.parse_args().messages))
