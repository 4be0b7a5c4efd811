"""When can Twenty go: what the cockpit covers of Twenty's work and who really does it (``cockpit coverage``)."""
