"""``cockpit client login CLIENT``: a database login held to one client by the database itself."""

from __future__ import annotations

import click
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from cockpit.cli import get_settings, main, open_store, run
from cockpit.store.logins import POWERS


@main.group("client")
def client_group() -> None:
    """Clients: database logins bound to one client."""


@client_group.command("login")
@click.argument("client_id")
@click.option("--power", "powers", multiple=True, type=click.Choice(list(POWERS)),
              help="What the login may do (repeatable; default readonly): read, write operational fields "
                   "(arlo's), write strategic fields (Justin's).")
@click.option("--name", "login", help="Login name (default rk_<client>).")
@click.pass_context
def client_login(ctx: click.Context, client_id: str, powers: tuple[str, ...], login: str | None) -> None:
    """Create the login bound to CLIENT_ID, or rotate its password; the password is printed once."""
    settings = get_settings(ctx)

    async def body() -> None:
        store = await open_store(settings, client_id="")
        try:
            made = await store.logins.create_or_rotate(client_id, powers or ("readonly",), login=login)
            url = store.db.pool.conninfo
        finally:
            await store.close()
        state = "created" if made.created else "password rotated"
        click.echo(f"login {made.login} for client {made.client_id} ({', '.join(made.powers)}): {state}")
        click.echo(f"password (shown once, stored nowhere): {made.password}")
        params = {k: v for k, v in conninfo_to_dict(url).items() if k in ("host", "port", "dbname", "sslmode")}
        click.echo("connect with: " + make_conninfo(**params, user=made.login))  # type: ignore[arg-type]
        click.echo("whatever it sets in redkey.client_id, this login sees and writes only "
                   f"{made.client_id}'s data")

    run(body, settings)
