"""What the schema explorer calls a relation: Twenty's workspace schemas by their client's label
(``BezelIQ · person``, not ``workspace_3qmj2qvn0uv3geheakjrx5pw0.person``); every other relation by
``schema.table``. The real name stays wherever it is used (table detail, SQL)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from cockpit.formatting import fit

__all__ = ["Namer", "display_name", "fit", "namer"]

Namer = Callable[[str], str]


def display_name(key: str, workspaces: Mapping[str, str]) -> str:
    schema, dot, table = key.partition(".")
    client = workspaces.get(schema) if dot else None
    return f"{client} · {table}" if client else key


def namer(workspaces: Mapping[str, str]) -> Namer:
    """``display_name`` bound to one snapshot's workspaces (schema -> client label)."""
    return lambda key: display_name(key, workspaces)
