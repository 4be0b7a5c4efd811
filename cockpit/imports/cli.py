"""``cockpit import FILE [--yes] [--map COLUMN=FIELD ...] [--sheet NAME] [--country CC]``.

FILE is a CSV (any delimiter or encoding a spreadsheet writes), an XLSX workbook or a vCard file.

The mapping is shown, then confirmed: ``--yes`` accepts it; on a terminal the user is asked (and can map
each unresolved column); with no terminal attached the command never waits for input — it shows the
proposed mapping and stops with a clear error, having stored nothing.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from cockpit.cli import fail, get_settings, main, open_store, run
from cockpit.contracts import CANONICAL_FIELDS, ImportMappingManifest
from cockpit.errors import CockpitError
from cockpit.formatting import counted
from cockpit.imports.mapping import describe, edit_manifest
from cockpit.imports.normalize import region_of
from cockpit.imports.service import ImportReport, preview_manifest, read_file, run_import, stage_import

LONG_IMPORT_ROWS = 5_000
SHOW_PROBLEMS = 100


def _parse_maps(maps: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for m in maps:
        col, sep, field = m.partition("=")
        if not sep or not col.strip():
            fail(f"--map {m!r}: expected COLUMN=FIELD (or COLUMN=ignore)", 2)
        out[col.strip()] = field.strip()
    return out


def _interactive(manifest: ImportMappingManifest, user: str) -> ImportMappingManifest | None:
    """Ask for each unresolved column, then for confirmation. None = the user declined."""
    while True:
        if manifest.unresolved:
            click.echo(f"fields: {', '.join(CANONICAL_FIELDS)}")
        edits = {}
        for m in manifest.unresolved:
            answer = click.prompt(f"map column {m.source_column or '(unnamed)'!r} to (Enter = ignore)",
                                  default="", show_default=False)
            edits[str(m.index)] = answer or "ignore"
        if edits:
            try:
                manifest = edit_manifest(manifest, edits, edited_by=user)
            except Exception as exc:  # a mistyped field: say so and ask again
                click.secho(f"  {exc}", fg="yellow")
                continue
            click.echo("\n".join(describe(manifest)))
        choice = click.prompt("import with this mapping? [y]es / [n]o / [e]dit a column", default="y",
                              type=click.Choice(["y", "n", "e"]), show_choices=False)
        if choice == "y":
            return manifest
        if choice == "n":
            return None
        col = click.prompt("column name or number")
        target = click.prompt("field (or 'ignore')")
        key = str(int(col) - 1) if col.isdigit() else col
        try:
            manifest = edit_manifest(manifest, {key: target}, edited_by=user)
        except Exception as exc:
            click.secho(f"  {exc}", fg="yellow")
        click.echo("\n".join(describe(manifest)))


def _print_report(report: ImportReport) -> None:
    click.echo(report.summary())
    for note in report.notes:
        click.echo(f"  note: {note}")
    for p in report.problems[:SHOW_PROBLEMS]:
        click.secho(f"  {p}", fg="yellow")
    if len(report.problems) > SHOW_PROBLEMS:
        click.echo(f"  … and {len(report.problems) - SHOW_PROBLEMS:,} more problems (kept with batch {report.batch_id})")
    if report.queued:
        click.echo(f"review the {report.queued:,} queued proposals with `cockpit approvals list`")


@main.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--yes", "-y", is_flag=True, help="Accept the proposed column mapping without asking.")
@click.option("--map", "maps", multiple=True, metavar="COLUMN=FIELD",
              help="Map (or ignore) a column before confirming, e.g. --map 'Mail=contact.email'.")
@click.option("--sheet", default=None, metavar="NAME", help="XLSX: the sheet to read (default: the first).")
@click.option("--country", default=None, metavar="CC",
              help="Read phone numbers without a +prefix as this country's (ISO code, e.g. FR), when a row has none.")
@click.pass_context
def import_cmd(ctx: click.Context, file: Path, yes: bool, maps: tuple[str, ...], sheet: str | None,
               country: str | None) -> None:
    """Import contacts and companies from FILE (CSV, XLSX or vCard) as proposals (new records commit; the
    rest wait for approval). A mapping changed with --map is remembered for the next file of that shape."""
    settings = get_settings(ctx)
    edits = _parse_maps(maps)
    if country and region_of(country) is None:
        fail(f"--country {country!r} is not a country — give an ISO code such as FR, or a name such as France", 2)
    user = getpass.getuser() or "cockpit"
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    try:
        data = read_file(file)
    except CockpitError as exc:
        fail(str(exc), 2)
    if not yes and not interactive:
        def preview() -> None:
            manifest = preview_manifest(data, file.name, user=user, sheet=sheet)
            if edits:
                manifest = edit_manifest(manifest, edits, edited_by=user)
            click.echo("\n".join(describe(manifest)), err=True)
        try:
            preview()
        except Exception as exc:  # noqa: BLE001 - the error below is the message that matters
            click.echo(str(exc), err=True)
        fail("no terminal to confirm the column mapping; nothing was imported — "
             "re-run with --yes to accept the mapping above (and --map COLUMN=FIELD to change it)", 2)

    async def body() -> None:
        store = await open_store(settings, source="cockpit")
        try:
            staged = await stage_import(store, data, file.name, uploaded_by=user, sheet=sheet)
            manifest = staged.manifest
            if edits:
                manifest = edit_manifest(manifest, edits, edited_by=user)
            click.echo(f"{file.name}: {counted(staged.batch.row_count, 'row')}, {counted(len(staged.parsed.header), 'column')} "
                       f"({staged.parsed.encoding}); proposed mapping ({manifest.source_profile}):")
            click.echo("\n".join(describe(manifest)))
            if not yes:
                confirmed = _interactive(manifest, user)
                if confirmed is None:
                    click.echo(f"not imported; the file is kept as batch {staged.batch.batch_id}")
                    return
                manifest = confirmed
            report = await _run_with_progress(store, staged, manifest, country)
        finally:
            await store.close()
        _print_report(report)

    run(body, settings)


async def _run_with_progress(store, staged, manifest, country) -> ImportReport:  # type: ignore[no-untyped-def]
    if staged.batch.row_count < LONG_IMPORT_ROWS:
        return await run_import(store, staged, manifest, default_country=country)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True) as bar:
        tasks: dict[str, int] = {}

        def tick(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total or 1)
            bar.update(tasks[phase], completed=done, total=total or 1)

        return await run_import(store, staged, manifest, progress=tick, default_country=country)
