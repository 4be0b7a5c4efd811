"""Styles live in styles/*.tcss: no screen, widget or app class carries CSS in Python (``CSS`` or
``DEFAULT_CSS`` strings), and every ``CSS_PATH`` names a sheet that exists."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [*sorted((ROOT / "screens").glob("*.py")), *sorted((ROOT / "widgets").glob("*.py")), ROOT / "cockpit" / "app.py"]


def test_no_css_in_python() -> None:
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    targets = item.targets if isinstance(item, ast.Assign) else [item.target] if isinstance(item, ast.AnnAssign) else []
                    for t in targets:
                        if isinstance(t, ast.Name) and t.id in ("CSS", "DEFAULT_CSS"):
                            found.append(f"{path.relative_to(ROOT)}: {node.name}.{t.id}")
    assert not found, "CSS belongs in styles/*.tcss: " + ", ".join(found)


def test_every_sheet_named_exists() -> None:
    from cockpit.app import CockpitApp
    from screens import SCREENS

    sheets = [Path(p) for p in CockpitApp.CSS_PATH]
    for spec in SCREENS:
        module, _, name = spec.target.partition(":")
        cls = getattr(__import__(module, fromlist=[name]), name)
        path = getattr(cls, "CSS_PATH", None)
        sheets += [Path(p) for p in (path if isinstance(path, list) else [path] if path else [])]
    missing = [str(p) for p in sheets if not p.is_file()]
    assert sheets and not missing, missing
