"""Mail sync against a real IMAP server (Debian's Dovecot, started by the test on a loopback port with a
Maildir it fills by IMAP APPEND, as mail clients do): Inbox and a Sent folder found by SPECIAL-USE,
threads and replies, a free-mail sender, a no-reply, a new business correspondent, a sequence email
Resend already logged, a changed UIDVALIDITY, and exactly-once on every re-run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import psycopg
import pytest
from imapclient import IMAPClient

from cockpit.config import Settings
from cockpit.mail.sync import sync_mail
from cockpit.store import Store
from tests.mail_servers import Dovecot, dovecot, have_dovecot

pytestmark = pytest.mark.skipif(not have_dovecot(), reason="Dovecot is not installed (apt-get install "
                                "dovecot-imapd; .ci/run installs it)")

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)
ME = "justin@bezeliq.com"


@pytest.fixture(scope="module")
def imap() -> Iterator[Dovecot]:
    with dovecot(user=ME) as d:
        yield d


def _msg(frm: str, to: list[str], subject: str, body: str, *, msg_id: str, when: datetime,
         cc: list[str] | None = None, in_reply_to: str | None = None, refs: list[str] | None = None,
         headers: dict[str, str] | None = None, html: bool = False) -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = frm, ", ".join(to), subject
    if cc:
        m["Cc"] = ", ".join(cc)
    m["Date"] = format_datetime(when)
    m["Message-ID"] = msg_id
    if in_reply_to:
        m["In-Reply-To"] = in_reply_to
    if refs:
        m["References"] = " ".join(refs)
    for k, v in (headers or {}).items():
        m[k] = v
    if html:
        m.set_content(f"<html><head><style>p {{color: red}}</style></head><body><p>{body}</p></body></html>",
                      subtype="html")  # HTML only, as many clients send
    else:
        m.set_content(body)
    return m.as_bytes()


def _append(d: Dovecot, folder: str, raw: bytes, when: datetime) -> None:
    c = IMAPClient(d.host, port=d.port, ssl=False)
    c.login(d.user, d.password)
    c.append(folder, raw, msg_time=when)
    c.logout()


def _clear(d: Dovecot) -> None:
    c = IMAPClient(d.host, port=d.port, ssl=False)
    c.login(d.user, d.password)
    for folder in ("INBOX", "Sent Items"):
        c.select_folder(folder)
        uids = c.search(["ALL"])
        if uids:
            c.delete_messages(uids)
            c.expunge()
    c.logout()


@pytest.fixture
async def people(store: Store, conn: psycopg.AsyncConnection) -> dict[str, Any]:
    """Two demo contacts with emails (one enrolled in a sequence) and the id of an open deal of the first."""
    rows = await store.db.fetch_dicts(
        "SELECT c.id, c.email, c.first_name, c.last_name, c.company_id, d.id AS deal_id FROM crm_contacts c "
        "JOIN crm_deals d ON d.contact_id = c.id JOIN crm_pipeline p ON p.stage_id = d.stage_id AND NOT p.is_closed "
        "WHERE c.email LIKE '%%@%%' ORDER BY c.id LIMIT 2")
    assert len(rows) == 2
    await conn.execute("DELETE FROM redkey.sequences")
    seq = await store.sequences.create_sequence("Intro", [{"subject": "Hi {{first_name|there}}", "body": "Hello", "wait_days": 0}])
    enrollment = await store.sequences.enroll(rows[1]["id"], seq.id, now=NOW - timedelta(days=3))
    return {"a": rows[0], "b": rows[1], "enrollment": enrollment.id}


def _settings(settings: Settings, d: Dovecot, **kw: Any) -> Settings:
    return settings.model_copy(update={"imap_url": d.url, "mail_first_sync_days": 90, **kw})


async def _activities(store: Store, source: str = "mail") -> list[dict[str, Any]]:
    return await store.db.fetch_dicts("SELECT kind, direction, subject, summary, contact_id, company_id, deal_id, "
                                   "external_id, properties FROM crm_activities WHERE source = %s "
                                   "ORDER BY occurred_at, external_id", (source,))


async def test_first_sync_incremental_and_uidvalidity(imap: Dovecot, store: Store, settings: Settings,
                                                       people: dict[str, Any], conn: psycopg.AsyncConnection) -> None:
    _clear(imap)
    a, b = people["a"], people["b"]
    t = NOW - timedelta(days=2)
    # Justin writes to A (Sent Items), A replies with a quote, a free-mail friend and a no-reply write,
    # a new person at a business domain writes with A in cc, and a message older than the window.
    _append(imap, "Sent Items", _msg(f"Justin Reyes <{ME}>", [a["email"]], "Pilot timeline",
                                     "Hi, can we lock the pilot dates?", msg_id="<p1@bezeliq.com>", when=t), t)
    _append(imap, "INBOX", _msg(f"{a['first_name']} {a['last_name']} <{a['email'].upper()}>", [ME], "Re: Pilot timeline",
                                "Yes — March 3 works.\n\nOn Mon, Justin wrote:\n> can we lock the pilot dates?",
                                msg_id="<r1@client.example>", when=t + timedelta(hours=1), in_reply_to="<p1@bezeliq.com>",
                                refs=["<p1@bezeliq.com>"]), t + timedelta(hours=1))
    _append(imap, "INBOX", _msg("Old Friend <old.friend@gmail.com>", [ME], "Dinner?", "Friday?",
                                msg_id="<f1@gmail.com>", when=t), t)
    _append(imap, "INBOX", _msg("Acme Billing <no-reply@acmebilling.com>", [ME], "Your invoice", "Invoice attached",
                                msg_id="<n1@acmebilling.com>", when=t), t)
    _append(imap, "INBOX", _msg("Ana-Lucía Peña <ana.pena@ferrovia-analytics.es>", [ME], "Intro via Sam",
                                "Sam said we should talk about data pipelines.", cc=[a["email"]],
                                msg_id="<x1@ferrovia-analytics.es>", when=t + timedelta(hours=2), html=True),
            t + timedelta(hours=2))
    _append(imap, "INBOX", _msg(f"B <{b['email']}>", [ME], "Re: Hi", "Not now, thanks.", msg_id="<b1@client.example>",
                                when=t + timedelta(hours=3)), t + timedelta(hours=3))
    old = NOW - timedelta(days=200)
    _append(imap, "INBOX", _msg(f"A <{a['email']}>", [ME], "Ancient", "old", msg_id="<old@client.example>", when=old), old)

    s = _settings(settings, imap)
    report = await sync_mail(store, s, now=NOW)
    assert not report.errors, report.errors
    folders = {f.folder for f in report.folders}
    assert folders == {"INBOX", "Sent Items"}  # Sent found by SPECIAL-USE, not guessed as "Sent"
    acts = await _activities(store)
    by_subject = {(x["subject"], str(x["contact_id"])): x for x in acts}
    sent = by_subject[("Pilot timeline", str(a["id"]))]
    assert sent["kind"] == "email_sent" and sent["direction"] == "outbound"
    assert sent["deal_id"] == a["deal_id"] and sent["company_id"] == a["company_id"]
    reply = by_subject[("Re: Pilot timeline", str(a["id"]))]
    assert reply["kind"] == "email_received" and reply["summary"] == "Yes — March 3 works."
    assert reply["properties"]["thread_id"] == "<p1@bezeliq.com>" == sent["properties"]["thread_id"]
    assert "body" not in reply["properties"]  # a snippet, not the whole body
    intro = by_subject[("Intro via Sam", str(a["id"]))]  # A was in cc: on A's timeline too
    assert intro["summary"] == "Sam said we should talk about data pipelines."
    assert not any(x["subject"] in ("Dinner?", "Your invoice", "Ancient") for x in acts)
    assert len(acts) == 4
    # B replied: B's enrollment ended as the webhook path ends it
    status = await (await conn.execute("SELECT status, status_reason FROM redkey.sequence_enrollments WHERE id = %s",
                                       (people["enrollment"],))).fetchone()
    assert status == ("complete", "replied") and report.stopped_sequences == 1
    # discovery: only the business correspondent, waiting in Approvals; never gmail or no-reply
    props = await store.db.fetch_dicts("SELECT payload, status FROM redkey.proposals WHERE entity_type = 'contact' "
                                    "AND created_by = 'arlo:mail-sync'")
    emails = sorted(p["payload"].get("email") for p in props)
    assert emails == ["ana.pena@ferrovia-analytics.es"] and {p["status"] for p in props} == {"pending"}
    assert not await store.db.fetch_dicts("SELECT 1 FROM crm_contacts WHERE email = 'old.friend@gmail.com'")

    # incremental: nothing new -> nothing recorded, one new message -> one activity
    again = await sync_mail(store, s, now=NOW)
    assert again.activities == 0 and sum(f.fetched for f in again.folders) == 0
    _append(imap, "INBOX", _msg(f"A <{a['email']}>", [ME], "One more thing", "Budget is approved.",
                                msg_id="<r2@client.example>", when=NOW - timedelta(hours=1)), NOW - timedelta(hours=1))
    third = await sync_mail(store, s, now=NOW)
    assert third.activities == 1 and len(await _activities(store)) == 5

    # the server renumbers INBOX: a resync by Message-ID, no duplicates
    imap.doveadm("mailbox", "update", "-u", ME, "--uid-validity", "777", "INBOX")
    fourth = await sync_mail(store, s, now=NOW)
    assert any(f.resynced and f.folder == "INBOX" for f in fourth.folders)
    assert fourth.activities == 0 and len(await _activities(store)) == 5
    state = await (await conn.execute("SELECT uidvalidity FROM redkey.mail_sync_state WHERE folder = 'INBOX'")).fetchone()
    assert state == (777,)


async def test_resend_copies_are_not_doubled_and_auto_mode_commits(imap: Dovecot, store: Store, settings: Settings,
                                                                    people: dict[str, Any],
                                                                    conn: psycopg.AsyncConnection) -> None:
    _clear(imap)
    a = people["a"]
    # a sequence email that Resend sent (its outbox row is 'sent'); the mailbox has a Bcc copy in Sent
    await conn.execute(
        "INSERT INTO redkey.email_outbox (client_id, enrollment_id, step, sequence_id, contact_id, sender, to_email, "
        "subject, body_text, status, sent_at, created_at, updated_at) "
        "SELECT 'bezeliq', e.id, 1, e.sequence_id, e.contact_id, %s, %s, 'Hi there', 'Hello', 'sent', "
        "%s, %s, %s FROM redkey.sequence_enrollments e WHERE e.id = %s",
        (ME, a["email"], NOW - timedelta(hours=5), NOW - timedelta(hours=5), NOW - timedelta(hours=5),
         people["enrollment"]))
    t = NOW - timedelta(hours=5)
    _append(imap, "Sent Items", _msg(ME, [a["email"]], "Hi there", "Hello", msg_id="<seq1@resend.example>", when=t), t)
    _append(imap, "INBOX", _msg("Kai Nakamura <kai@tidewater-robotics.com>", [ME], "Partnership", "Hello Justin",
                                msg_id="<k1@tidewater-robotics.com>", when=t), t)
    report = await sync_mail(store, _settings(settings, imap, mail_discovery="auto"), now=NOW)
    assert not report.errors
    assert sum(f.skipped_resend for f in report.folders) == 1
    assert not [x for x in await _activities(store) if x["subject"] == "Hi there"]
    created = await store.db.fetch_dicts("SELECT first_name, last_name, company_id FROM crm_contacts "
                                      "WHERE email = 'kai@tidewater-robotics.com'")
    assert created and created[0]["first_name"] == "Kai" and created[0]["last_name"] == "Nakamura"
    company = await store.db.fetch_dicts("SELECT domain FROM crm_companies WHERE id = %s", (created[0]["company_id"],))
    assert company == [{"domain": "tidewater-robotics.com"}]


async def test_bad_login_and_unreachable_server_are_one_line(imap: Dovecot, store: Store, settings: Settings) -> None:
    bad = settings.model_copy(update={"imap_url": f"imap://{ME}:wrong@{imap.host}:{imap.port}"})
    report = await sync_mail(store, bad, now=NOW)
    assert report.errors and "refused the login" in report.errors[0] and "wrong" not in report.errors[0]
    from tests.mail_servers import free_port

    gone = settings.model_copy(update={"imap_url": f"imap://{ME}:x@127.0.0.1:{free_port()}"})
    report = await sync_mail(store, gone, now=NOW)
    assert report.errors and report.errors[0].startswith("cannot reach the IMAP server 127.0.0.1:")


def test_cli_sync_doctor_and_arlo_task(imap: Dovecot, db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.test_cli import cockpit

    _clear(imap)
    _append(imap, "INBOX", _msg("Mara Quist <mara@quist-bio.com>", [ME], "Hello", "Hi Justin", msg_id="<q1@quist-bio.com>",
                                when=datetime.now(timezone.utc) - timedelta(hours=1)), datetime.now(timezone.utc))
    env = {"COCKPIT_DATABASE_URL": db_url, "COCKPIT_DATA_DIR": str(tmp_path), "COCKPIT_MAIL_CLIENT": "bezeliq",
           "COCKPIT_IMAP_URL": imap.url.replace("s3cret pass", "s3cret%20pass"), "COCKPIT_ARLO_ENABLED": "true"}
    proc = cockpit("doctor", env=env)
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("sync"))
    assert f"imap://{ME}@127.0.0.1:{imap.port}" in line and "s3cret" not in proc.stdout and "for client bezeliq" in line
    proc = cockpit("mail", "sync", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "new messages in 2 folders" in proc.stdout and "1 new contacts proposed" in proc.stdout
    proc = cockpit("mail", "sync", env={k: v for k, v in env.items() if k != "COCKPIT_IMAP_URL"})
    assert proc.returncode == 2 and proc.stderr.startswith("error: no mailbox configured")
    proc = cockpit("mail", "sync", env={**env, "COCKPIT_IMAP_URL": "imap://nobody@"})
    assert proc.returncode != 0 and "COCKPIT_IMAP_URL" in proc.stderr and "Traceback" not in proc.stderr
    # arlo's engine files a mail_sync task for the mailbox's client and runs it
    proc = cockpit("arlo", "--once", env=env)
    assert proc.returncode == 0, proc.stderr
    proc = cockpit("--client", "bezeliq", "task", "list", env=env)
    assert "mail_sync" in proc.stdout


async def test_idle_files_a_sync_the_moment_mail_arrives(imap: Dovecot, store: Store, settings: Settings,
                                                          people: dict[str, Any]) -> None:
    import asyncio
    import time

    from cockpit.arlo.runner import Arlo

    _clear(imap)
    s = _settings(settings, imap, mail_client="bezeliq", mail_sync_interval_seconds=86_400, arlo_tick_seconds=0.5,
                  enrichment_interval_seconds=86_400, pipeline_health_interval_seconds=86_400,
                  sequence_interval_seconds=86_400)
    arlo = Arlo(store, s)
    stop = asyncio.Event()
    runner = asyncio.create_task(arlo.run_forever(stop))
    try:
        async def mail_tasks() -> list[dict[str, Any]]:
            return await store.db.fetch_dicts("SELECT created_by, status FROM redkey.tasks WHERE task_type = 'mail_sync' "
                                           "ORDER BY created_at", role="owner")

        deadline = time.monotonic() + 60
        while not any(t["status"] == "complete" for t in await mail_tasks()):  # the timer's first sync
            assert time.monotonic() < deadline, "the first mail sync never completed"
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # the watcher is in IDLE by now
        a = people["a"]
        when = datetime.now(timezone.utc)
        await asyncio.to_thread(_append, imap, "INBOX", _msg(f"A <{a['email']}>", [ME], "Right now", "Can you talk?",
                                                             msg_id="<idle1@client.example>", when=when), when)
        deadline = time.monotonic() + 60
        while not await store.db.fetch_dicts("SELECT 1 FROM crm_activities WHERE source = 'mail' AND subject = 'Right now'"):
            assert time.monotonic() < deadline, "IDLE never brought the new message in"
            await asyncio.sleep(0.2)
        assert [t["created_by"] for t in await mail_tasks()] == ["engine", "arlo"]
    finally:
        stop.set()
        await asyncio.wait_for(runner, timeout=40)
        await arlo.aclose()
