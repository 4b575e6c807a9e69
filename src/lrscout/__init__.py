"""lrscout: find a good learning rate with short log-scale sweeps, and say why.

The core (grids, planners, curve analysis, selection, schedules) needs NumPy only; plotting,
the CLI and framework adapters load their libraries when used.
"""

from ._version import __version__
from .core.analysis import read_curve, read_curves
from .core.diagnosis import DataStats, DiagnosisThresholds, diagnose
from .core.grids import check_grid, log_grid
from .core.planners import AdaptivePlanner, FixedGrid, Planner
from .core.pruning import DivergencePruner
from .core.recommendation import Recommendation, recommend_schedule
from .core.result import SweepResult
from .core.selection import choose
from .core.thresholds import Thresholds
from .core.types import (Candidate, Decision, DecisionStatus, Evidence, Finding, FindingKind, RangeTest, Severity,
                         Trace, Verdict, VerdictKind)
from .errors import (BackendUnavailableError, DataError, InvalidConfigError, InvalidGridError, LrscoutError,
                     ResultsFileError)
from .problems import CallableProblem, LinearRegression, LogisticRegression, NumpyProblem, SoftmaxRegression
from .problems.protocols import Problem
from .workflows.sweep import BatchDone, SweepInterrupted, sweep

__all__ = [
    "DataStats", "DiagnosisThresholds", "Recommendation", "diagnose", "recommend_schedule",
    "AdaptivePlanner", "BackendUnavailableError", "BatchDone", "CallableProblem", "Candidate",
    "DataError", "Decision", "DecisionStatus", "DivergencePruner", "Evidence", "Finding", "FindingKind",
    "FixedGrid", "RangeTest", "Severity",
    "InvalidConfigError", "InvalidGridError", "LinearRegression", "LogisticRegression",
    "LrscoutError", "NumpyProblem", "Planner", "Problem", "ResultsFileError", "SoftmaxRegression",
    "SweepInterrupted", "SweepResult", "Thresholds", "Trace", "Verdict", "VerdictKind", "check_grid", "choose",
    "log_grid", "read_curve", "read_curves", "sweep",
]
