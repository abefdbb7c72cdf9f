"""Benchmarks: each prints its figures as ``name value`` lines, the ratio last. Not tests."""
