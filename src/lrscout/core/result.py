"""``SweepResult``: everything a sweep found, frozen, with a lossless JSON round trip."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from .._validation import Int, Optional, PathArg, Real, checked
from .._version import __version__
from ..errors import ResultsFileError, UnknownCandidateError
from .files import check_writable, write_atomic
from .thresholds import Thresholds
from .types import Candidate, Decision, Finding, GroupRate, RangeTest, VerdictKind

if TYPE_CHECKING:
    from .recommendation import Recommendation

SCHEMA = "lrscout.sweep/1"


@dataclass(frozen=True, eq=False)
class SweepResult:
    """Candidates sorted by learning rate, the decision with its reasons, and how it was run.

    ``findings`` are diagnoses of what is not a learning-rate problem (``lrscout.core.diagnosis``);
    ``range_test`` holds an LR range test run alongside, when one was. ``config`` describes the run (data, model,
    steps, batch size, seed, ...) as plain JSON values; ``rounds`` lists the learning rates each planner round
    asked for, in order (``config["round_windows"]``: the steps each round trained them to).
    ``groups`` holds a rate per named parameter group when the sweep searched them
    (``lrscout.torch.sweep(groups=...)``), the first group's being the chosen rate.
    ``cost`` counts the training steps the search spent, by what they were spent on (``"candidates"``;
    ``"restarts"``, steps trained again where a candidate could not continue from its own state;
    ``"engine_probe"``; ``"search_range_test"``, the range test a ``BudgetedSearch(range_bracket=True)``
    placed its windows with; ``"range_test"``, one run alongside); ``search_steps`` is their total.
    """

    candidates: tuple[Candidate, ...]
    decision: Decision
    thresholds: Thresholds = field(default_factory=Thresholds)
    config: Mapping[str, Any] = field(default_factory=dict)
    rounds: tuple[tuple[float, ...], ...] = ()
    findings: tuple[Finding, ...] = ()
    range_test: RangeTest | None = None
    groups: tuple[GroupRate, ...] = ()
    cost: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cost", {str(k): int(v) for k, v in dict(self.cost).items()})
        object.__setattr__(self, "findings", tuple(self.findings))
        object.__setattr__(self, "groups", tuple(self.groups))
        object.__setattr__(self, "candidates", tuple(sorted(self.candidates, key=lambda c: c.lr)))
        object.__setattr__(self, "config", dict(self.config))
        object.__setattr__(self, "rounds", tuple(tuple(float(x) for x in r) for r in self.rounds))

    def __repr__(self) -> str:
        cands = ", ".join(f"{c.lr:g}: {c.kind.value}" for c in self.candidates)
        return f"SweepResult(chosen_lr={self.chosen_lr!r}, candidates={{{cands}}}, findings={len(self.findings)})"

    @property
    def chosen_lr(self) -> float | None:
        """The chosen learning rate, or ``None`` when no candidate was good (see ``decision.advice``)."""
        return self.decision.lr

    @property
    def search_steps(self) -> int:
        """Every training step the search spent: candidates (each step of each, a continued
        candidate's new steps only), the torch engine's timing probe, a range test run alongside.
        A result without ``cost`` (saved by an older lrscout) counts its candidates' steps."""
        if self.cost:
            return sum(self.cost.values())
        return sum(c.steps_used for c in self.candidates)

    @property
    def train_steps(self) -> int | None:
        """The length of the run the rate was chosen for (``sweep(train_steps=...)``), or None."""
        value = self.config.get("train_steps")
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def window_of(self, lr: float) -> int | None:
        """The steps the rate at ``lr`` was asked to train: the window of the last round that
        asked for it (a budgeted search gives its rates different windows), else the sweep's."""
        windows = self.config.get("round_windows")
        if isinstance(windows, (list, tuple)) and len(windows) == len(self.rounds):
            for rates, window in zip(reversed(self.rounds), reversed(windows)):
                if any(abs(r - lr) <= 1e-9 * abs(lr) for r in rates) and isinstance(window, int):
                    return window
        steps = self.config.get("steps")
        return steps if isinstance(steps, int) and not isinstance(steps, bool) else None

    def horizon_note(self) -> str:
        """What run length the choice is for, and what the search cost, in one sentence."""
        windows = [int(w) for w in self.config.get("round_windows", ()) if isinstance(w, (int, float))]
        longest = max(windows) if windows else int(self.config.get("steps", 0) or 0) or None
        read = f"read over windows of up to {longest} steps" if longest else "read over its windows"
        cost = f"the search trained {self.search_steps} steps"
        train = self.train_steps
        if train is not None:
            return f"chosen for a {train}-step run ({read}; {cost}, {100 * self.search_steps / train:.0f}% of the run)"
        if longest:
            return (f"read over {longest}-step windows: good for runs of about that length; pass train_steps "
                    f"(--train-steps) for a longer run ({cost})")
        return f"{read} ({cost})"

    @property
    def group_lrs(self) -> dict[str, float]:
        """The rate of each named parameter group (``groups``), by name; empty when none was searched
        or no rate was chosen."""
        return {g.name: g.lr for g in self.groups if g.lr is not None}

    @property
    def lrs(self) -> tuple[float, ...]:
        """Every learning rate run, ascending."""
        return tuple(c.lr for c in self.candidates)

    @checked(lr=Real(low=0.0, low_open=True))
    def candidate(self, lr: float) -> Candidate:
        """The candidate run at ``lr`` (relative tolerance 1e-9); ``UnknownCandidateError`` (a
        ``KeyError``) names the rates run when there is none."""
        for c in self.candidates:
            if abs(c.lr - lr) <= 1e-9 * max(abs(lr), 1e-300):
                return c
        raise UnknownCandidateError(f"no candidate at lr {lr:g}; the sweep ran "
                                    f"{', '.join(f'{x:g}' for x in self.lrs) or 'no candidates'}")

    @checked(total_steps=Int(2))
    def recommend_schedule(self, total_steps: int, kind: str = "warmup_cosine", **options: Any) -> "Recommendation":
        """A schedule around the chosen rate for a ``total_steps`` run, with its reasons.

        See ``lrscout.core.recommendation.recommend_schedule`` (``problem=`` replays the warm-up on it).
        """
        return _service("recommend")(self, total_steps, kind, **options)

    def verdicts(self) -> dict[float, VerdictKind]:
        """Each learning rate's verdict kind."""
        return {c.lr: c.kind for c in self.candidates}

    def summary(self) -> str:
        """A plain-text table, the decision and the findings (the CLI prints a coloured version)."""
        from .summary import summary_text

        return summary_text(self)

    # views from the output layer (registered by lrscout/__init__.py; see register_html_views) --
    @checked(path=Optional(PathArg()))
    def to_html(self, path: str | os.PathLike[str] | None = None, *, title: str | None = None,
                schedule: Any = None) -> Path | str:
        """The interactive HTML report: written to ``path`` (returned), or returned as a string.

        ``schedule`` adds a recommended schedule's plot: a ``Recommendation`` from
        ``recommend_schedule``, or anything with ``schedule``, ``total_steps`` and ``reasons``.
        The same as ``lrscout.report.to_html(result, path)``.
        """
        return _service("page")(self, path, title=title, schedule=schedule)

    def _repr_html_(self) -> str:
        """Jupyter's view: the decision, a table of candidates and the curves (a small PNG)."""
        return _service("notebook")(self)

    # serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (NaN/inf as null), tagged with the schema and lrscout's version."""
        return {
            "schema": SCHEMA,
            "lrscout_version": __version__,
            "decision": self.decision.to_dict(),
            "candidates": [c.to_dict() for c in self.candidates],
            "thresholds": self.thresholds.to_dict(),
            "config": dict(self.config),
            "rounds": [list(r) for r in self.rounds],
            "findings": [f.to_dict() for f in self.findings],
            "range_test": None if self.range_test is None else self.range_test.to_dict(),
            "groups": [g.to_dict() for g in self.groups],
            "cost": dict(self.cost),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "SweepResult":
        """The result ``to_dict`` gave; anything else raises ``ResultsFileError`` saying what is wrong."""
        if not isinstance(data, Mapping) or data.get("schema") != SCHEMA:
            found = data.get("schema") if isinstance(data, Mapping) else type(data).__name__
            raise ResultsFileError(f"not an lrscout sweep result (schema {found!r}, expected {SCHEMA!r})")
        try:
            return cls(
                candidates=tuple(Candidate.from_dict(c) for c in data["candidates"]),
                decision=Decision.from_dict(data["decision"]),
                thresholds=Thresholds.from_dict(data.get("thresholds", {})),
                config=data.get("config", {}),
                rounds=tuple(tuple(r) for r in data.get("rounds", ())),
                findings=tuple(Finding.from_dict(f) for f in data.get("findings", ())),
                range_test=None if data.get("range_test") is None else RangeTest.from_dict(data["range_test"]),
                groups=tuple(GroupRate.from_dict(g) for g in data.get("groups", ())),
                cost=data.get("cost") or {},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ResultsFileError(f"malformed lrscout sweep result: {exc}") from exc

    def to_json(self, indent: int | None = None) -> str:
        """``to_dict`` as JSON text; ``from_json`` reads it back equal to this result."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> "SweepResult":
        """The result ``to_json`` wrote; text that is not one raises ``ResultsFileError``."""
        if not isinstance(text, (str, bytes, bytearray)):
            raise ResultsFileError(f"text must be the JSON text of a result (a str), got {type(text).__name__}; "
                                   "to read a file, use SweepResult.load(path)")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ResultsFileError(f"results are not valid JSON: {exc}") from exc
        return cls.from_dict(data)

    @checked(path=PathArg())
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write JSON atomically: a crash leaves the old file or the new one, never half of one.

        A path that names a folder, sits in a folder that does not exist, or cannot be written
        raises ``ResultsFileError`` naming the path and what to do; nothing is left behind.
        """
        p = Path(path)
        check_writable(p, "save results")
        text = self.to_json(indent=1)
        try:
            return write_atomic(p, text)
        except OSError as exc:
            raise ResultsFileError(f"cannot save results to {str(p)!r}: {exc.strerror or exc}; "
                                   "choose a path you can write to") from None

    @classmethod
    @checked(path=PathArg())
    def load(cls, path: str | os.PathLike[str]) -> "SweepResult":
        """Read a file written by ``save`` or ``--json``; a file that is not one raises ``ResultsFileError``."""
        p = Path(path)
        if p.is_dir():
            raise ResultsFileError(f"cannot read results from {str(p)!r}: it is a folder; give the path of a "
                                   "results file (written by --json or result.save)")
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise ResultsFileError(f"cannot read results file {str(p)!r}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError:
            raise ResultsFileError(f"{str(p)!r} is not a results file: it is not text (lrscout writes results "
                                   "as JSON with --json or result.save)") from None
        try:
            return cls.from_json(text)
        except ResultsFileError as exc:
            raise ResultsFileError(f"{str(p)!r}: {exc}") from exc

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SweepResult) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


# This value imports none of the modules that build on it: the output layer's HTML views
# (``to_html``, ``_repr_html_``) and the schedule recommendation, which reads a SweepResult
# (``recommend_schedule``), reach it through this registry. lrscout/__init__.py fills it, with
# views that import lrscout.report only when called, so ``import lrscout`` stays light.
_SERVICES: dict[str, Callable[..., Any]] = {}


def register_html_views(*, page: Callable[..., Path | str], notebook: Callable[["SweepResult"], str]) -> None:
    """Set the functions behind ``SweepResult.to_html`` (``page(result, path, title=, schedule=)``)
    and ``SweepResult._repr_html_`` (``notebook(result)``)."""
    _SERVICES.update(page=page, notebook=notebook)


def register_recommender(recommend: Callable[..., "Recommendation"]) -> None:
    """Set the function behind ``SweepResult.recommend_schedule`` (``recommend(result, total_steps,
    kind, **options)``: ``lrscout.core.recommendation.recommend_schedule``)."""
    _SERVICES["recommend"] = recommend


def _service(name: str) -> Callable[..., Any]:
    try:
        return _SERVICES[name]
    except KeyError:
        raise RuntimeError(f"no {name!r} service is registered; lrscout/__init__.py registers them when "
                           "lrscout is imported") from None
