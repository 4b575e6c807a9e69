"""The command line's exit codes, in one module that every command imports (and nothing else)."""

EXIT_OK = 0            # a learning rate was chosen (or the command did what it was asked)
EXIT_BAD_INPUT = 2     # a user mistake: one message says what, where and what to do
EXIT_NO_CHOICE = 3     # no candidate was good: the advice says what to try instead
EXIT_INTERRUPTED = 130  # Ctrl-C; finished work is kept
