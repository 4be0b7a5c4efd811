"""Configuration: environment variables (prefix ``COCKPIT_``) and an optional ``.env`` file.

Every setting has a safe default so the cockpit runs with no configuration at all: no database URL
means the embedded PostgreSQL server in ``data_dir``; no API keys means the deterministic offline
defaults (template drafting, rule-based instruction parsing, no-op enrichment).

A bad value never surfaces as a pydantic traceback: :func:`load_settings` turns validation errors into
one :class:`~cockpit.errors.ConfigError` line per field, naming the variable and what it expects.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from cockpit.db.redact import redact
from cockpit.errors import ConfigError

APP_NAME = "redkey-cockpit"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="COCKPIT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    # --- database -------------------------------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL/Supabase connection string; absent means the embedded server.",
    )
    data_dir: Path = Field(default_factory=default_data_dir, description="Embedded server and local state.")
    embedded_database: str = Field(default="cockpit", description="Database name inside the embedded server.")
    pool_min_size: int = Field(default=1, ge=0, le=50)
    pool_max_size: int = Field(default=6, ge=1, le=100)
    connect_timeout: float = Field(default=5.0, gt=0, le=120)
    statement_timeout_ms: int = Field(default=30_000, ge=0)
    migration_database_url: str | None = Field(
        default=None,
        description="Connection string for migrations (direct or session pooler) when the main one is a transaction pooler.",
    )
    database_pool_mode: Literal["auto", "direct", "session", "transaction"] = Field(
        default="auto", description="What sits between the cockpit and Postgres; auto detects it.")
    database_sslrootcert: Path | None = Field(
        default=None, description="CA certificate file: connections then verify the server (sslmode=verify-full).")

    # --- client scope ---------------------------------------------------------------------------
    client_id: str | None = Field(default=None, description="The client this session is scoped to.")
    clients: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Clients the user may switch between (comma separated); empty means every registered client.",
    )

    # --- cockpit UI -----------------------------------------------------------------------------
    member_email: str | None = Field(default=None, description=(
        "The Twenty workspace member the cockpit acts as (tasks 'mine', new tasks' assignee), by email;"
        " unset: the client's first workspace member."))
    stale_days: int = Field(default=14, ge=1, le=3650, description="Days without activity before a deal is stale.")
    page_size: int = Field(default=50, ge=5, le=1000, description="Rows fetched per page in lists.")
    refresh_seconds: float = Field(default=5.0, ge=0.5, le=3600)
    theme: str = Field(default="textual-dark")
    schema_groups: str = Field(default="", description="Schema explorer grouping rules: label=pattern|...; ... "
                               "(empty: crm views, redkey, each Twenty workspace, finance, public).")

    # --- arlo -----------------------------------------------------------------------------------
    arlo_enabled: bool = Field(default=True, description="Run arlo's loops inside the cockpit process.")
    arlo_tick_seconds: float = Field(default=5.0, gt=0, le=3600)
    enrichment_interval_seconds: float = Field(default=3600, gt=0)
    pipeline_health_interval_seconds: float = Field(default=86_400, gt=0)
    sequence_interval_seconds: float = Field(default=30, gt=0)
    won_deal_interval_seconds: float = Field(default=300, gt=0, description="How often arlo looks for won deals to propose a project for.")
    lease_seconds: float = Field(default=300, gt=0)
    health_threshold_days: int = Field(default=14, ge=1)
    health_threshold_by_stage: dict[str, int] = Field(default_factory=dict)
    enrichment_url: str | None = Field(default=None, description="People Data Labs-shaped enrich API base URL.")
    enrichment_api_key: str | None = None
    anthropic_api_key: str | None = None
    anthropic_base_url: str = "https://api.anthropic.com"
    anthropic_model: str = "claude-sonnet-4-5"

    # --- email ----------------------------------------------------------------------------------
    resend_api_key: str | None = None
    resend_base_url: str = "https://api.resend.com"
    resend_webhook_secret: str | None = None
    sender_email: str = "Justin <justin@bezeliq.com>"
    sender_daily_cap: int = Field(default=200, ge=1)
    unsubscribe_base_url: str = "http://127.0.0.1:8787/unsubscribe"
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8787, ge=1, le=65535)
    webhook_trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses/networks of reverse proxies whose X-Forwarded-For is believed (comma separated); "
                    "empty: none, the peer address is the client's.")
    quill_webhook_secrets: dict[str, str] = Field(
        default_factory=dict,
        description='Meeting-notes webhook secrets, JSON {"client_id": "secret"}: the secret that signs a post '
                    "decides its client.")
    quill_webhook_secret: str | None = None  # no longer used (it named no client); the webhooks command says so
    atlas_token: str | None = None  # bearer token of Atlas's route (POST /atlas/tasks); unset: the route answers 503

    @field_validator("webhook_trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            for part in value:
                try:
                    ipaddress.ip_network(str(part), strict=False)
                except ValueError:
                    raise ValueError(f"{part!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/24)") from None
        return value

    @field_validator("quill_webhook_secrets")
    @classmethod
    def _check_secrets(cls, value: dict[str, str]) -> dict[str, str]:
        for client, secret in value.items():
            if not re.match(r"^[a-z0-9][a-z0-9_-]{0,62}$", client):
                raise ValueError(f"{client!r} is not a client id")
            if len(secret) < 16:
                raise ValueError(f"the secret for {client} is shorter than 16 characters")
        if len(set(value.values())) != len(value):
            raise ValueError("two clients share a secret; give each client its own")
        return value


    # --- mail and calendar sync ---------------------------------------------------------------
    imap_url: str | None = Field(default=None, description="imap(s)://user:password@host:port, comma-separated.")
    imap_oauth_token: str | None = Field(default=None, description="OAuth2 bearer token for XOAUTH2 (Gmail, M365).")
    mail_self: str | None = Field(default=None, description="The mailbox owner's own addresses (default: IMAP users).")
    mail_blocklist: str = Field(default="", description="Addresses or domains never turned into contacts.")
    mail_first_sync_days: int = Field(default=90, ge=1, le=3650)
    mail_store_body: bool = Field(default=False, description="Keep whole message bodies (default: a snippet).")
    mail_discovery: Literal["off", "propose", "auto"] = Field(
        default="propose", description="New business contacts from mail: off, proposed for approval, or auto.")
    mail_client: str | None = Field(default=None, description="The client the mailboxes and calendars belong to "
                                    "(default: COCKPIT_CLIENT_ID).")
    mail_sync_interval_seconds: float = Field(default=300, gt=0)
    mail_idle: bool = Field(default=True, description="Wait with IMAP IDLE between syncs when the server offers it.")
    caldav_url: str | None = Field(default=None, description="http(s)://user:password@host/path of a CalDAV account.")
    ics_urls: str | None = Field(default=None, description="ICS subscription URLs (secret iCal addresses), comma-separated.")
    calendar_sync_interval_seconds: float = Field(default=900, gt=0)
    calendar_past_days: int = Field(default=30, ge=0, le=3650)
    calendar_future_days: int = Field(default=60, ge=0, le=3650)

    @field_validator("clients", mode="before")
    @classmethod
    def _split_clients(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("database_url", "migration_database_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith(("postgres://", "postgresql://")) and "=" not in value:
            raise ValueError("expected a postgresql:// URL or a libpq 'key=value' string")
        return value

    @field_validator("database_pool_mode", mode="before")
    @classmethod
    def _blank_mode_is_auto(cls, value: object) -> object:
        return value.strip().lower() or "auto" if isinstance(value, str) else value

    @field_validator("database_sslrootcert", mode="before")
    @classmethod
    def _blank_ca_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_sslrootcert")
    @classmethod
    def _check_ca(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no CA certificate file at {value}")
        return value

    @field_validator("client_id")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() if value and value.strip() else None

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"


_SECRET_FIELDS = ("_key", "_secret", "_secrets", "password")


def _shown(field: str, value: object) -> str:
    """The bad value for the message: hidden for secrets, without its password for a database URL."""
    if field.endswith(_SECRET_FIELDS):
        return " (value hidden)"
    if field == "database_url":
        return f" (got {redact(str(value))!r})"
    return f" (got {value!r})"


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning validation errors into one readable line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            lines.append(f"COCKPIT_{field.upper()}: {err['msg']}{_shown(field, err.get('input'))}")
        raise ConfigError("bad configuration: " + "; ".join(lines)) from None
