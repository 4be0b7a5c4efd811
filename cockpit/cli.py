"""The ``cockpit`` command: the TUI by default, plus migrate, demo, doctor and workspace management.

Every command reports failure as one line (``error: what — what to do``) and a non-zero exit code; no
traceback reaches the user. Unexpected exceptions go to the error log (:mod:`cockpit.errorlog`).
Features add their subcommands with ``@main.command()`` in their own module, registered by command
name in :data:`EXTENSIONS` and imported only when one of them runs, so starting the CLI stays cheap.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from cockpit import collector
from cockpit.config import Settings, load_settings
from cockpit.errorlog import record_exception
from cockpit.errors import CockpitError

T = TypeVar("T")

# The subcommands feature modules add (``@main.command()`` in their own module), by name: a module is
# imported when one of its commands runs or ``--help`` lists them all, never to start the cockpit.
EXTENSIONS: dict[str, str] = {
    "schema": "cockpit.schema.cli",
    "import": "cockpit.imports.cli",
    "export": "cockpit.export.cli",
    "intake": "cockpit.intake.cli",
    "approvals": "cockpit.approvals.cli",
    "arlo": "cockpit.arlo.cli",
    "tell": "cockpit.arlo.cli",
    "undo": "cockpit.arlo.cli",
    "task": "cockpit.arlo.cli",
    "sequences": "cockpit.sequences.cli",
    "webhooks": "cockpit.webhooks.cli",
    "client": "cockpit.logins.cli",
    "mail": "cockpit.mail.cli",
    "calendar": "cockpit.mail.cli",
    "work": "cockpit.work.cli",
    "coverage": "cockpit.coverage.cli",
}


class LazyGroup(click.Group):
    """The ``cockpit`` group: a feature's subcommands are imported on first use (see EXTENSIONS)."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in EXTENSIONS:
            importlib.import_module(EXTENSIONS[cmd_name])
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        _load_extensions()
        return super().list_commands(ctx)


def fail(message: str, code: int = 1) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


def run(coro_fn: Callable[[], Awaitable[T]], settings: Settings | None = None) -> T:
    """Run an async command body; CockpitErrors become one red line, anything else is logged."""
    try:
        return asyncio.run(coro_fn())  # type: ignore[arg-type]
    except CockpitError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except Exception as exc:  # noqa: BLE001 - last line of defence: no tracebacks for users
        path = record_exception(exc, settings.data_dir if settings else None)
        where = f" (details in {path})" if path else ""
        fail(f"unexpected {type(exc).__name__}: {exc}{where}")
    raise AssertionError("unreachable")


def get_settings(ctx: click.Context) -> Settings:
    settings = ctx.obj.get("settings") if ctx.obj else None
    if settings is None:
        try:
            settings = load_settings()
        except CockpitError as exc:
            fail(str(exc), 2)
        ctx.ensure_object(dict)["settings"] = settings
    return settings  # type: ignore[return-value]


async def open_conn(settings: Settings):  # type: ignore[no-untyped-def]
    """One autocommit connection to the configured (or embedded) database."""
    from cockpit.db.connect import connect, resolve_url

    url = await asyncio.to_thread(resolve_url, settings)
    return await connect(url, settings)


async def migration_url(settings: Settings) -> str:
    """Where migrations run: ``COCKPIT_MIGRATION_DATABASE_URL`` when set, else the main database unless it
    is a transaction pooler (a migration there may meet another backend between statements)."""
    from cockpit.db.connect import connection_mode, redact, resolve_url
    from cockpit.errors import MigrationError

    if settings.migration_database_url:
        return settings.migration_database_url
    url = await asyncio.to_thread(resolve_url, settings)
    mode = await connection_mode(url, settings)
    if mode.transaction:
        raise MigrationError(
            f"migrations do not run through a transaction pooler ({redact(url)}: {mode.how})",
            "set COCKPIT_MIGRATION_DATABASE_URL to the direct URL (db.<ref>.supabase.co:5432) or the session "
            "pooler's (port 5432)")
    return url


