"""The core: values, curve reading, choosing, planning, diagnosing, schedules. Pure NumPy.

Layer 1 of the package (``tests/test_layers.py`` enforces the order). It may import only
``lrscout.errors``, ``lrscout._version``, its own modules, NumPy and the standard library: never
data reading, problems, executors, workflows, frameworks or outputs. It never trains anything.
"""
