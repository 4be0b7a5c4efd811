"""``cockpit webhooks``: serve the intake HTTP app (Resend webhooks, one-click unsubscribe, forms, meeting notes)."""

from __future__ import annotations

from typing import Any

import click

from cockpit.cli import get_settings, main, open_store, run
from cockpit.config import Settings


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy settings: X-Forwarded-For is believed only from COCKPIT_WEBHOOK_TRUSTED_PROXIES
    (uvicorn would otherwise trust it from loopback, letting any local caller pick its address)."""
    trusted = settings.webhook_trusted_proxies
    if not trusted:
        return {"proxy_headers": False, "forwarded_allow_ips": []}
    return {"proxy_headers": True, "forwarded_allow_ips": list(trusted)}


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
            from cockpit.intake import webhook as quill  # the meeting-notes webhook, same server

            from cockpit.webhooks.atlas import atlas_routes

            app = create_app(store, settings,
                             extra_routes=quill.quill_routes(store, secrets=settings.quill_webhook_secrets)
                             + atlas_routes(store, token=settings.atlas_token),
                             body_caps={quill.PATH: quill.MAX_BODY})
            h, p = host or settings.webhook_host, port or settings.webhook_port
            if not settings.resend_webhook_secret:
                click.echo("warning: COCKPIT_RESEND_WEBHOOK_SECRET is not set: Resend webhooks are refused (503)")
            if not settings.quill_webhook_secrets:
                click.echo("warning: COCKPIT_QUILL_WEBHOOK_SECRETS is not set: meeting notes are refused (503)"
                           + (" (COCKPIT_QUILL_WEBHOOK_SECRET names no client and is no longer used)"
                              if settings.quill_webhook_secret else ""))
            click.echo(f"intake on http://{h}:{p}  (POST /webhooks/resend, /webhooks/quill, /unsubscribe/<token>,"
                       " /forms/<client>, /atlas/tasks)")
            server = uvicorn.Server(uvicorn.Config(app, host=h, port=p, log_level="warning", lifespan="off",
                                                   **proxy_options(settings)))
            await server.serve()
        finally:
            await store.close()

    run(body, settings)
