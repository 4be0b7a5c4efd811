"""CSV imports (headless): reader, mapping, normalization, proposals, service, CLI."""
