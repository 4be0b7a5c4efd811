"""Schema diagrams, documentation folders, snapshots and their diff, from the live cache of the
purpose-built schema (composite FK, cross-schema FK, self-reference, view over a view, partitioned
table, quoted mixed-case names).

Expected output is checked in under tests/golden/schema/; after an intended change, regenerate it with
``COCKPIT_UPDATE_GOLDEN=1 pytest tests/test_schema_publish.py`` and review the diff.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from cockpit.cli import _load_extensions, main
from cockpit.schema import snapshot
from tests.schema_fixture import schema_database

GOLDEN = Path(__file__).parent / "golden" / "schema"
FIXTURE_TABLES = ["Ledger.InvoiceLine", "sales.employee", "sales.event", "sales.region", "sales.store"]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (apt-get install graphviz; .ci/run does)")


@pytest.fixture(scope="module")
def schema_url(pg_server_url: str, templates: dict[str, str]) -> Iterator[str]:
    yield from schema_database(pg_server_url, templates["empty"])


@pytest.fixture
def cli(schema_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    _load_extensions()
    env = {"COCKPIT_DATABASE_URL": schema_url, "COCKPIT_DATA_DIR": str(tmp_path / "data")}
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str, str]:
        res = runner.invoke(main, list(args), env=env, catch_exceptions=False)
        assert "Traceback" not in res.output and "Traceback" not in res.stderr
        return res.exit_code, res.stdout, res.stderr

    return invoke


def golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("COCKPIT_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"no expected output {path}; run with COCKPIT_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs from its checked-in expected output"


def test_mermaid_and_dot_match_expected_output(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("schema", "diagram", "sales.store", "--radius", "1", "--format", "mermaid")
    assert code == 0
    golden("store_r1.mmd", out)
    # the composite FK is one relation labelled with both pairs; the cross-schema FK is there
    assert out.count("t_sales_2e_store ||--o{ t_Ledger_2e_InvoiceLine") == 2
    assert '"region_code→code, country→country"' in out
    code, out, _ = cli("schema", "diagram", "--group", "sales", "--format", "dot")
    assert code == 0
    golden("group_sales.dot", out)
    assert "cluster_sales" in out and '"sales.employee" -> "sales.employee"' in out  # self-reference


@needs_dot
def test_svg_has_one_node_per_table_and_one_edge_per_fk(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out_file = tmp_path / "store.svg"
    code, _, err = cli("schema", "diagram", "sales.store", "--radius", "2", "-o", str(out_file))
    assert code == 0 and "svg" in err
    ns = {"svg": "http://www.w3.org/2000/svg"}
    root = ET.parse(out_file).getroot()
    nodes = sorted(g.find("svg:title", ns).text for g in root.iter("{http://www.w3.org/2000/svg}g")
                   if g.get("class") == "node")
    edges = [g.find("svg:title", ns).text for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "edge"]
    # radius 2 around sales.store, every FK among them once (composite FKs are one edge each)
    for t in ("sales.store", "sales.region", "Ledger.InvoiceLine", "sales.employee", "sales.event", "secret.keys"):
        assert t in nodes
    assert len(nodes) == len(set(nodes))
    assert edges.count("Ledger.InvoiceLine&#45;&gt;sales.store") + edges.count("Ledger.InvoiceLine->sales.store") == 2
    assert sum(1 for e in edges if e.startswith("sales.store") and "sales.region" in e) == 1
    assert sum(1 for e in edges if e.startswith("sales.employee") and e.endswith("sales.employee")) == 1
    # exactly one node per drawn relation and one edge per FK constraint of the selection
    code, dot, _ = cli("schema", "diagram", "sales.store", "--radius", "2", "--format", "dot")
    dot_nodes = {ln.strip().split(" [")[0].strip('"') for ln in dot.splitlines() if " [label=<" in ln}
    assert set(nodes) == dot_nodes
    assert len(edges) == sum(1 for ln in dot.splitlines() if " -> " in ln)
    png = tmp_path / "store.png"
    code, _, _ = cli("schema", "diagram", "sales.store", "-o", str(png))
    assert code == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_doc_folder_pages_match_expected_and_are_deterministic(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "docs"
    code, out, _ = cli("schema", "doc", "-o", str(folder))
    assert code == 0 and "README.md" in out
    for key in FIXTURE_TABLES:
        golden(f"doc/{key}.md", (folder / "tables" / f"{key}.md").read_text(encoding="utf-8"))
    view = (folder / "tables" / "sales.v_store_names.md").read_text(encoding="utf-8")
    assert "## Lineage" in view and "[sales.v_store](sales.v_store.md)" in view and "```sql" in view
    part = (folder / "tables" / "sales.event_2025.md")
    assert not part.exists()  # partitions are system relations: not documented without --system
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "[sales.store](tables/sales.store.md)" in readme and "(groups/sales.md)" in readme
    lint = (folder / "lint.md").read_text(encoding="utf-8")
    assert "sales.lonely" in lint and "sales.cyc_a" in lint and "Foreign keys without a covering index" in lint
    first = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    code, _, _ = cli("schema", "doc", "-o", str(folder))
    again = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert code == 0 and again == first  # same schema, same bytes
    stranger = tmp_path / "notdocs"
    stranger.mkdir()
    (stranger / "thesis.tex").write_text("mine")
    code, out, err = cli("schema", "doc", "-o", str(stranger))
    assert code == 1 and "holds no schema documentation" in (out + err) and (stranger / "thesis.tex").exists()


def test_snapshot_and_diff_report_what_a_migration_did(cli, schema_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = tmp_path / "before.json"
    code, _, _ = cli("schema", "snapshot", "-o", str(before))
    assert code == 0 and snapshot.load(before)["tables"]["sales.store"]["foreign_keys"]["store_region_fk"][
        "ref_columns"] == ["code", "country"]
    code, out, _ = cli("schema", "diff", str(before), "--exit-code")
    assert code == 0 and out.strip() == "no differences"

    async def migrate() -> None:
        async with await psycopg.AsyncConnection.connect(schema_url, autocommit=True) as c:
            await c.execute("ALTER TABLE sales.store ADD COLUMN manager_id integer REFERENCES sales.employee (id)")
            await c.execute("ALTER TABLE sales.store ALTER COLUMN opened SET NOT NULL")
            await c.execute("DROP INDEX sales.store_region_idx")
            await c.execute("CREATE TABLE sales.audit (id bigint PRIMARY KEY)")
            await c.execute("DROP TABLE sales.lonely")

    try:
        asyncio.run(migrate())
        code, out, _ = cli("schema", "diff", str(before), "--exit-code")
        assert code == 1
        lines = out.splitlines()
        assert "+ table sales.audit" in lines and "- table sales.lonely" in lines and "~ table sales.store" in lines
        assert "    + column manager_id integer" in lines
        assert any(ln.startswith("    + foreign key store_manager_id_fkey (manager_id→id) → sales.employee")
                   for ln in lines)
        assert "    - index store_region_idx (country, region_code)" in lines
        assert "    ~ column opened: nullable True → False" in lines
        # a doc folder carries its snapshot: diffing a folder against a file works the same
        docs_dir = tmp_path / "docs"
        assert cli("schema", "doc", "-o", str(docs_dir))[0] == 0
        code, out, _ = cli("schema", "diff", str(before), str(docs_dir))
        assert code == 0 and "+ table sales.audit" in out
    finally:
        async def undo() -> None:
            async with await psycopg.AsyncConnection.connect(schema_url, autocommit=True) as c:
                await c.execute("ALTER TABLE sales.store DROP COLUMN manager_id")
                await c.execute("ALTER TABLE sales.store ALTER COLUMN opened DROP NOT NULL")
                await c.execute("CREATE INDEX store_region_idx ON sales.store (country, region_code)")
                await c.execute("DROP TABLE sales.audit")
                await c.execute("CREATE TABLE sales.lonely (id integer PRIMARY KEY, note text)")
                await c.execute("SELECT redkey.refresh_system_schema_cache()")
        asyncio.run(undo())


def test_bad_inputs_are_one_line_errors(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("schema", "diagram", "nope.nothing")
    assert code == 1 and "no table named nope.nothing" in err
    code, out, err = cli("schema", "diagram", "--group", "no such group")
    assert code == 1 and "no single group matches" in err and "groups:" in err
    code, out, err = cli("schema", "diagram", "sales.store", "--group", "sales")
    assert code == 1 and "not both" in err
    junk = tmp_path / "junk.json"
    junk.write_text('{"tables": 3}')
    code, out, err = cli("schema", "diff", str(junk))
    assert code == 1 and "is not a schema snapshot" in err
    code, out, err = cli("schema", "diff", str(tmp_path / "missing.json"))
    assert code == 1 and "no such file" in err
