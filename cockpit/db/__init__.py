"""The database layer: the embedded server, connections, ordered checksummed migrations
(``migrations/NNN_*.sql``, never edited once shipped) and the generated Layer 2 views and write rules.

Imports: psycopg, psycopg_pool, :mod:`cockpit.config` and :mod:`cockpit.errors`; nothing above it (no
store, no services, no Textual)."""
