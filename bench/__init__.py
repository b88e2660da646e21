"""Benchmarks: datasets, page timings, the signing micro-bench and a gunicorn load run (bench/README.md)."""
