"""The ``lrscout`` command line: one module per command, loaded when that command runs."""
