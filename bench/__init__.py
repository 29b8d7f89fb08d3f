"""Benchmarks of issue 6 (see docs/performance.md). Each runs with one command:
`.venv/bin/python bench/<name>.py`, and prints its headline figure as its last line."""