async def open_migration_conn(settings: Settings):  # type: ignore[no-untyped-def]
    """One autocommit connection where migrations may run (see :func:`migration_url`)."""
    from cockpit.db.connect import connect

    return await connect(await migration_url(settings), settings)


async def ensure_migrated(settings: Settings, url: str) -> None:
    """Apply pending migrations before a command. Through a transaction pooler with no migration URL,
    an up-to-date database is fine and a pending migration is refused with the URL to use."""
    from cockpit.db.connect import connect, connection_mode
    from cockpit.db.migrate import migrate, status

    if not settings.migration_database_url:
        conn = await connect(url, settings)  # its first connection also tells the connection mode
        try:
            if not (await connection_mode(url, settings)).transaction:
                await migrate(conn)  # the main database is where migrations run (see migration_url)
                return
            st = await status(conn)
        finally:
            await conn.close()
        if not st.pending and not st.edited:
            return
    conn = await open_migration_conn(settings)
    try:
        await migrate(conn)
    finally:
        await conn.close()


async def open_store(settings: Settings, *, client_id: str | None = None, migrate_first: bool = True,
                     source: str = "cockpit"):  # type: ignore[no-untyped-def]
    """A migrated store scoped to ``client_id`` (default: COCKPIT_CLIENT_ID)."""
    from cockpit.db.connect import resolve_url
    from cockpit.store import Store

    url = await asyncio.to_thread(resolve_url, settings)
    if migrate_first:
        await ensure_migrated(settings, url)
    # the migrations' connection to the main database just proved the URL: no check connection again
    reached = migrate_first and not settings.migration_database_url
    return await Store.open(settings, url=url, client_id=client_id, source=source, reached=reached)


@click.group(cls=LazyGroup, invoke_without_command=True)
@click.option("--client", "client_id", help="Client to scope this session to (overrides COCKPIT_CLIENT_ID).")
@click.pass_context
def main(ctx: click.Context, client_id: str | None) -> None:
    """RedKey Cockpit: the CRM in your terminal, with arlo doing the operational work."""
    ctx.ensure_object(dict)
    if ctx.invoked_subcommand is not None:  # the terminal session resumes it after its first paint
        collector.resume()
    if ctx.invoked_subcommand == "doctor":  # doctor reports a bad configuration as its first line
        ctx.obj["client_override"] = client_id
        return
    settings = get_settings(ctx)
    if client_id:
        settings.client_id = client_id
    if ctx.invoked_subcommand is None:
        from cockpit.errorlog import tui_logging
        from cockpit.head_start import HeadStart

        with tui_logging(settings.data_dir):  # what the head start logs goes where the TUI's records go
            head_start = HeadStart.begin(settings)  # the database's start-up, while Textual is imported
            from cockpit.app import run_app

            run_app(settings, head_start)


@main.command("migrate")
@click.pass_context
def migrate_cmd(ctx: click.Context) -> None:
    """Apply pending migrations and regenerate the stable views."""
    settings = get_settings(ctx)

    async def body() -> None:
        from cockpit.db.migrate import migrate

        conn = await open_migration_conn(settings)
        try:
            applied = await migrate(conn)
        finally:
            await conn.close()
        click.echo(f"applied {len(applied)} migration(s): {', '.join(applied)}" if applied
                   else "database is up to date")

    run(body, settings)


