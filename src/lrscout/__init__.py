"""lrscout: find a good learning rate with short log-scale sweeps, and say why.

The core (grids, planners, curve analysis, selection, schedules) needs NumPy only; plotting,
the CLI and framework adapters load their libraries when used.
"""

from ._version import __version__ as __version__
from .analysis import read_curve, read_curves
from .diagnosis import DataStats, DiagnosisThresholds, diagnose
from .errors import (BackendUnavailableError, DataError, InvalidConfigError, InvalidGridError,
                     LrscoutError, ResultsFileError, UnknownCandidateError)
from .grids import check_grid, log_grid
from .planners import AdaptivePlanner, FixedGrid, Planner
from .problem import DivergencePruner, Problem
from .recommend import Recommendation, recommend_schedule
from .problems import CallableProblem, LinearRegression, LogisticRegression, NumpyProblem, SoftmaxRegression
from .result import SweepResult
from .search import BudgetedSearch
from .selection import choose
from .sweep import BatchDone, SweepInterrupted, sweep
from .thresholds import Thresholds
from .types import (Candidate, Decision, DecisionStatus, Evidence, Finding, FindingKind, RangeTest, Severity,
                    Trace, Verdict, VerdictKind)


__all__ = [
    "DataStats", "DiagnosisThresholds", "Recommendation", "diagnose", "recommend_schedule",
    "AdaptivePlanner", "BackendUnavailableError", "BatchDone", "BudgetedSearch", "CallableProblem", "Candidate",
    "DataError", "Decision", "DecisionStatus", "DivergencePruner", "Evidence", "Finding", "FindingKind",
    "FixedGrid", "RangeTest", "Severity",
    "InvalidConfigError", "InvalidGridError", "LinearRegression", "LogisticRegression",
    "LrscoutError", "NumpyProblem", "Planner", "Problem", "ResultsFileError", "SoftmaxRegression",
    "SweepInterrupted", "SweepResult", "Thresholds", "Trace", "UnknownCandidateError", "Verdict", "VerdictKind",
    "check_grid", "choose",
    "log_grid", "read_curve", "read_curves", "sweep",
]
