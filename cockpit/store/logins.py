"""Client-bound database logins: a PostgreSQL login that sees one client only, whatever its session sets.

The login is a member of ``redkey_client_login`` and of the powers it was granted (``redkey_readonly``,
``redkey_operational``, ``redkey_strategic``), nothing else; ``redkey.client_logins`` binds it to its
client and ``redkey.current_client_id()`` reads the binding first (migration 602). Creating or rotating
sets a new random password, returned once and stored nowhere.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from cockpit.errors import NotFound, ValidationFailed

POWERS: dict[str, str] = {"readonly": "redkey_readonly", "operational": "redkey_operational",
                          "strategic": "redkey_strategic"}
_LOGIN = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class ClientLogin:
    login: str
    client_id: str
    powers: tuple[str, ...]
    password: str
    created: bool  # False: an existing login whose password was rotated


def default_login(client_id: str) -> str:
    return ("rk_" + re.sub(r"[^a-z0-9_]", "_", client_id))[:63]


class LoginsRepo:
    def __init__(self, db: Any) -> None:
        self.db = db

    async def create_or_rotate(self, client_id: str, powers: list[str] | tuple[str, ...] = ("readonly",), *,
                               login: str | None = None) -> ClientLogin:
        """Create the login bound to ``client_id`` with exactly ``powers``, or, if it exists, give it a new
        password and exactly these powers. Refuses a name taken by a role that is not this client's login."""
        wanted = tuple(dict.fromkeys(powers)) or ("readonly",)
        unknown = [p for p in wanted if p not in POWERS]
        if unknown:
            raise ValidationFailed(f"unknown power {', '.join(unknown)}", "use readonly, operational or strategic")
        name = login or default_login(client_id)
        if not _LOGIN.match(name):
            raise ValidationFailed(f"{name!r} is not a login name we create",
                                   "use lower-case letters, digits and _ (at most 63), starting with a letter")
        password = secrets.token_urlsafe(24)
        ident = sql.Identifier(name)
        async with self.db.tx("owner") as conn:
            cur = await conn.execute("SELECT name FROM redkey.clients WHERE client_id = %s", (client_id,))
            if await cur.fetchone() is None:
                raise NotFound(f"unknown client {client_id!r}", "see `cockpit workspace list`")
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('redkey.client_logins'))")
            cur = await conn.execute("SELECT client_id FROM redkey.client_logins WHERE login = %s", (name,))
            bound = await cur.fetchone()
            cur = await conn.execute("SELECT rolsuper, rolcanlogin FROM pg_roles WHERE rolname = %s", (name,))
            role = await cur.fetchone()
            if bound and bound[0] != client_id:
                raise ValidationFailed(f"login {name} is bound to client {bound[0]}", "pick another --name")
            if role is not None and not bound:
                raise ValidationFailed(f"a role named {name} already exists and is not a client login",
                                       "pick another --name")
            created = role is None
            if created:
                await conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                                           "NOBYPASSRLS INHERIT PASSWORD {}").format(ident, sql.Literal(password)))
            else:
                await conn.execute(sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(ident, sql.Literal(password)))
            await conn.execute(sql.SQL("GRANT redkey_client_login TO {}").format(ident))
            for power, role_name in POWERS.items():
                verb = "GRANT {} TO {}" if power in wanted else "REVOKE {} FROM {}"
                await conn.execute(sql.SQL(verb).format(sql.Identifier(role_name), ident))
            await conn.execute(
                "INSERT INTO redkey.client_logins (login, client_id, powers) VALUES (%s, %s, %s) "
                "ON CONFLICT (login) DO UPDATE SET powers = EXCLUDED.powers, rotated_at = now()",
                (name, client_id, list(wanted)))
        return ClientLogin(name, client_id, wanted, password, created)

    async def list(self) -> list[dict[str, Any]]:
        """Every client-bound login: login, client_id, powers, created_at, rotated_at."""
        return await self.db.fetch_dicts("SELECT login, client_id, powers, created_at, rotated_at "
                                         "FROM redkey.client_logins ORDER BY client_id, login", role="owner")
