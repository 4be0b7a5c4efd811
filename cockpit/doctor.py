"""`cockpit doctor`: one line per concern (config, database, connection mode, TLS, login, migration URL,
migrations, Data API exposure, client scope), each with what to do when it is wrong. Returns False
when anything failed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from cockpit.config import Settings
from cockpit.db.connect import connect, redact, resolve_url
from cockpit.db.migrate import status
from cockpit.deploy_checks import deployment_lines, exposure_line
from cockpit.errors import CockpitError


def _line(say: Callable[[str], None], name: str, ok: bool, text: str) -> bool:
    say(f"{name:<12}{'ok  ' if ok else 'FAIL'}  {text}")
    return ok


async def run_doctor(settings: Settings, say: Callable[[str], None]) -> bool:
    ok = True
    where = redact(settings.database_url) if settings.database_url else f"embedded server in {settings.pgdata}"
    _line(say, "config", True, f"database: {where}; client: {settings.client_id or '(not set)'}")
    from cockpit.mail.doctor import sync_config_line

    sync_ok, sync_text = sync_config_line(settings)
    ok = _line(say, "sync", sync_ok, sync_text) and ok

    started = time.perf_counter()
    try:
        url = await asyncio.to_thread(resolve_url, settings)
        conn = await connect(url, settings)
    except CockpitError as exc:
        _line(say, "database", False, str(exc))
        _line(say, "migrations", False, "not checked: no database")
        _line(say, "scope", False, "not checked: no database")
        return False
    try:
        version = (await (await conn.execute("SHOW server_version")).fetchone())[0]  # type: ignore[index]
        ms = (time.perf_counter() - started) * 1000
        _line(say, "database", True, f"PostgreSQL {version}, connected in {ms:.0f} ms")
        ok = await deployment_lines(conn, url, settings, lambda *a: _line(say, *a)) and ok

        st = await status(conn)
        if st.edited:
            ok = _line(say, "migrations", False,
                       f"edited after being applied: {', '.join(st.edited)} — restore the files; put changes in new migrations")
        elif st.pending:
            ok = _line(say, "migrations", False,
                       f"{len(st.pending)} pending ({', '.join(m.filename for m in st.pending)}) — run `cockpit migrate`")
        else:
            _line(say, "migrations", True, f"{len(st.applied)} applied, none pending")
        ok = await exposure_line(conn, lambda *a: _line(say, *a)) and ok
        if st.pending and not st.applied:
            _line(say, "scope", False, "not checked: database not migrated — run `cockpit migrate`")
            return False

        ok = await _scope_line(conn, settings, say) and ok
    finally:
        await conn.close()
    return ok


async def _scope_line(conn: object, settings: Settings, say: Callable[[str], None]) -> bool:
    """The client the cockpit would open on, picked as the cockpit picks it (cockpit.client_switch)."""
    from cockpit.client_switch import pick_client

    rows = await (await conn.execute(  # type: ignore[attr-defined]
        "SELECT c.client_id, c.name, count(w.schema_name) FROM redkey.clients c "
        "LEFT JOIN redkey.workspaces w USING (client_id) GROUP BY 1, 2 ORDER BY c.name")).fetchall()
    try:
        _offered, chosen = pick_client([(r[0], r[1]) for r in rows], settings.client_id, settings.clients)
    except CockpitError as exc:
        return _line(say, "scope", False, f"{exc.message} — {exc.hint}" if exc.hint else exc.message)
    name, n_ws = next((r[1], r[2]) for r in rows if r[0] == chosen)
    how = "COCKPIT_CLIENT_ID" if settings.client_id else "the first client by name; set COCKPIT_CLIENT_ID to choose"
    if n_ws == 0:
        return _line(say, "scope", False, f"{chosen} ({name}) has no workspace — "
                     f"run `cockpit workspace add SCHEMA --client {chosen}`")
    async with conn.transaction():  # type: ignore[attr-defined]  # scope for this transaction only (pooler-safe)
        await conn.execute("SELECT set_config('redkey.client_id', %s, true)", (chosen,))  # type: ignore[attr-defined]
        deals = (await (await conn.execute("SELECT count(*) FROM crm_deals")).fetchone())[0]  # type: ignore[attr-defined]
        contacts = (await (await conn.execute("SELECT count(*) FROM crm_contacts")).fetchone())[0]  # type: ignore[attr-defined]
    return _line(say, "scope", True, f"{chosen} ({name}), {how}: {deals:,} deals, {contacts:,} contacts")
