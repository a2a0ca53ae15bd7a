"""Benchmarks: `python -m bench` prints one table per section (accuracy, latency, ...)."""
