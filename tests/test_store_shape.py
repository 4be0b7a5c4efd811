"""The store's shape: repositories composed on one Db, importing models and helpers, never services."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cockpit.store import Store
from cockpit.store.core import Db

STORE = Path(__file__).resolve().parent.parent / "cockpit" / "store"

# What a repository may import from the cockpit package: the store itself, the database layer, errors,
# configuration, contracts, models, the field registry, and the few pure helpers the SQL needs.
ALLOWED = ("cockpit.store", "cockpit.db", "cockpit.errors", "cockpit.config", "cockpit.contracts", "cockpit.models",
           "cockpit.fields",
           "cockpit.activity.filters", "cockpit.email.unsubscribe", "cockpit.sequences.schedule",
           "cockpit.arlo.mentions")


def _cockpit_imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cockpit"):
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [a.name for a in node.names if a.name.startswith("cockpit")]
    return names


@pytest.mark.parametrize("path", sorted(STORE.glob("*.py")), ids=lambda p: p.name)
def test_repositories_import_models_never_services(path: Path) -> None:
    bad = [m for m in _cockpit_imports(path)
           if not (m.startswith(ALLOWED) or m.endswith(".models"))]
    assert bad == [], f"{path.name} imports {bad}: a repository imports models, never services"
    text = path.read_text(encoding="utf-8")
    assert "attr-defined" not in text, f"{path.name} reaches another repository through a shared namespace"


def test_store_composes_repositories_over_one_db(store: Store) -> None:
    repos = {name: getattr(store, name) for name in ("crm", "activity", "context", "sequences", "outbox",
                                                     "email_events", "forms", "tasks", "arlo", "approvals",
                                                     "imports", "schema", "schema_doc", "admin")}
    assert all(repo.db is store.db for repo in repos.values())
    assert store.context.crm is store.crm and store.sequences.crm is store.crm
    other = store.scoped("northwind", source="arlo")
    assert isinstance(other.db, Db) and other.db.pool is store.db.pool
    assert (other.client_id, other.db.source, store.client_id) == ("northwind", "arlo", "bezeliq")
    assert other.crm.db is other.db
