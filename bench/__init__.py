"""Benchmarks with their targets (DESIGN.md). Run on demand: `make bench` or `python -m bench NAME`."""
