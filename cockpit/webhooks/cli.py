"""``cockpit webhooks``: serve the intake HTTP app (Resend webhooks, one-click unsubscribe, forms, meeting notes)."""

from __future__ import annotations

import click

from cockpit.cli import get_settings, main, open_store, run


@main.command("webhooks")
@click.option("--host", help="Address to listen on (default COCKPIT_WEBHOOK_HOST).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default COCKPIT_WEBHOOK_PORT).")
@click.pass_context
def webhooks_cmd(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve Resend webhooks, one-click unsubscribe and website forms over HTTP (uvicorn)."""
    settings = get_settings(ctx)

    async def body() -> None:
        import uvicorn

        from cockpit.webhooks.server import create_app

        store = await open_store(settings, client_id="", source="resend")
        try:
            from cockpit.intake.webhook import quill_routes  # the meeting-notes webhook, same server

            from cockpit.webhooks.atlas import atlas_routes

            app = create_app(store, settings, extra_routes=quill_routes(
                store, secret=getattr(settings, "quill_webhook_secret", None))
                + atlas_routes(store, token=settings.atlas_token))
            h, p = host or settings.webhook_host, port or settings.webhook_port
            if not settings.resend_webhook_secret:
                click.echo("warning: COCKPIT_RESEND_WEBHOOK_SECRET is not set: Resend webhooks are refused (503)")
            click.echo(f"intake on http://{h}:{p}  (POST /webhooks/resend, /webhooks/quill, /unsubscribe/<token>,"
                       " /forms/<client>, /atlas/tasks)")
            server = uvicorn.Server(uvicorn.Config(app, host=h, port=p, log_level="warning", lifespan="off",
                                                   proxy_headers=True))
            await server.serve()
        finally:
            await store.close()

    run(body, settings)
