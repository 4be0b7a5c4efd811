"""``cockpit intake FILE.json``: meeting notes (or a QdSignalBundle) from a file."""

from __future__ import annotations

from pathlib import Path

import click

from cockpit.cli import fail, get_settings, main, open_store, run
from cockpit.webhooks.validate import BadJson, loads, nul_path


@main.command("intake")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_context
def intake_cmd(ctx: click.Context, file: Path) -> None:
    """Attach meeting notes (an InteractionBundle JSON, with optional transcripts) to their contact/deal,
    or record a QdSignalBundle for its contact."""
    settings = get_settings(ctx)
    try:
        data = loads(file.read_bytes())
    except FileNotFoundError:
        fail(f"no such file: {file}", 2)
    except IsADirectoryError:
        fail(f"{file} is a directory, not a JSON file", 2)
    except BadJson as exc:
        fail(f"{file.name}: {exc}", 2)
    where = nul_path(data)
    if where:
        fail(f"{file.name}: {where} contains a NUL character", 2)

    async def body() -> None:
        from cockpit.intake.service import intake, record_signal

        store = await open_store(settings, source="quill")
        try:
            if isinstance(data, dict) and data.get("artifact_type") == "QdSignalBundle":
                signal, stored = await record_signal(store, data)
                click.echo(f"signal {signal.score_type}={signal.value} "
                           + ("recorded" if stored else "already recorded"))
                return
            r = await intake(store, data)
        finally:
            await store.close()
        state = "already recorded" if r.duplicate else "recorded"
        click.echo(f"{r.bundle_id}: {state} on contact {r.contact_id}"
                   + (f", deal {r.deal_id}" if r.deal_id else "") + f"; {len(r.next_steps)} next step(s)")
        for s in r.next_steps:
            click.echo(f"  - {s}")

    run(body, settings)
