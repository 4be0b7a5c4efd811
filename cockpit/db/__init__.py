"""Database layer: the embedded server, connections, migrations and Layer 2 generation."""
