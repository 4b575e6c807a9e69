"""Workflows: the sweep loop, and the paths built on it (tables, scaling comparisons, the lab,
the warm-up replay).

Layer 5. It may import ``lrscout.core``, ``lrscout.data``, ``lrscout.problems`` and
``lrscout.executors`` (and ``lrscout.errors``/``lrscout._version``); never ``lrscout.torch``,
``lrscout.report`` or ``lrscout.cli``.
"""
