"""The database layer: the embedded server, connections, ordered checksummed migrations
(``migrations/NNN_*.sql``, never edited once shipped) and the generated Layer 2 views and write rules.

Imports: psycopg, psycopg_pool, :mod:`cockpit.config`, :mod:`cockpit.errors` and the field registry
:mod:`cockpit.fields` (pure); nothing above it (no store, no services, no Textual)."""
