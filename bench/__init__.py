"""Benchmarks with their targets. Run on demand: `make bench` or `python -m bench NAME`.

Each bench starts its own database (or uses ``COCKPIT_BENCH_DATABASE_URL``) and may import the project
and the tests' fake servers; nothing in ``cockpit/``, ``screens/`` or ``widgets/`` imports ``bench``."""
