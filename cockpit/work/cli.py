"""``cockpit work list|show|hold|resume|cancel|defer|supersede ID [--reason TEXT]``: the structure above
tasks from the shell. Control actions are messages on the entity's topic; the listener applies them."""

from __future__ import annotations

from typing import Any

import click

from cockpit.cli import get_settings, main, open_store, run


async def _scoped(settings: Any) -> Any:
    from cockpit.arlo.cli import _client_for

    store = await open_store(settings)
    try:
        return store.scoped(await _client_for(store, settings))
    except BaseException:
        await store.close()
        raise


def _state(row: Any) -> str:
    reason = getattr(row, "status_reason", None)
    extra = f" ({reason})" if reason else ""
    repl = getattr(row, "replaced_by", None)
    return f"{row.status.replace('_', ' ')}{extra}" + (f" → replaced by {repl}" if repl else "")


@main.group("work")
def work_group() -> None:
    """Projects, stages, phases and tasks of the client: list, show, hold, resume, cancel, supersede."""


@work_group.command("list")
@click.option("--open", "open_only", is_flag=True, help="Leave out cancelled and complete projects.")
@click.pass_context
def work_list(ctx: click.Context, open_only: bool) -> None:
    settings = get_settings(ctx)

    async def body() -> None:
        store = await _scoped(settings)
        try:
            rows = await store.work.projects(include_closed=not open_only)
        finally:
            await store.close()
        if not rows:
            click.echo(f"no projects for {store.client_id}")
        for r in rows:
            stage = f"{r.stage.label} (step {r.stage.current_step + 1}/{len(r.stage.steps)})" if r.stage else "—"
            blockers = f"  ! {'; '.join(r.blockers)[:90]}" if r.blockers else ""
            click.echo(f"{r.project.id:<10} {r.project.status:<10} {r.progress:>5}  {r.project.title[:40]:<40} "
                       f"{stage}{blockers}")

    run(body, settings)


@work_group.command("show")
@click.argument("entity_id")
@click.pass_context
def work_show(ctx: click.Context, entity_id: str) -> None:
    """A project's stages, phases and tasks (what each waits for), or any entity's state, and its topic log."""
    settings = get_settings(ctx)

    async def body() -> None:
        store = await _scoped(settings)
        try:
            kind = await store.work.kind_of(entity_id)
            entity = await store.work.get(kind, entity_id)
            project_id = entity.id if kind == "project" else getattr(entity, "project_id", None)
            tree = await store.work.tree(project_id) if project_id else None
            log = await store.work.log(entity_id)
        finally:
            await store.close()
        title = getattr(entity, "title", None) or getattr(entity, "name", None) or getattr(entity, "brief", "") or ""
        click.echo(f"{kind} {entity.id}: {title} — {_state(entity)}")
        if tree is not None:
            click.echo(f"project {tree.project.id}: {tree.project.title} — {_state(tree.project)}")
            for s in tree.stages:
                mark = "*" if s.id == tree.project.active_stage_id else " "
                click.echo(f" {mark}stage {s.id} {s.label} [{s.stage_type}] step {s.current_step + 1}/{len(s.steps)}"
                           f" — {_state(s)}")
                for f in (f for f in tree.phases if f.stage_id == s.id):
                    waits = tree.waits_for(f)
                    click.echo(f"    phase {f.id} {f.name} — {_state(f)}" + (f"; {waits}" if waits else ""))
                    for t in (t for t in tree.tasks if t.phase_id == f.id):
                        waits = tree.waits_for(t)
                        click.echo(f"      task {t.id} {t.role} {(t.brief or '')[:50]} — {_state(t)}"
                                   + (f"; {waits}" if waits else ""))
                for t in (t for t in tree.tasks if t.stage_id == s.id and t.phase_id is None):
                    waits = tree.waits_for(t)
                    click.echo(f"    task {t.id} {t.role} {(t.brief or '')[:50]} — {_state(t)}"
                               + (f"; {waits}" if waits else ""))
        click.echo("log:")
        for m in log:
            detail = {k: v for k, v in m.payload.items() if v is not None and k not in ("output", "params",
                                                                                          "stage_sequence")}
            click.echo(f"  {m.seq:>8} {m.created_at:%Y-%m-%d %H:%M:%S} {m.message_type:<22} {detail}")

    run(body, settings)


def _control(action: str) -> Any:
    @click.argument("entity_id")
    @click.option("--reason", help="Why (it lands on the entity's topic).")
    @click.option("--replaced-by", "replaced_by", help="The entity that replaces this one (cancel, supersede).")
    @click.pass_context
    def cmd(ctx: click.Context, entity_id: str, reason: str | None, replaced_by: str | None) -> None:
        settings = get_settings(ctx)

        async def body() -> None:
            store = await _scoped(settings)
            try:
                entity = await store.work.control(entity_id, action, reason=reason,  # type: ignore[arg-type]
                                                  replaced_by=replaced_by)
            finally:
                await store.close()
            click.echo(f"{entity.id} {_state(entity)}")

        run(body, settings)

    cmd.__doc__ = {"hold": "Hold a project, stage, phase or task (and what is under it).",
                   "resume": "Resume exactly what a hold paused.",
                   "cancel": "Cancel (and everything open under it); --replaced-by links the replacement.",
                   "defer": "Defer a project (held until it is resumed).",
                   "supersede": "Supersede a stage by another stage of its project (--replaced-by)."}[action]
    return cmd


for _action in ("hold", "resume", "cancel", "defer", "supersede"):
    work_group.command(_action)(_control(_action))
