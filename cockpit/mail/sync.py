"""Mail sync: a mailbox's Inbox and Sent become email activities on the CRM's contacts, exactly once.

For each configured mailbox and each of its folders (Inbox, and Sent as SPECIAL-USE names it):
- the folder's UIDVALIDITY and highest recorded UID are kept per client; only UIDs above it are
  fetched. A changed UIDVALIDITY (the server renumbered the folder) rescans the sync window and relies
  on Message-IDs, so nothing is recorded twice;
- the first sync of a folder reads only messages since ``mail_first_sync_days`` (default 90);
- each message becomes an ``email_received`` (someone wrote to the owner) or ``email_sent`` (the
  owner wrote) activity on every contact among its participants (matched by address), linked to the
  contact's company and open deal, with the subject, a short snippet (the whole body only when
  ``mail_store_body`` is set) and the thread id from Message-ID / In-Reply-To / References;
- messages a sequence sent through Resend are recognised (the webhook logged them) and skipped;
- a message from a contact is a reply: it ends that contact's sequences as the webhook path does;
- participants from a business domain who are not contacts are proposed as new contacts (with their
  company by domain) through the import path, so they are deduplicated like any import and reviewed
  in Approvals unless the low-risk rule is switched on (``mail_discovery=auto``). Free-mail domains,
  no-reply addresses, automated mail and the blocklist never create anyone.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from cockpit.config import Settings
from cockpit.errors import CockpitError
from cockpit.mail.imap import ImapSession, Mailbox, parse_mailboxes
from cockpit.mail.messages import Address, MailMessage, is_business, parse_message

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (what, done, total)


@dataclass
class FolderReport:
    mailbox: str
    folder: str
    fetched: int = 0
    new_messages: int = 0
    activities: int = 0
    skipped_known: int = 0
    skipped_resend: int = 0
    resynced: bool = False


@dataclass
class SyncReport:
    folders: list[FolderReport] = field(default_factory=list)
    discovered: int = 0
    discovery_note: str = ""
    stopped_sequences: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def activities(self) -> int:
        return sum(f.activities for f in self.folders)

    def summary(self) -> str:
        msgs = sum(f.new_messages for f in self.folders)
        parts = [f"{msgs:,} new messages in {len(self.folders)} folders -> {self.activities:,} activities"]
        if self.discovered:
            parts.append(f"{self.discovered} new contacts proposed{self.discovery_note}")
        if self.stopped_sequences:
            parts.append(f"{self.stopped_sequences} sequence enrollments ended by replies")
        resent = sum(f.skipped_resend for f in self.folders)
        if resent:
            parts.append(f"{resent} sequence emails already logged by Resend")
        if any(f.resynced for f in self.folders):
            parts.append("resynced after a UIDVALIDITY change: " + ", ".join(
                f"{f.mailbox} {f.folder}" for f in self.folders if f.resynced))
        if self.errors:
            parts.append(f"{len(self.errors)} errors: " + "; ".join(self.errors))
        return "; ".join(parts)


def self_addresses(settings: Settings, boxes: list[Mailbox]) -> set[str]:
    listed = {a.strip().lower() for a in (settings.mail_self or "").split(",") if a.strip()}
    return listed or {b.user.lower() for b in boxes if "@" in b.user}


def blocklist(settings: Settings) -> frozenset[str]:
    return frozenset(a.strip().lower() for a in (settings.mail_blocklist or "").split(",") if a.strip())


def _direction(msg: MailMessage, me: set[str], folder_kind: str) -> str:
    from_me = msg.sender is not None and msg.sender.email in me
    if from_me or folder_kind == "sent":
        return "internal" if all(a.email in me for a in msg.participants) else "outbound"
    return "inbound"


async def sync_mail(store: Any, settings: Settings, *, now: datetime | None = None,
                    progress: Progress | None = None, mailboxes: list[Mailbox] | None = None) -> SyncReport:
    """One sync of every configured mailbox for the store's client."""
    boxes = mailboxes if mailboxes is not None else parse_mailboxes(settings.imap_url)
    now = now or datetime.now(timezone.utc)
    report = SyncReport()
    if not boxes:
        report.errors.append("no mailbox configured (COCKPIT_IMAP_URL)")
        return report
    me = self_addresses(settings, boxes)
    discovered: dict[str, Address] = {}
    for box in boxes:
        try:
            await _sync_box(store, settings, box, me, now, report, discovered, progress)
        except CockpitError as exc:
            report.errors.append(str(exc))
    if discovered and settings.mail_discovery != "off":
        report.discovered, report.discovery_note = await _discover(store, settings, list(discovered.values()))
    return report


async def _sync_box(store: Any, settings: Settings, box: Mailbox, me: set[str], now: datetime, report: SyncReport,
                    discovered: dict[str, Address], progress: Progress | None) -> None:
    session = ImapSession(box, oauth_token=settings.imap_oauth_token)
    await asyncio.to_thread(session.__enter__)
    try:
        folders = await asyncio.to_thread(session.folders)
        for kind, folder in folders.items():
            fr = FolderReport(box.ref, folder)
            report.folders.append(fr)
            uidvalidity, top_uid = await asyncio.to_thread(session.select, folder)
            state = await store.mail.folder_state(box.ref, folder)
            since = (now - timedelta(days=settings.mail_first_sync_days)).date()
            after = 0
            if state is not None and state.uidvalidity == uidvalidity:
                after, since_arg = state.last_uid, None
            else:
                fr.resynced = state is not None
                since_arg = since
            uids = await asyncio.to_thread(session.new_uids, after, since_arg)
            if progress:
                progress(f"{box.ref} {folder}", 0, len(uids))
            last_uid = after
            for start in range(0, len(uids), 500):
                chunk = uids[start:start + 500]
                fetched = await asyncio.to_thread(lambda c=chunk: list(session.fetch(c)))
                fr.fetched += len(fetched)
                await _record(store, settings, box, folder, kind, fetched, me, fr, report, discovered, now)
                last_uid = max([last_uid, *chunk])
                await store.mail.save_folder_state(box.ref, folder, uidvalidity, last_uid, len(fetched), now=now)
                if progress:
                    progress(f"{box.ref} {folder}", start + len(chunk), len(uids))
            if since_arg is not None:
                last_uid = max(last_uid, top_uid)  # older messages were decided by the window: never again
            if not uids or last_uid != (uids[-1] if uids else after):
                await store.mail.save_folder_state(box.ref, folder, uidvalidity, last_uid, 0, now=now)
    finally:
        await asyncio.to_thread(session.__exit__)


