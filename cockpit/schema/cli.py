"""``cockpit schema``: refresh the schema cache, query the relation graph, and publish it (diagrams,
documentation folders, snapshots and their diff) from a shell."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cockpit.cli import fail, get_settings, main, open_store, run


@main.group("schema")
def schema_group() -> None:
    """Schema explorer from the shell: refresh the cache, neighbourhoods, join paths, lint."""


@schema_group.command("refresh")
@click.pass_context
def refresh_cmd(ctx: click.Context) -> None:
    """Re-read pg_catalog into redkey.system_schema_cache (what the explorer shows)."""
    settings = get_settings(ctx)

    async def body() -> None:
        store = await open_store(settings)
        try:
            res = await store.schema.refresh_schema_cache()
        finally:
            await store.close()
        click.echo(f"schema cache refreshed in {res.duration_ms:.0f} ms: {res.relations:,} relations, "
                   f"{res.columns:,} column rows, {res.foreign_keys:,} foreign keys")

    run(body, settings)


async def _graph(settings, include_system: bool):  # type: ignore[no-untyped-def]
    from cockpit.schema.graph import SchemaGraph

    store = await open_store(settings)
    try:
        await store.schema.ensure_fresh()
        snap = await store.schema.schema_snapshot()
    finally:
        await store.close()
    return SchemaGraph(snap, include_system=include_system)


@schema_group.command("show")
@click.argument("table")
@click.option("--radius", default=1, type=click.IntRange(1, 3), show_default=True)
@click.option("--system", "include_system", is_flag=True, help="Include system schemas.")
@click.pass_context
def show_cmd(ctx: click.Context, table: str, radius: int, include_system: bool) -> None:
    """Draw TABLE's FK neighbourhood (incoming and outgoing)."""
    settings = get_settings(ctx)

    async def body() -> None:
        from cockpit.schema.render import render_neighbourhood

        graph = await _graph(settings, include_system)
        for line in render_neighbourhood(graph, graph.neighbourhood(table, radius)):
            click.echo(line)

    run(body, settings)


@schema_group.command("path")
@click.argument("source")
@click.argument("target")
@click.option("--alternatives", default=3, type=click.IntRange(0, 20), show_default=True)
@click.option("--system", "include_system", is_flag=True, help="Include system schemas.")
@click.pass_context
def path_cmd(ctx: click.Context, source: str, target: str, alternatives: int, include_system: bool) -> None:
    """The join path between SOURCE and TARGET: shortest first, then alternatives."""
    settings = get_settings(ctx)

    async def body() -> None:
        from cockpit.schema.render import render_path

        graph = await _graph(settings, include_system)
        for i, path in enumerate(graph.join_paths(source, target, k=alternatives + 1)):
            click.echo(("-- shortest" if i == 0 else f"-- alternative {i}") + ":")
            for line in render_path(path):
                click.echo("  " + line)

    run(body, settings)


@schema_group.command("lint")
@click.option("--system", "include_system", is_flag=True, help="Include system schemas.")
@click.pass_context
def lint_cmd(ctx: click.Context, include_system: bool) -> None:
    """Orphan tables, FK cycles and FKs without a covering index."""
    settings = get_settings(ctx)

    async def body() -> None:
        graph = await _graph(settings, include_system)
        orphans, cycles, unindexed = graph.orphans(), graph.cycles(), graph.unindexed_fks()
        click.echo(f"orphan tables ({len(orphans)}): " + (", ".join(orphans) or "none"))
        click.echo(f"FK cycles ({len(cycles)}):")
        for cyc in cycles:
            click.echo("  " + " → ".join(cyc + cyc[:1]))
        click.echo(f"FKs without a covering index ({len(unindexed)}):")
        for fk in unindexed:
            click.echo(f"  {fk.source}: {fk.label()} → {fk.target}")

    run(body, settings)


@schema_group.command("diagram")
@click.argument("table", required=False)
@click.option("--radius", default=1, type=click.IntRange(1, 3), show_default=True,
              help="Hops around TABLE (with a table).")
@click.option("--group", "group", help="Draw one group of the explorer (e.g. 'CRM views').")
@click.option("--format", "fmt", type=click.Choice(["svg", "png", "dot", "mermaid"]),
              help="Default: from -o's suffix (.svg .png .dot .mmd), else mermaid to standard output.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write here (default: stdout).")
