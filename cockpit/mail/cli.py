"""``cockpit mail sync`` and ``cockpit calendar sync``: one sync now, with progress, for the client the
mailboxes and calendars belong to (``--client``, ``COCKPIT_MAIL_CLIENT`` or ``COCKPIT_CLIENT_ID``)."""

from __future__ import annotations

import sys

import click

from cockpit.cli import fail, get_settings, main, open_store, run


def _client(settings) -> str:  # type: ignore[no-untyped-def]
    from cockpit.mail.task import sync_client

    client = sync_client(settings)
    if not client:
        fail("which client do the mailboxes belong to? set COCKPIT_MAIL_CLIENT (or pass --client)", 2)
    return str(client)


@main.group("mail")
def mail_group() -> None:
    """Mail sync over IMAP (Inbox and Sent become email activities; new business contacts are proposed)."""


@mail_group.command("sync")
@click.option("--since-days", type=click.IntRange(1, 3650), help="First-sync window (default COCKPIT_MAIL_FIRST_SYNC_DAYS).")
@click.pass_context
def mail_sync_cmd(ctx: click.Context, since_days: int | None) -> None:
    """Read every configured mailbox once: new messages since the last sync."""
    settings = get_settings(ctx)
    if not settings.imap_url:
        fail("no mailbox configured: set COCKPIT_IMAP_URL=imaps://user:app-password@imap.example.com", 2)
    if since_days:
        settings = settings.model_copy(update={"mail_first_sync_days": since_days})

    async def body() -> int:
        from cockpit.mail.sync import sync_mail

        store = await open_store(settings, client_id=_client(settings), source="arlo")
        bars: dict[str, object] = {}
        try:
            def progress(what: str, done: int, total: int) -> None:
                if total == 0:
                    return
                bar = bars.get(what)
                if bar is None:
                    bar = bars[what] = click.progressbar(length=total, label=what, file=sys.stderr)
                    bar.__enter__()  # type: ignore[attr-defined]
                bar.update(done - bar.pos)  # type: ignore[attr-defined]
                if done >= total:
                    bar.__exit__(None, None, None)  # type: ignore[attr-defined]

            report = await sync_mail(store, settings, progress=progress)
        finally:
            await store.close()
        click.echo(report.summary())
        return 1 if report.errors and not report.activities else 0

    code = run(body, settings)
    if code:
        sys.exit(code)


@main.group("calendar")
def calendar_group() -> None:
    """Calendar sync over CalDAV and ICS (events with contacts become meeting activities)."""


@calendar_group.command("sync")
@click.pass_context
def calendar_sync_cmd(ctx: click.Context) -> None:
    """Read every configured calendar once: meetings in the window, moves and cancellations applied."""
    settings = get_settings(ctx)
    if not (settings.caldav_url or settings.ics_urls):
        fail("no calendar configured: set COCKPIT_CALDAV_URL or COCKPIT_ICS_URLS", 2)

    async def body() -> int:
        from cockpit.calendar.sync import sync_calendars

        store = await open_store(settings, client_id=_client(settings), source="arlo")
        try:
            report = await sync_calendars(store, settings)
        finally:
            await store.close()
        click.echo(report.summary())
        return 1 if report.errors and not (report.created or report.updated) else 0

    code = run(body, settings)
    if code:
        sys.exit(code)
