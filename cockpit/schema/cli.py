"""``cockpit schema``: refresh the schema cache and query the relation graph from a shell."""

from __future__ import annotations

import click

from cockpit.cli import get_settings, main, open_store, run


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
        snap = await store.schema.schema_snapshot()
        if snap.refreshed_at is None:
            await store.schema.refresh_schema_cache()
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
            click.echo(("shortest" if i == 0 else f"alternative {i}") + ":")
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
