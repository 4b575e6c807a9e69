"""Benchmarks for lrscout; run them as modules from the repository root, e.g.
``python -m benchmarks.vectorized_numpy``. Not part of the installed package."""
