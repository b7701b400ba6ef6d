"""Benchmarks run by `make bench` (python -m bench): import, memory, export, page latency."""
