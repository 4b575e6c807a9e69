"""The errors lrscout raises for problems a user can fix.

Every error says what was wrong, where, and what to do. They subclass ``ValueError`` so code
that already guards against bad values keeps working; the CLI turns any ``LrscoutError`` into
a one-paragraph message and exit code 2 instead of a traceback.
"""

from __future__ import annotations


class LrscoutError(ValueError):
    """Base class for every user-facing lrscout error."""


class InvalidGridError(LrscoutError):
    """A learning-rate grid that cannot be swept (empty, non-positive, NaN, duplicates)."""


class InvalidConfigError(LrscoutError):
    """A parameter outside its valid range (steps, batch size, thresholds, fractions...)."""


class DataError(LrscoutError):
    """Training data that cannot be used as given (missing values, constant target...)."""


class ResultsFileError(LrscoutError):
    """A results file that cannot be read back (not JSON, wrong schema, newer version) or written
    (a folder, a missing folder, no permission)."""


class UnknownCandidateError(LrscoutError, KeyError):
    """A learning rate the sweep did not run, asked of a result; also a ``KeyError``, as a lookup."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else ""


class BackendUnavailableError(LrscoutError, ImportError):
    """An optional backend is not installed; the message names the extra to install."""

    def __init__(self, feature: str, extra: str, module: str) -> None:
        super().__init__(
            f"{feature} needs the optional dependency '{module}', which is not installed. "
            f"Install it with: pip install 'lrscout[{extra}]'"
        )
        self.extra = extra
        self.module = module
