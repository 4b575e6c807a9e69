"""The ``lrscout`` command line: one module per command, loaded when that command runs.

Layer 8, the top of the stack below ``lrscout/__init__.py``: it may import every layer
(``lrscout.core``, ``data``, ``problems``, ``executors``, ``workflows``, ``report``; not
``lrscout.torch``, which the command line does not use). Exit codes live in
``cli/exit_codes.py``, which every command imports, so no command imports ``cli/main.py``.
"""
