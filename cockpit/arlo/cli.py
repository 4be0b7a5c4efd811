"""arlo from the shell: ``cockpit arlo`` (the loops, headless, for systemd), ``cockpit arlo --once``,
``cockpit tell "..."`` (and ``--answer TASK CHOICE``), ``cockpit undo TASK`` and
``cockpit task list|show|hold|resume|cancel``."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

import click

from cockpit.cli import get_settings, main, open_store, run
from cockpit.errors import ScopeError


def _line(task: Any) -> str:
    return f"{task.id:<10} {task.client_id:<12} {task.task_type:<16} {task.status:<11} {task.summary[:100]}"


async def _client_for(store: Any, settings: Any) -> str:
    if settings.client_id:
        return str(settings.client_id)
    ids = await store.tasks.arlo_client_ids()
    if len(ids) == 1:
        return str(ids[0])
    if not ids:
        raise ScopeError("which client is this for?",
                         "no client has a workspace yet: run `cockpit demo` or `cockpit workspace add`")
    raise ScopeError(f"which client is this for? ({', '.join(map(str, ids))})",
                     f"pass --client ID (e.g. cockpit --client {ids[0]} tell ...) or set COCKPIT_CLIENT_ID")


@main.command("arlo")
@click.option("--once", is_flag=True, help="Create whatever periodic tasks are due, run every claimable task, exit.")
@click.pass_context
def arlo_cmd(ctx: click.Context, once: bool) -> None:
    """Run arlo's loops (engine timers + task worker) until SIGTERM/SIGINT."""
    settings = get_settings(ctx)

    async def body() -> None:
        from cockpit.arlo.runner import Arlo

        store = await open_store(settings, source="arlo")
        arlo = Arlo(store, settings)
        try:
            if once:
                done = await arlo.run_once()
                for task in done:
                    click.echo(_line(task))
                click.echo(f"arlo: ran {len(done)} task(s)")
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            click.echo(f"arlo running as {arlo.agent} (tick {settings.arlo_tick_seconds:g}s); SIGTERM or ^C stops",
                       err=True)
            sys.stderr.flush()
            await arlo.run_forever(stop)
            click.echo("arlo stopped", err=True)
        finally:
            await arlo.aclose()
            await store.close()

    run(body, settings)


@main.command("tell")
@click.argument("words", nargs=-1)
@click.option("--no-wait", is_flag=True, help="File the task and return; a running arlo picks it up.")
@click.option("--answer", "answer_task", metavar="TASK",
              help="Answer TASK's question with WORDS (a choice's number or words of its label).")
@click.pass_context
def tell_cmd(ctx: click.Context, words: tuple[str, ...], no_wait: bool, answer_task: str | None) -> None:
    """Tell arlo something: a strategic instruction or a question. Prints the result.

    With --answer TASK CHOICE, answers the question TASK asked (exit 3 = arlo asks another)."""
    settings = get_settings(ctx)
    text = " ".join(words)
    if not text.strip():
        raise click.UsageError("tell arlo what to do, e.g. cockpit tell \"Move the Volta deal to Negotiation\""
                               if not answer_task else "give the choice, e.g. cockpit tell --answer TASK 1")

    async def body() -> int:
        from cockpit.arlo.questions import answer
        from cockpit.arlo.runner import Arlo

        store = await open_store(settings, source="arlo")
        arlo = Arlo(store, settings)
        try:
            if answer_task:
                task = await answer(store, answer_task, text)
                if task.is_final:
                    click.echo(f"task {task.id} {task.status}: the instruction was dropped")
                    return 0
            else:
                task = await arlo.tell(text, await _client_for(store, settings))
            if no_wait:
                click.echo(f"filed task {task.id} ({task.task_type})")
                return 0
            done = await arlo.run_task(task.id)
        finally:
            await arlo.aclose()
            await store.close()
        out = done.output or {}
        if done.status == "complete":
            click.echo(out.get("answer") or out.get("summary") or "done")
            if out.get("undo"):
                click.echo(f"(task {done.id}; undo with: {out['undo']})")
            return 0
        if out.get("question"):
            click.echo(f"arlo asks: {out['question']}")
            if out.get("choices"):
                click.echo(f"answer with: cockpit tell --answer {done.id} NUMBER")
            return 3
        click.secho(f"error: task {done.id} {done.status}: {done.summary}", fg="red", err=True)
        return 1

    sys.exit(run(body, settings))


@main.command("undo")
@click.argument("task_id")
@click.pass_context
def undo_cmd(ctx: click.Context, task_id: str) -> None:
    """Undo what a strategic instruction (TASK_ID) wrote: every field it changed goes back, or none does."""
    settings = get_settings(ctx)

    async def body() -> None:
        from cockpit.arlo.questions import undo

        store = await open_store(settings, source="cockpit")
        try:
            click.echo(await undo(store, task_id))
        finally:
            await store.close()

    run(body, settings)


@main.group("task")
def task_group() -> None:
    """arlo's task queue: list tasks, hold, resume or cancel one."""


@task_group.command("list")
@click.option("--all-clients", is_flag=True, help="Every client's tasks, not just this session's client.")
@click.option("--limit", default=30, show_default=True, type=click.IntRange(1, 1000))
@click.pass_context
def task_list(ctx: click.Context, all_clients: bool, limit: int) -> None:
    settings = get_settings(ctx)

    async def body() -> None:
        store = await open_store(settings)
        try:
            if not all_clients:
                store = store.scoped(await _client_for(store, settings))
            for task in await store.tasks.tasks_page(limit=limit, all_clients=all_clients):
                click.echo(_line(task))
        finally:
            await store.close()

    run(body, settings)


@task_group.command("show")
@click.argument("task_id")
@click.pass_context
def task_show(ctx: click.Context, task_id: str) -> None:
    """A task's current state and its topic log (the source that state follows from)."""
    settings = get_settings(ctx)

    async def body() -> None:
        store = await open_store(settings)
        try:
            task = await store.tasks.task(task_id)
            log = await store.tasks.task_log(task_id)
        finally:
            await store.close()
        click.echo(_line(task))
        click.echo(f"  agent {task.agent or '—'} · attempts {task.attempts} · cost ${task.cost_usd} · "
                   f"duration {task.duration_seconds if task.duration_seconds is not None else '—'}s")
        if task.brief:
            click.echo(f"  brief: {task.brief}")
        for m in log:
            detail = {k: v for k, v in m.payload.items() if k not in ("output", "params")}
            click.echo(f"  {m.seq:>8} {m.created_at:%Y-%m-%d %H:%M:%S} {m.message_type:<16} {detail}")
        out = task.output or {}
        text = out.get("answer") or out.get("question") or out.get("summary") or out.get("error")
        if text:
            click.echo(f"  output: {text}")

    run(body, settings)


def _control(action: str) -> Any:
    @click.argument("task_id")
    @click.option("--reason", help="Why (kept in the task's log).")
    @click.pass_context
    def cmd(ctx: click.Context, task_id: str, reason: str | None) -> None:
        settings = get_settings(ctx)

        async def body() -> None:
            store = await open_store(settings)
            try:
                task = await store.tasks.control_task(task_id, action, reason=reason)  # type: ignore[arg-type]
            finally:
                await store.close()
            click.echo(_line(task))

        run(body, settings)

    cmd.__doc__ = f"{action.capitalize()} a task (a control message on its topic log)."
    return cmd


for _action in ("hold", "resume", "cancel"):
    task_group.command(_action)(_control(_action))
