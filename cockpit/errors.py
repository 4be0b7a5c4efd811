"""User-facing errors.

Everything the cockpit and the CLI show a user derives from :class:`CockpitError`: one line saying what
went wrong and, where there is one, what to do about it. Low-level exceptions (psycopg, httpx, OS) are
translated into these at the boundary (see :func:`cockpit.db.connect.explain_db_error`), so no user
ever sees a traceback.
"""

from __future__ import annotations


class CockpitError(Exception):
    """An error with a message fit for the user; ``hint`` says what to do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class ConfigError(CockpitError):
    """A configuration value is missing or malformed."""


class DatabaseUnavailable(CockpitError):
    """The database cannot be reached or refused the login."""


class MigrationError(CockpitError):
    """The migration history does not match the migration files."""


class ScopeError(CockpitError):
    """The session has no client scope or an unknown client id."""


class NotFound(CockpitError):
    """A record that was asked for does not exist in the current client's scope."""


class ValidationFailed(CockpitError):
    """Input was refused; nothing was written."""


class PermissionDenied(CockpitError):
    """The database refused a write because the role does not own that field."""


class WorkspaceRejected(CockpitError):
    """A schema offered as a Twenty workspace lacks what the views need."""
