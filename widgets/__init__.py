"""Reusable widgets of the cockpit: deal card, stage column, context panel, timeline, schema detail,
status bar and shared formatting.

Imports: Textual, rich, :mod:`cockpit.models` and :mod:`cockpit.schema` (the rows they draw); never the
store, psycopg or SQL: widgets get their data from screens, screens from the store."""
