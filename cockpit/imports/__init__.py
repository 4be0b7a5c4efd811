"""CSV imports (headless): reader, mapping, normalization, proposals, service, CLI.

Imports: the store, :mod:`cockpit.contracts` and :mod:`cockpit.errors`; no Textual, no SQL outside the
store."""