@click.option("--system", "include_system", is_flag=True, help="Include system schemas.")
@click.pass_context
def diagram_cmd(ctx: click.Context, table: str | None, radius: int, group: str | None, fmt: str | None,
                output: Path | None, include_system: bool) -> None:
    """An ER diagram of TABLE's neighbourhood, a --group, or the whole schema (Graphviz or Mermaid)."""
    settings = get_settings(ctx)

    async def body() -> None:
        from cockpit.schema import publish

        kind = publish.format_for(fmt, output)
        if kind == "png" and output is None and sys.stdout.isatty():
            fail("a PNG would be written to the terminal; give -o FILE.png", 2)
        store = await open_store(settings)
        try:
            cat, sel, title = await publish.diagram_catalog(store, table=table, radius=radius, group=group,
                                                            include_system=include_system)
        finally:
            await store.close()
        data = publish.diagram_bytes(cat, sel, kind, title)
        if output is None:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            output.write_bytes(data)
            click.echo(f"{output}: {kind}, {len(sel.tables)} relations, {len(sel.edges)} foreign keys"
                       + (f", {len(sel.stubs)} stubs" if sel.stubs else ""), err=True)

    run(body, settings)


@schema_group.command("doc")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="The documentation folder (created; an earlier run's files are replaced).")
@click.option("--svg", is_flag=True, help="Also render each table's neighbourhood as SVG with Graphviz (slower).")
@click.option("--system", "include_system", is_flag=True, help="Include system schemas.")
@click.pass_context
def doc_cmd(ctx: click.Context, output: Path, svg: bool, include_system: bool) -> None:
    """Write browsable Markdown documentation of the schema (one page per table, an index per group, lint)."""
    settings = get_settings(ctx)

    async def body() -> None:
        from cockpit.schema import publish

        if svg:
            from cockpit.schema.diagram import render
            render("digraph{}", "svg")  # fail early and clearly when Graphviz is missing
        store = await open_store(settings)
        try:
            with click.progressbar(length=1, label="writing pages", file=sys.stderr) as bar:
                def progress(done: int, total: int) -> None:
                    bar.length = total
                    bar.update(done - bar.pos)
                res = await publish.write_doc_folder(store, output, include_system=include_system, svg=svg,
                                                     rules_text=settings.schema_groups, progress=progress)
        finally:
            await store.close()
        click.echo(f"{res.folder}: {res.tables} tables in {res.groups} groups, {res.files} files "
                   f"(open {res.folder / 'README.md'})")

    run(body, settings)


@schema_group.command("snapshot")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--system", "include_system", is_flag=True, help="Include system schemas.")
@click.pass_context
def snapshot_cmd(ctx: click.Context, output: Path, include_system: bool) -> None:
    """Save the schema cache as a JSON snapshot (for `cockpit schema diff`)."""
    settings = get_settings(ctx)

    async def body() -> None:
        from cockpit.schema import publish, snapshot

        store = await open_store(settings)
        try:
            doc = await publish.live_snapshot(store, include_system=include_system)
        finally:
            await store.close()
        output.write_text(snapshot.dumps(doc), encoding="utf-8")
        click.echo(f"{output}: {len(doc['tables'])} relations")

    run(body, settings)


@schema_group.command("diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path), required=False)
@click.option("--exit-code", is_flag=True, help="Exit 1 when there are differences.")
@click.option("--system", "include_system", is_flag=True, help="Include system schemas (live cache only).")
@click.pass_context
def diff_cmd(ctx: click.Context, old: Path, new: Path | None, exit_code: bool, include_system: bool) -> None:
    """What changed between two snapshots or doc folders (NEW defaults to the live schema cache)."""
    settings = get_settings(ctx)

    async def body() -> int:
        from cockpit.schema import publish, snapshot

        before = snapshot.load(old)
        if new is not None:
            after = snapshot.load(new)
        else:
            store = await open_store(settings)
            try:
                await store.schema.refresh_schema_cache()
                after = await publish.live_snapshot(store, include_system=include_system)
            finally:
                await store.close()
        d = snapshot.diff(before, after)
        for line in d.lines():
            click.echo(line)
        return 1 if (exit_code and not d.empty) else 0

    code = run(body, settings)
    if code:
        sys.exit(code)
