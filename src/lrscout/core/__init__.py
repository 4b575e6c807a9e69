"""The core: values, curve reading, choosing, planning, diagnosing, schedules. Pure NumPy.

Layer 2 of the package (``tests/test_layers.py`` enforces the order). It may import only
``lrscout.errors``, ``lrscout._version``, ``lrscout._validation``, ``lrscout.data`` (what data
say: ``DataStats``; the memory available: ``data.memory``), its own modules, NumPy and the
standard library: never problems, executors, workflows, frameworks or outputs. It never trains anything.
"""
