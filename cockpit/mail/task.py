"""Mail and calendar sync as arlo task types (``mail_sync``, ``calendar_sync``), created by the engine's
timers for the client the mailboxes and calendars belong to (``COCKPIT_MAIL_CLIENT``, default the
session's client) whenever they are configured."""

from __future__ import annotations

from typing import Any

from cockpit.config import Settings

MAIL_SYNC = "mail_sync"
CALENDAR_SYNC = "calendar_sync"


def sync_client(settings: Settings) -> str | None:
    return settings.mail_client or settings.client_id


def periodic(settings: Settings, client_id: str | None = None) -> dict[str, float]:
    """The sync timers that apply to ``client_id``: what is configured, for the client it belongs to."""
    out: dict[str, float] = {}
    owner = sync_client(settings)
    if client_id is not None and owner is not None and client_id != owner:
        return out
    if settings.imap_url:
        out[MAIL_SYNC] = settings.mail_sync_interval_seconds
    if settings.caldav_url or settings.ics_urls:
        out[CALENDAR_SYNC] = settings.calendar_sync_interval_seconds
    return out


def _not_this_client(ctx: Any) -> dict[str, Any] | None:
    owner = sync_client(ctx.settings)
    if owner and ctx.store.client_id != owner:
        return {"summary": f"the configured mailboxes and calendars belong to {owner}; nothing to do here"}
    return None


async def run_mail_sync(ctx: Any) -> dict[str, Any]:
    from cockpit.mail.sync import sync_mail

    if (skip := _not_this_client(ctx)) is not None:
        return skip
    report = await sync_mail(ctx.store, ctx.settings, now=ctx.now())
    return {"summary": report.summary(), "activities": report.activities, "discovered": report.discovered,
            "errors": report.errors}


async def run_calendar_sync(ctx: Any) -> dict[str, Any]:
    from cockpit.calendar.sync import sync_calendars

    if (skip := _not_this_client(ctx)) is not None:
        return skip
    report = await sync_calendars(ctx.store, ctx.settings, now=ctx.now())
    return {"summary": report.summary(), "activities": report.created, "errors": report.errors}


def _register() -> None:
    from cockpit.arlo.registry import register

    register(MAIL_SYNC, run_mail_sync)
    register(CALENDAR_SYNC, run_calendar_sync)


_register()
