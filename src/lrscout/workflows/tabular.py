"""Sweeping a table with a built-in model: the path behind ``lrscout sweep DATA.csv``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable, Sequence

from ..core.result import SweepResult
from ..core.thresholds import DEFAULT_THRESHOLDS, Thresholds
from ..data.prepare import Dataset, prepare
from ..data.table import Table, read_csv
from ..problems.numpy_models import LinearRegression, LogisticRegression, Model, NumpyProblem, SoftmaxRegression
from .sweep import BatchDone, sweep

if TYPE_CHECKING:
    from ..executors import Runner


def problem_for(dataset: Dataset, *, batch_size: int | None = None, momentum: float = 0.0,
                seed: int = 0) -> NumpyProblem:
    by_task: dict[str, Model] = {"linear": LinearRegression(), "logistic": LogisticRegression()}
    model = by_task.get(dataset.task) or SoftmaxRegression(n_classes=len(dataset.classes))
    return NumpyProblem(model, dataset.X_train, dataset.y_train, X_val=dataset.X_val, y_val=dataset.y_val,
                        batch_size=batch_size, momentum=momentum, seed=seed, class_names=dataset.classes or None)


def sweep_table(data: Table | str, target: str, *, model: str | None = None,
                features: Sequence[str] | None = None, scale: str = "none", val_fraction: float = 0.2,
                lrs: Sequence[float] | None = None, steps: int = 100, batch_size: int | None = None,
                momentum: float = 0.0, seed: int = 0, thresholds: Thresholds = DEFAULT_THRESHOLDS,
                on_batch: Callable[[BatchDone], None] | None = None, executor: "str | Runner | None" = None,
                journal: "str | os.PathLike[str] | None" = None, resume: bool = False,
                max_points: int | None = None) -> SweepResult:
    """Read (if a path), check, split and scale a table, then sweep a built-in model on it.

    ``executor``, ``journal``, ``resume`` and ``max_points`` are passed to ``lrscout.sweep``.
    """
    table = read_csv(data) if isinstance(data, str) else data
    dataset = prepare(table, target, model=model, features=features, scale=scale,
                      val_fraction=val_fraction, seed=seed)
    problem = problem_for(dataset, batch_size=batch_size, momentum=momentum, seed=seed)
    config = {"data": table.name, "val_fraction": val_fraction, **dataset.describe()}
    return sweep(problem, lrs, steps, thresholds=thresholds, on_batch=on_batch, config=config,
                 executor=executor, journal=journal, resume=resume, max_points=max_points)
