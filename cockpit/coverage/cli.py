"""``cockpit coverage [--days N] [--json]``: what still depends on Twenty, from the data."""

from __future__ import annotations

import json
import sys

import click

from cockpit.cli import get_settings, main, open_store, run


@main.command("coverage")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 3650),
              help="How far back writes count.")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON (for scripts).")
@click.pass_context
def coverage_cmd(ctx: click.Context, days: int, as_json: bool) -> None:
    """For each thing Twenty does: whether the cockpit covers it and who did the work in the last DAYS
    days (Twenty vs the cockpit and arlo); ends with the verdict. Exit 0 when Twenty can be switched
    off, 3 when something still depends on it."""
    settings = get_settings(ctx)

    async def body():  # type: ignore[no-untyped-def]
        from cockpit.coverage.report import coverage
        from cockpit.errors import ValidationFailed

        store = await open_store(settings)
        try:
            client = store.db.require_scope()
            if await store.admin.client(client) is None:
                known = ", ".join(c.client_id for c in await store.admin.clients()) or "none yet"
                raise ValidationFailed(f"unknown client {client!r}", f"pass --client with one of: {known}")
            return await coverage(store, settings, days=days)
        finally:
            await store.close()

    report = run(body, settings)
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2, default=str))
    else:
        from cockpit.coverage.text import render

        click.echo(render(report))
    sys.exit(0 if report.can_switch_off else 3)
