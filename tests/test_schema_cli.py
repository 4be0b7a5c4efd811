"""`cockpit schema ...` in-process (click's runner): refresh, show, path, lint and one-line errors."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
from click.testing import CliRunner

from cockpit.cli import _load_extensions, main
from tests.schema_fixture import build


def test_schema_commands(db_url: str, tmp_path: Path) -> None:
    async def prepare() -> None:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as c:
            await build(c)

    asyncio.run(prepare())
    _load_extensions()
    env = {"COCKPIT_DATABASE_URL": db_url, "COCKPIT_CLIENT_ID": "bezeliq", "COCKPIT_DATA_DIR": str(tmp_path)}
    runner = CliRunner()

    def cli(*args: str) -> tuple[int, str]:
        res = runner.invoke(main, list(args), env=env, catch_exceptions=False)
        assert "Traceback" not in res.output
        return res.exit_code, res.output

    code, out = cli("schema", "refresh")
    assert code == 0 and out.startswith("schema cache refreshed in ") and "foreign keys" in out
    code, out = cli("schema", "show", "sales.store")
    assert code == 0 and out.splitlines()[0].startswith("sales.store (table")
    assert "▶ sales.region" in out and "◀ Ledger.InvoiceLine" in out
    code, out = cli("schema", "path", "secret.keys", "sales.region", "--alternatives", "1")
    assert code == 0 and "shortest:" in out and "FROM secret.keys" in out
    code, out = cli("schema", "lint")
    assert code == 0 and "sales.lonely" in out and "sales.cyc_a → sales.cyc_b → sales.cyc_a" in out
    code, out = cli("schema", "show", "nope.nothing")
    assert code == 1 and out.strip().splitlines() == [
        "error: no table named nope.nothing in the relation graph — check the name, or show system schemas "
        "if it lives in one"]