@main.command("demo")
@click.option("--deals", default=240, show_default=True, type=click.IntRange(min=0), help="BezelIQ deals.")
@click.option("--contacts", default=1200, show_default=True, type=click.IntRange(min=0), help="BezelIQ contacts.")
@click.option("--seed", default=7, show_default=True, type=int, help="Random seed (same seed, same data).")
@click.option("--if-empty", is_flag=True, help="Only load demo data when no client exists yet.")
@click.pass_context
def demo_cmd(ctx: click.Context, deals: int, contacts: int, seed: int, if_empty: bool) -> None:
    """Reset the database and load deterministic demo data (two clients)."""
    settings = get_settings(ctx)

    async def body() -> None:
        from cockpit.db.migrate import migrate
        from cockpit.demo import has_data, seed_demo

        conn = await open_migration_conn(settings)  # the demo resets and migrates the database
        try:
            if if_empty:
                await migrate(conn)
                if await has_data(conn):
                    click.echo("demo: database already has data; leaving it as it is")
                    return
            stats = await seed_demo(conn, deals=deals, contacts=contacts, seed=seed,
                                    progress=lambda m: click.echo(f"  {m}"))
        finally:
            await conn.close()
        click.echo(f"demo data loaded in {stats.seconds:.1f}s: {stats.clients} clients, {stats.companies:,} "
                   f"companies, {stats.contacts:,} contacts, {stats.deals:,} deals, {stats.activities:,} activities")
        if not settings.client_id:
            click.echo("tip: COCKPIT_CLIENT_ID=bezeliq scopes the cockpit to BezelIQ (it is the default pick)")

    run(body, settings)


@main.command("doctor")
@click.pass_context
def doctor_cmd(ctx: click.Context) -> None:
    """Check configuration, database, migrations and client scope: one line each."""
    try:
        settings = load_settings()
    except CockpitError as exc:
        click.echo(f"config      FAIL  {exc}")
        sys.exit(1)
    if ctx.obj and ctx.obj.get("client_override"):
        settings.client_id = ctx.obj["client_override"]
    from cockpit.doctor import run_doctor

    ok = run(lambda: run_doctor(settings, click.echo), settings)
    sys.exit(0 if ok else 1)


@main.group("workspace")
def workspace_group() -> None:
    """Register Twenty workspace schemas for clients."""


@workspace_group.command("add")
@click.argument("schema")
@click.option("--client", "client_id", required=True, help="Client id the workspace belongs to (e.g. bezeliq).")
@click.option("--label", help="Human name of the client (e.g. 'BezelIQ').")
@click.pass_context
def workspace_add(ctx: click.Context, schema: str, client_id: str, label: str | None) -> None:
    """Register an existing Twenty workspace SCHEMA for a client and regenerate the views over it."""
    settings = get_settings(ctx)

    async def body() -> None:
        store = await open_store(settings)
        try:
            info = await store.admin.register_workspace(schema, client_id, label=label)
        finally:
            await store.close()
        click.echo(f"registered {info.schema_name} for {info.client_name} ({info.client_id}); views regenerated")

    run(body, settings)


@workspace_group.command("remove")
@click.argument("schema")
@click.pass_context
def workspace_remove(ctx: click.Context, schema: str) -> None:
    """Unregister workspace SCHEMA: the views stop reading it and its client's generated objects are
    cleaned up (Twenty's tables and the client's RedKey data stay)."""
    settings = get_settings(ctx)

    async def body() -> None:
        store = await open_store(settings)
        try:
            client = await store.workspace_registry.remove(schema)
        finally:
            await store.close()
        click.echo(f"removed {schema} (client {client}); views regenerated")

    run(body, settings)


@workspace_group.command("list")
@click.pass_context
def workspace_list(ctx: click.Context) -> None:
    """List registered workspaces."""
    settings = get_settings(ctx)

    async def body() -> None:
        store = await open_store(settings)
        try:
            rows = await store.admin.workspaces()
        finally:
            await store.close()
        if not rows:
            click.echo("no workspaces registered: `cockpit workspace add SCHEMA --client ID` or `cockpit demo`")
            return
        for w in rows:
            kind = "fixture" if w.is_fixture else "twenty"
            click.echo(f"{w.schema_name:<40} {w.client_id:<16} {w.client_name:<24} {kind}")

    run(body, settings)


def _load_extensions() -> None:
    for name in dict.fromkeys(EXTENSIONS.values()):
        importlib.import_module(name)


def entry(argv: list[str] | None = None) -> Any:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return main.main(args=argv, prog_name="cockpit")


if __name__ == "__main__":  # pragma: no cover
    entry()
