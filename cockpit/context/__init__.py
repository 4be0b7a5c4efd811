"""Client context (seed 001) and the Client360 read model (headless)."""
