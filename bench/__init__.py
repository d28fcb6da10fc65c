"""Benchmarks: each folder runs with `python bench/<name>` and prints its figures."""
