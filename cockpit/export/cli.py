"""``cockpit export contacts|companies|deals [--format csv|xlsx] [--filter ...] [-o FILE]``."""

from __future__ import annotations

from pathlib import Path

import click

from cockpit.cli import get_settings, main, open_store, run
from cockpit.export.models import ENTITIES
from cockpit.export.service import FORMATS, export_to_file


@main.command("export")
@click.argument("entity", type=click.Choice(list(ENTITIES)))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="csv (default, or from the -o file's extension) or xlsx.")
@click.option("--filter", "filters", multiple=True, metavar="COLUMN=VALUE",
              help="Only rows where COLUMN=VALUE (also !=, ~ contains, >, <); repeat to combine.")
@click.option("--search", default=None, metavar="TEXT",
              help="Only what the screen's search shows for TEXT (contacts, companies: full-text; deals: name contains).")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="File to write (default: ENTITY-CLIENT-DATE.csv here; '-' = standard output).")
@click.pass_context
def export_cmd(ctx: click.Context, entity: str, fmt: str | None, filters: tuple[str, ...], search: str | None,
               output: Path | None) -> None:
    """Export the client's ENTITY with every column of its view (strategic/operational labelled),
    spreadsheet-safe (cells that would run as formulas are neutralised)."""
    settings = get_settings(ctx)
    if fmt is None:
        fmt = "xlsx" if output is not None and output.suffix.lower() == ".xlsx" else "csv"

    async def body() -> None:
        store = await open_store(settings, source="cockpit-export")
        try:
            result = await export_to_file(store, entity, fmt=fmt, filters=filters, path=output, search=search)
        finally:
            await store.close()
        click.echo(result.summary(), err=result.path == "-")

    run(body, settings)
