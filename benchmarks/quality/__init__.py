"""The lrscout quality benchmark: run it with ``python -m benchmarks.quality`` (see README.md)."""
