"""``cockpit approvals``: list, show, approve and reject the proposals waiting for a human."""

from __future__ import annotations

import getpass

import click

from cockpit.cli import get_settings, main, open_store, run


@main.group("approvals")
def approvals_group() -> None:
    """Review proposals waiting for approval (imports, merges, arlo's writebacks, context changes)."""


@approvals_group.command("list")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.pass_context
def approvals_list(ctx: click.Context, limit: int) -> None:
    settings = get_settings(ctx)

    async def body() -> None:
        store = await open_store(settings)
        try:
            total = await store.approvals.pending_count()
            page = await store.approvals.pending_proposals(limit=limit)
        finally:
            await store.close()
        click.echo(f"{total:,} pending")
        for p in page.items:
            click.echo(f"{p.proposal_id}  {p.kind:<9} {p.summary}")

    run(body, settings)


@approvals_group.command("find-duplicates")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.pass_context
def approvals_find_duplicates(ctx: click.Context, limit: int) -> None:
    """Propose merges for contacts with the same name at the same company (each waits for approval)."""
    settings = get_settings(ctx)

    async def body() -> None:
        from cockpit.approvals.service import propose_duplicate_merges

        store = await open_store(settings)
        try:
            proposed = await propose_duplicate_merges(store, created_by=getpass.getuser() or "cockpit", limit=limit)
        finally:
            await store.close()
        click.echo(f"{len(proposed)} merge proposal(s) queued" + ("; review them with `cockpit approvals list`"
                                                                   if proposed else ""))

    run(body, settings)


@approvals_group.command("show")
@click.argument("proposal_id")
@click.pass_context
def approvals_show(ctx: click.Context, proposal_id: str) -> None:
    settings = get_settings(ctx)

    async def body() -> None:
        from cockpit.approvals.service import review

        store = await open_store(settings)
        try:
            v = await review(store, proposal_id)
        finally:
            await store.close()
        click.echo(f"{v.row.summary}  [{v.row.status}]")
        click.echo("evidence:")
        for e in v.evidence:
            click.echo(f"  {e}")
        click.echo("would change:")
        for d in v.diff:
            click.echo(f"  {d}")

    run(body, settings)


@approvals_group.command("approve")
@click.argument("proposal_id")
@click.option("--note", default="", help="Why (recorded in the immutable decision).")
@click.pass_context
def approvals_approve(ctx: click.Context, proposal_id: str, note: str) -> None:
    settings = get_settings(ctx)

    async def body() -> None:
        from cockpit.approvals.service import approve

        store = await open_store(settings)
        try:
            ops = await approve(store, proposal_id, reviewer=getpass.getuser(), note=note)
        finally:
            await store.close()
        click.echo(f"approved; {len(ops)} change(s) applied: " + ", ".join(f"{o['op']} {o['entity_type']}" for o in ops))

    run(body, settings)


@approvals_group.command("reject")
@click.argument("proposal_id")
@click.option("--note", required=True, help="Why not (required).")
@click.pass_context
def approvals_reject(ctx: click.Context, proposal_id: str, note: str) -> None:
    settings = get_settings(ctx)

    async def body() -> None:
        from cockpit.approvals.service import reject

        store = await open_store(settings)
        try:
            await reject(store, proposal_id, reviewer=getpass.getuser(), note=note)
        finally:
            await store.close()
        click.echo("rejected; nothing was changed")

    run(body, settings)
