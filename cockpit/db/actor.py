"""Who wrote a Layer 1 row: the ACTOR columns the cockpit's write triggers stamp on Twenty's tables.

Twenty records the author of every row in its ACTOR composite (``createdBySource``,
``createdByWorkspaceMemberId``, ``createdByName``, ``createdByContext``; newer releases also carry
``updatedBy*``). Its UI writes ``MANUAL``, its CSV import ``IMPORT``, its mail and calendar sync ``EMAIL``
and ``CALENDAR``. The cockpit and arlo write past Twenty's API, straight into its tables, so the triggers
stamp the same columns themselves: source ``API`` (a value every release's enum has) and the name
``arlo`` or ``RedKey Cockpit`` by who is acting (the transaction's ``redkey.source``), with RedKey's own
source and actor in the context. ``cockpit coverage`` tells the cockpit's writes from Twenty's by these.

Only the columns a workspace really has are stamped (an older release has no ``updatedBy*``).
"""

from __future__ import annotations

from cockpit.db.layer1 import WorkspaceShape

SOURCE = "API"  # the ACTOR source the cockpit's rows carry
COCKPIT_NAME = "RedKey Cockpit"
ARLO_NAME = "arlo"
NAMES = (COCKPIT_NAME, ARLO_NAME)

_REDKEY_SOURCE = "coalesce(nullif(current_setting('redkey.source', true), ''), 'cockpit')"
_EXPRS = {
    "Source": f"'{SOURCE}'",
    "WorkspaceMemberId": "NULL",
    "Name": f"CASE WHEN {_REDKEY_SOURCE} = 'arlo' THEN '{ARLO_NAME}' ELSE '{COCKPIT_NAME}' END",
    "Context": ("jsonb_build_object('redkey', jsonb_build_object('source', " + _REDKEY_SOURCE
                + ", 'actor', nullif(current_setting('redkey.actor', true), '')))"),
}


def _columns(shape: WorkspaceShape, table: str, prefix: str) -> list[tuple[str, str]]:
    return [(prefix + part, expr) for part, expr in _EXPRS.items() if shape.has(table, prefix + part)]


def insert_actor(shape: WorkspaceShape, table: str) -> list[tuple[str, str]]:
    """(Layer 1 column, SQL value) pairs a new row of ``table`` gets: created by and updated by."""
    return _columns(shape, table, "createdBy") + _columns(shape, table, "updatedBy")


def update_actor(shape: WorkspaceShape, table: str) -> list[tuple[str, str]]:
    """(Layer 1 column, SQL value) pairs an UPDATE of ``table`` sets (the ``updatedBy*`` it has)."""
    return _columns(shape, table, "updatedBy")
