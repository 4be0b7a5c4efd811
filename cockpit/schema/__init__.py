"""The schema explorer's headless core: models read from the schema cache, the relation graph
(networkx), grouping by concern, terminal renderings and the ``cockpit schema`` CLI.

Imports: networkx, pydantic and :mod:`cockpit.errors`; no Textual, no SQL (the store reads the cache)."""
