"""What ``cockpit doctor`` says about mail and calendar sync: the configuration, with every secret left out."""

from __future__ import annotations

from cockpit.config import Settings
from cockpit.errors import CockpitError


def sync_config_line(settings: Settings) -> tuple[bool, str]:
    from cockpit.calendar.sync import _redacted
    from cockpit.mail.imap import parse_mailboxes
    from cockpit.mail.task import sync_client

    parts: list[str] = []
    ok = True
    try:
        boxes = parse_mailboxes(settings.imap_url)
    except CockpitError as exc:
        return False, str(exc)
    if boxes:
        auth = "XOAUTH2" if settings.imap_oauth_token else "password"
        parts.append("mail: " + ", ".join(f"{'imaps' if b.tls else 'imap'}://{b.ref}" for b in boxes)
                     + f" ({auth}, every {settings.mail_sync_interval_seconds:g} s, discovery {settings.mail_discovery})")
    if settings.caldav_url:
        parts.append(f"CalDAV: {_redacted(settings.caldav_url)}")
    ics = [u for u in (settings.ics_urls or "").split(",") if u.strip()]
    if ics:
        parts.append(f"{len(ics)} ICS subscription(s)")
    if not parts:
        return True, "mail and calendar sync off (set COCKPIT_IMAP_URL, COCKPIT_CALDAV_URL or COCKPIT_ICS_URLS)"
    if not sync_client(settings):
        ok = False
        parts.append("no client for them — set COCKPIT_MAIL_CLIENT")
    else:
        parts.append(f"for client {sync_client(settings)}")
    return ok, "; ".join(parts)
