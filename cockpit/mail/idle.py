"""IMAP IDLE between syncs: a watcher per mailbox holds its Inbox in IDLE and, the moment the server
reports new mail, files a ``mail_sync`` task and wakes arlo's worker, so a reply reaches the CRM in
seconds instead of at the next timer. A server without IDLE leaves the timer alone in charge.

IDLE runs in a worker thread (IMAPClient is synchronous) in short rounds, so a stop request is honoured
within one round; a dropped connection is retried with a pause.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from cockpit.config import Settings
from cockpit.errors import CockpitError
from cockpit.mail.imap import ImapSession, Mailbox, parse_mailboxes
from cockpit.mail.task import MAIL_SYNC, sync_client

log = logging.getLogger("cockpit.mail")
ROUND_SECONDS = 15.0
RETRY_SECONDS = 60.0


async def idle_loop(arlo: Any, settings: Settings, stop: asyncio.Event) -> None:
    """Watch every configured mailbox until ``stop`` is set (returns at once when IDLE does not apply)."""
    client = sync_client(settings)
    if not (settings.imap_url and settings.mail_idle and client):
        return
    try:
        boxes = parse_mailboxes(settings.imap_url)
    except CockpitError:
        return  # doctor and the sync task report a bad COCKPIT_IMAP_URL
    await asyncio.gather(*(_watch(arlo, settings, box, client, stop) for box in boxes))


async def _watch(arlo: Any, settings: Settings, box: Mailbox, client: str, stop: asyncio.Event) -> None:
    while not stop.is_set():
        session = ImapSession(box, oauth_token=settings.imap_oauth_token)
        try:
            await asyncio.to_thread(session.__enter__)
            if not await asyncio.to_thread(session.has_idle):
                log.info("%s offers no IDLE: mail syncs on the timer only", box.ref)
                return
            await asyncio.to_thread(session.select, "INBOX")
            while not stop.is_set():
                if await asyncio.to_thread(session.idle, ROUND_SECONDS):
                    await arlo.store.tasks.create_task(MAIL_SYNC, client_id=client, brief="new mail (IMAP IDLE)",
                                                 params={}, created_by="arlo")
                    arlo.wake()
        except (CockpitError, OSError) as exc:
            log.warning("%s: IDLE watcher stopped (%s); retrying in %.0f s", box.ref, exc, RETRY_SECONDS)
        except Exception:  # noqa: BLE001 - the watcher never takes arlo down
            log.exception("%s: IDLE watcher", box.ref)
        finally:
            await asyncio.to_thread(session.__exit__)
        try:
            await asyncio.wait_for(stop.wait(), timeout=RETRY_SECONDS)
        except TimeoutError:
            pass
