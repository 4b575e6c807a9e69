"""lrscout: find a good learning rate with short log-scale sweeps, and say why.

The core (grids, planners, curve analysis, selection, schedules) needs NumPy only; plotting,
the CLI and framework adapters load their libraries when used.

This module is the top of the layers (``tests/test_layers.py``): it may import every layer. It
re-exports the public names, and wires the upper layers' services into the core's values
without the core importing them: the HTML views behind ``SweepResult.to_html`` and
``_repr_html_`` (imported from ``lrscout.report`` on first use), the schedule recommendation
behind ``SweepResult.recommend_schedule``, and the warm-up replay behind
``recommend_schedule(..., problem=)`` (``lrscout.workflows.warmup``).
"""

from __future__ import annotations

from typing import Any

from ._version import __version__ as __version__
from .core.analysis import read_curve, read_curves
from .data.stats import DataStats
from .core.diagnosis import DiagnosisThresholds, diagnose
from .core.grids import check_grid, log_grid
from .core.planners import AdaptivePlanner, FixedGrid, Planner
from .core.pruning import DivergencePruner
from .core.recommendation import Recommendation, recommend_schedule, register_warmup_replay
from .core.result import SweepResult, register_html_views, register_recommender
from .core.search import BudgetedSearch
from .core.selection import choose
from .core.thresholds import Thresholds
from .core.types import (Candidate, Decision, DecisionStatus, Evidence, Finding, FindingKind, GroupRate, RangeTest,
                         Severity, Trace, Verdict, VerdictKind)
from .errors import (BackendUnavailableError, DataError, InvalidConfigError, InvalidGridError, LrscoutError,
                     ResultsFileError, UnknownCandidateError)
from .problems import CallableProblem, LinearRegression, LogisticRegression, NumpyProblem, SoftmaxRegression
from .problems.protocols import Problem
from .workflows.sweep import BatchDone, SweepInterrupted, sweep
from .workflows.warmup import replay_warmup


def _html_page(result: Any, path: Any = None, *, title: str | None = None, schedule: Any = None) -> Any:
    from .report.html import to_html

    return to_html(result, path, title=title, schedule=schedule)


def _notebook_html(result: Any) -> str:
    from .report.notebook import summary_html

    return summary_html(result)


register_html_views(page=_html_page, notebook=_notebook_html)
register_warmup_replay(replay_warmup)
register_recommender(recommend_schedule)

__all__ = [
    "DataStats", "DiagnosisThresholds", "Recommendation", "diagnose", "recommend_schedule",
    "AdaptivePlanner", "BackendUnavailableError", "BatchDone", "BudgetedSearch", "CallableProblem", "Candidate",
    "DataError", "Decision", "DecisionStatus", "DivergencePruner", "Evidence", "Finding", "FindingKind",
    "FixedGrid", "GroupRate", "RangeTest", "Severity",
    "InvalidConfigError", "InvalidGridError", "LinearRegression", "LogisticRegression",
    "LrscoutError", "NumpyProblem", "Planner", "Problem", "ResultsFileError", "SoftmaxRegression",
    "SweepInterrupted", "SweepResult", "Thresholds", "Trace", "UnknownCandidateError", "Verdict", "VerdictKind",
    "check_grid", "choose",
    "log_grid", "read_curve", "read_curves", "sweep",
]