async def _record(store: Any, settings: Settings, box: Mailbox, folder: str, kind: str, fetched: list[Any],
                  me: set[str], fr: FolderReport, report: SyncReport, discovered: dict[str, Address],
                  now: datetime) -> None:
    parsed: list[MailMessage] = []
    for f in fetched:
        try:
            parsed.append(parse_message(f.raw, internal_date=f.internal_date, keep_body=settings.mail_store_body))
        except Exception as exc:  # noqa: BLE001 - one unreadable message never stops the sync
            log.warning("%s %s uid %s: unreadable message (%s)", box.ref, folder, f.uid, exc)
            report.errors.append(f"{folder} uid {f.uid}: unreadable message")
    # the same message twice in one batch (Gmail labels) counts once
    unique: dict[str, MailMessage] = {}
    for m in parsed:
        unique.setdefault(m.message_id, m)
    known = await store.mail.known_message_ids(list(unique))
    fresh = [m for mid, m in unique.items() if mid not in known]
    fr.skipped_known += len(parsed) - len(fresh)
    if not fresh:
        return
    directions = {m.message_id: _direction(m, me, kind) for m in fresh}
    # sequence emails Resend sent (and its webhook logged): recognised by recipient + subject + time
    outbound = [m for m in fresh if directions[m.message_id] == "outbound" and m.to]
    resend_idx = await store.mail.sent_by_sequences([(m.to[0].email, m.subject) for m in outbound],
                                                    [m.date for m in outbound])
    resend_ids = {outbound[i].message_id for i in resend_idx}
    emails = sorted({a.email for m in fresh for a in m.participants if a.email not in me})
    contacts = await store.mail.contacts_by_email(emails)
    messages, activities, replies = [], [], set()
    blocked = blocklist(settings)
    for m in fresh:
        direction = directions[m.message_id]
        skip = m.message_id in resend_ids
        fr.skipped_resend += 1 if skip else 0
        count = 0
        if not skip:
            who = [a for a in m.participants if a.email not in me]
            for a in who:
                ref = contacts.get(a.email)
                if ref is None:
                    if (direction == "outbound" or not m.auto_submitted) and is_business(a, blocked=blocked):
                        discovered.setdefault(a.email, a)
                    continue
                count += 1
                activities.append({
                    "occurred_at": m.date, "kind": "email_sent" if direction != "inbound" else "email_received",
                    "direction": direction, "subject": m.subject or "(no subject)", "summary": m.snippet,
                    "contact_id": ref.contact_id, "company_id": ref.company_id, "deal_id": ref.deal_id,
                    "external_id": f"{m.message_id}#{ref.contact_id}",
                    "properties": {"message_id": m.message_id, "thread_id": m.thread_id, "in_reply_to": m.in_reply_to,
                                   "mailbox": box.ref, "folder": folder,
                                   "from": m.sender.email if m.sender else None,
                                   "to": [x.email for x in m.to], "cc": [x.email for x in m.cc],
                                   **({"body": m.body} if settings.mail_store_body and m.body else {})}})
                if direction == "inbound" and not m.auto_submitted and m.sender is not None \
                        and m.sender.email == a.email:
                    replies.add((ref.contact_id, m.date))  # the contact wrote: a reply
        messages.append({"message_id": m.message_id, "thread_id": m.thread_id, "mailbox": box.ref, "folder": folder,
                         "direction": direction, "occurred_at": m.date, "activities": count})
    fr.new_messages += len(fresh)
    fr.activities += await store.mail.record_messages(messages, activities)
    if replies:
        from cockpit.mail.replies import apply_replies

        report.stopped_sequences += await apply_replies(store, sorted(replies, key=str), now=now)


async def _discover(store: Any, settings: Settings, people: list[Address]) -> tuple[int, str]:
    """Propose the discovered participants as contacts through the import path (dedupe, approvals)."""
    from cockpit.imports.service import run_import, stage_import

    known = await store.mail.contacts_by_email([p.email for p in people])
    people = sorted((p for p in people if p.email not in known), key=lambda p: p.email)
    if not people:
        return 0, ""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["First Name", "Last Name", "Email", "Company Domain"])
    for p in people:
        first, _, last = (p.name or "").replace('"', "").partition(" ")
        w.writerow([first, last, p.email, p.domain])
    data = buf.getvalue().encode()
    staged = await stage_import(store, data, f"mail-discovery-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.csv",
                                uploaded_by="arlo:mail-sync")
    result = await run_import(store, staged, review_all=settings.mail_discovery != "auto")
    note = " (committed by the low-risk rule)" if settings.mail_discovery == "auto" else " (waiting in Approvals)"
    companies = result.proposals - len(people)
    return len(people), note if companies <= 0 else note[:-1] + f", with {companies} new companies)"
