"""``cockpit sequences ...``: list, show, create, enroll, pause, resume, unenroll, step, outbox."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from uuid import UUID

import click

from cockpit.cli import get_settings, main, open_store, run
from cockpit.errors import ValidationFailed


def _uuid(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise ValidationFailed(f"{what} must be an id (a UUID), got {value!r}") from None


@main.group("sequences")
def sequences_group() -> None:
    """Email sequences: definitions, enrollments, and the sequence step."""


@sequences_group.command("list")
@click.pass_context
def seq_list(ctx: click.Context) -> None:
    """Sequences with enrollment counts per step and status."""
    settings = get_settings(ctx)

    async def body() -> None:
        store = await open_store(settings)
        try:
            seqs = await store.sequences.sequences()
            overview = await store.sequences.sequence_overview()
            outbox = await store.sequences.outbox_counts()
        finally:
            await store.close()
        if not seqs:
            click.echo("no sequences yet: `cockpit sequences create NAME --steps steps.json`")
            return
        for s in seqs:
            state = "active" if s.is_active else "paused"
            click.echo(f"{s.name}  ({len(s.steps)} steps, {state}, id {s.id})")
            for c in (c for c in overview if c.sequence_id == s.id):
                label = f"step {c.step + 1}" if c.step < len(s.steps) else "done"
                due = f", {c.due} due" if c.due else ""
                click.echo(f"    {label:<8} {c.status:<9} {c.count:>6}{due}")
        click.echo("outbox: " + ", ".join(f"{k} {v}" for k, v in outbox.model_dump().items() if v) or "outbox: empty")

    run(body, settings)


@sequences_group.command("create")
@click.argument("name")
@click.option("--steps", "steps_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help='JSON list of steps: [{"subject": "...", "body": "Hi {{first_name|there}}", "wait_days": 0}, ...]')
@click.option("--sender", help="From address (default COCKPIT_SENDER_EMAIL).")
@click.pass_context
def seq_create(ctx: click.Context, name: str, steps_file: Path, sender: str | None) -> None:
    """Define a sequence from a JSON file of steps."""
    settings = get_settings(ctx)

    async def body() -> None:
        try:
            steps = json.loads(steps_file.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ValidationFailed(f"{steps_file} is not valid JSON: {exc}") from None
        if not isinstance(steps, list):
            raise ValidationFailed(f"{steps_file} must hold a JSON list of steps")
        store = await open_store(settings)
        try:
            seq = await store.sequences.create_sequence(name, steps, sender=sender)
        finally:
            await store.close()
        click.echo(f"created {seq.name} ({len(seq.steps)} steps, id {seq.id})")

    run(body, settings)


@sequences_group.command("enroll")
@click.argument("contact_id")
@click.argument("sequence")
@click.pass_context
def seq_enroll(ctx: click.Context, contact_id: str, sequence: str) -> None:
    """Enroll CONTACT_ID in SEQUENCE (name or id)."""
    settings = get_settings(ctx)

    async def body() -> None:
        store = await open_store(settings)
        try:
            e = await store.sequences.enroll(_uuid(contact_id, "CONTACT_ID"), sequence)
        finally:
            await store.close()
        click.echo(f"enrolled in {e.sequence_name}; first email due {e.next_due_at:%Y-%m-%d %H:%M} UTC (id {e.id})")

    run(body, settings)


def _enrollment_cmd(name: str, method: str, help_text: str) -> None:
    @sequences_group.command(name, help=help_text)
    @click.argument("enrollment_id")
    @click.pass_context
    def cmd(ctx: click.Context, enrollment_id: str) -> None:
        settings = get_settings(ctx)

        async def body() -> None:
            store = await open_store(settings)
            try:
                e = await getattr(store.sequences, method)(_uuid(enrollment_id, "ENROLLMENT_ID"))
            finally:
                await store.close()
            click.echo(f"{e.sequence_name}: {e.status}" + (f" ({e.status_reason})" if e.status_reason else ""))

        run(body, settings)


_enrollment_cmd("pause", "pause_enrollment", "Pause an enrollment (nothing more is sent until resumed).")
_enrollment_cmd("resume", "resume_enrollment", "Resume a paused enrollment at the step it stopped at.")
_enrollment_cmd("unenroll", "unenroll", "End an enrollment; anything still queued for it is cancelled.")


@sequences_group.command("step")
@click.pass_context
def seq_step(ctx: click.Context) -> None:
    """Run one sequence step now for the scoped client (offline without COCKPIT_RESEND_API_KEY)."""
    settings = get_settings(ctx)

    async def body() -> None:
        from cockpit.sequences.step import sequence_step

        store = await open_store(settings, source="arlo")
        try:
            report = await sequence_step(store, settings, now=datetime.now(timezone.utc))
        finally:
            await store.close()
        click.echo(report.summary)
        for note in report.notes:
            click.echo(f"  {note}")

    run(body, settings)
