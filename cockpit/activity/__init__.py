"""The live activity feed's headless core: the filter language and the feed state (what is shown,
what is pending behind the "N new" marker, paging back through history).

Imports: :mod:`cockpit.models` and :mod:`cockpit.errors`; no Textual, no SQL (the store runs the queries)."""
