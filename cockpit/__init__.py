"""RedKey Cockpit's core: configuration, the database layer (``db``), the store, the Layer 2 models,
arlo, the schema graph, the feature services and the ``cockpit`` CLI.

Imports: the standard library, pydantic, psycopg (in ``db`` and the store only), httpx and click; never
Textual, ``screens`` or ``widgets``, except in :mod:`cockpit.app`, the Textual App that composes the
screens. Services import the store and models; the store imports models and ``db``, never services.
"""
