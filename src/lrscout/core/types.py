"""The values that flow through a sweep: what a problem reports, what analysis concludes.

All are frozen dataclasses that carry their evidence as numbers and a human reason, so every
decision can be explained, serialised (``to_dict``/``from_dict``) and tested.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from typing import Any, Mapping, Sequence, overload

import numpy as np

from ..errors import InvalidConfigError
from .curves import compact_curve, compacted_size, frozen_curve
from .._validation import non_negative_int, positive_int


class VerdictKind(str, Enum):
    """What a loss curve says about its learning rate."""

    GOOD = "good"                 # smooth, fast, mostly monotonic drop
    TOO_SLOW = "too_slow"         # almost flat: too low
    OSCILLATING = "oscillating"   # saw-tooth or zigzag: too high
    UNSTABLE = "unstable"         # gain, then explosion: borderline
    DIVERGED = "diverged"         # NaN/inf or cost exploding: far too high
    FAILED = "failed"             # training raised; nothing to read

    @property
    def is_stable(self) -> bool:
        """Stable curves are the ones a learning rate may be chosen from, or below."""
        return self in (VerdictKind.GOOD, VerdictKind.TOO_SLOW)

    @property
    def is_too_high(self) -> bool:
        return self in (VerdictKind.OSCILLATING, VerdictKind.UNSTABLE, VerdictKind.DIVERGED)


def _float_or_none(value: float | None) -> float | None:
    """JSON has no NaN/inf: non-finite numbers are stored as null."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _array_to_list(values: np.ndarray | None) -> list[float | None] | None:
    if values is None:
        return None
    return [_float_or_none(v) for v in values.tolist()]


@overload
def _array_from_list(values: Sequence[float | None]) -> np.ndarray: ...
@overload
def _array_from_list(values: Sequence[float | None] | None) -> np.ndarray | None: ...
def _array_from_list(values: Sequence[float | None] | None) -> np.ndarray | None:
    if values is None:
        return None
    return _frozen_array([math.nan if v is None else v for v in values])


def _frozen_array(values: Any) -> np.ndarray:
    array = np.array(values, dtype=np.float64).ravel()
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class Evidence:
    """The numbers a verdict rests on; ``lrscout.core.analysis`` documents each measurement."""

    steps: int
    start_loss: float
    end_loss: float
    best_loss: float
    relative_decrease: float
    progress: float
    monotonicity: float
    alternation: float
    residual_autocorr: float
    wiggle: float
    noise: float
    peak_ratio: float
    rebound: float
    first_nonfinite: int | None = None
    update_cosine: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = value if isinstance(value, int) or value is None else _float_or_none(value)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Evidence":
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            value = data.get(f.name)
            if f.name in ("steps", "first_nonfinite"):
                kwargs[f.name] = value
            elif f.name == "update_cosine":
                kwargs[f.name] = None if value is None else float(value)
            else:
                kwargs[f.name] = math.nan if value is None else float(value)
        return cls(**kwargs)


@dataclass(frozen=True)
class Verdict:
    """A curve's reading: its kind, one human sentence, and the numbers behind it.

    ``knife_edge`` names the thresholds (fields of ``Thresholds``) that a measurement deciding
    this reading lay within ``Thresholds.knife_edge`` of: a last-digit difference in the curve,
    such as another CPU's BLAS kernels give, could read it otherwise. The reason says which
    numbers; empty when the reading is clear of every threshold it was tested against.
    """

    kind: VerdictKind
    reason: str
    evidence: Evidence | None = None
    knife_edge: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "knife_edge", tuple(self.knife_edge))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "reason": self.reason,
            "evidence": None if self.evidence is None else self.evidence.to_dict(),
            "knife_edge": list(self.knife_edge),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Verdict":
        evidence = data.get("evidence")
        return cls(
            kind=VerdictKind(data["kind"]),
            reason=str(data["reason"]),
            evidence=None if evidence is None else Evidence.from_dict(evidence),
            knife_edge=tuple(str(name) for name in data.get("knife_edge") or ()),   # older results lack it
        )


# The per-step curves a trace carries: ``train_loss`` first, the only one every trace has.
_CURVES = ("train_loss", "grad_norm", "update_cosine", "update_ratio")


@dataclass(frozen=True, eq=False)
class Trace:
    """What a problem reports for one learning rate after a short training window.

    ``train_loss[t]`` is the training loss at step ``t`` before that step's update, so
    ``train_loss[0]`` is the loss at the shared starting point. ``steps_used`` is shorter than
    the window when the candidate was pruned (``pruned``) or failed (``error``).

    Optional per-step measurements, when the problem reports them: ``grad_norm[t]``, the
    gradient's global L2 norm at step ``t``; ``update_cosine``, the cosine between each update
    and the one before it (one fewer than the updates); ``update_ratio[t]``,
    ||theta_{t+1} - theta_t|| / ||theta_t|| for each update applied -- how much of the weights
    one step rewrites (around 1e-3 is the usual healthy size for SGD-type training; 1e-1 and
    more rewrites a large part of the weights every step).

    Curves are kept as read-only float32 arrays (see ``frozen_curve``). ``compact`` shortens
    them for keeping many long windows; a compacted trace records its ``stride`` and the
    number of steps it was compacted from (``compacted_from``), so ``steps_used`` stays the
    number of steps trained and ``loss_steps`` places each point at its step.
    """

    lr: float
    train_loss: np.ndarray
    val_loss: float | None = None
    grad_norm: np.ndarray | None = None
    update_cosine: np.ndarray | None = None
    update_ratio: np.ndarray | None = None
    pruned: bool = False
    error: str | None = None
    stride: int = 1
    compacted_from: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "lr", float(self.lr))
        object.__setattr__(self, "train_loss", frozen_curve(self.train_loss))
        for name in _CURVES[1:]:  # the optional ones
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, frozen_curve(value))
        if self.val_loss is not None:
            object.__setattr__(self, "val_loss", float(self.val_loss))
        stride = positive_int("stride", self.stride)
        object.__setattr__(self, "stride", stride)
        if stride == 1:
            if self.compacted_from is not None:
                raise InvalidConfigError(f"compacted_from ({self.compacted_from!r}) belongs to a compacted trace, "
                                         "whose stride is above 1; got stride 1")
            return
        steps = non_negative_int("compacted_from", self.compacted_from)
        object.__setattr__(self, "compacted_from", steps)
        if self.train_loss.size != compacted_size(steps, stride):
            raise InvalidConfigError(f"a trace compacted from {steps} steps at stride {stride} keeps "
                                     f"{compacted_size(steps, stride)} training losses, got {self.train_loss.size}")

    @property
    def steps_used(self) -> int:
        """Steps trained (before any compaction): the window, or fewer if pruned or failed."""
        return int(self.train_loss.size) if self.compacted_from is None else self.compacted_from

    def loss_steps(self) -> np.ndarray:
        """The training step each point of ``train_loss`` stands for, for plots and exports.

        ``0 .. steps_used - 1`` at full resolution. On a compacted trace: step 0, then each
        block's middle step (rounded down), then the last step.
        """
        steps = self.steps_used
        if self.stride == 1 or steps <= 2:
            return np.arange(steps)
        starts = np.arange(1, steps - 1, self.stride)
        ends = np.minimum(starts + self.stride, steps - 1)
        return np.concatenate([[0], (starts + ends - 1) // 2, [steps - 1]])

    def compact(self, max_points: int) -> "Trace":
        """This trace with every curve at most ``max_points`` long (at least 3).

        Long windows cost memory and megabytes of report for detail no plot can show. Each
        curve keeps its first point (the shared start) and its last exactly, and averages the
        steps between them in blocks of ``stride`` steps, one stride for every curve
        (``compact_curve`` says how a block is averaged, and why). A trace that already fits
        comes back unchanged. Read verdicts before compacting: the analysis needs every step.
        """
        max_points = positive_int("max_points", max_points, minimum=3)
        longest = max(curve.size for curve in self._curves().values())
        if longest <= max_points:
            return self
        if self.stride > 1:
            raise InvalidConfigError(f"this trace is already compacted to {longest} points (stride {self.stride}); "
                                     f"compact the full-resolution trace to reach max_points={max_points} "
                                     "(a sweep's journal keeps every step)")
        stride = -(-(longest - 2) // (max_points - 2))
        compacted: dict[str, Any] = {name: compact_curve(curve, stride, magnitude=name != "update_cosine")
                     for name, curve in self._curves().items()}
        return replace(self, **compacted, stride=stride, compacted_from=self.steps_used)

    def _curves(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in _CURVES if getattr(self, name) is not None}


@dataclass(frozen=True, eq=False)
class Candidate:
    """One learning rate of a sweep: its trace and the verdict read from it."""

    trace: Trace
    verdict: Verdict

    def __repr__(self) -> str:
        return (f"Candidate(lr={self.lr:g}, verdict={self.kind.value!r}, steps_used={self.steps_used}, "
                f"val_loss={self.val_loss!r}, reason={self.verdict.reason!r})")

    @property
    def lr(self) -> float:
        return self.trace.lr

    @property
    def train_loss(self) -> np.ndarray:
        return self.trace.train_loss

    @property
    def val_loss(self) -> float | None:
        return self.trace.val_loss

    @property
    def steps_used(self) -> int:
        return self.trace.steps_used

    @property
    def kind(self) -> VerdictKind:
        return self.verdict.kind

    @property
    def final_train_loss(self) -> float | None:
        """Mean of the last tenth of the finite training losses (a noise-robust end level).

        A compacted trace (``Trace.compact``) no longer holds those steps, so it reports the end
        level its verdict read from every step before compaction: the same number either way.
        """
        ev = self.verdict.evidence
        if self.trace.stride > 1 and ev is not None and math.isfinite(ev.end_loss):
            return float(ev.end_loss)
        finite = self.train_loss[np.isfinite(self.train_loss)]
        if finite.size == 0:
            return None
        tail = max(1, min(finite.size, self.train_loss.size // 10 or 1))
        return float(finite[-tail:].mean(dtype=np.float64))

    def to_dict(self) -> dict[str, Any]:
        t = self.trace
        return {
            "lr": t.lr,
            "train_loss": _array_to_list(t.train_loss),
            "val_loss": _float_or_none(t.val_loss),
            "val_loss_nonfinite": t.val_loss is not None and not math.isfinite(t.val_loss),
            "grad_norm": _array_to_list(t.grad_norm),
            "update_cosine": _array_to_list(t.update_cosine),
            "update_ratio": _array_to_list(t.update_ratio),
            "pruned": t.pruned,
            "error": t.error,
            "stride": t.stride,
            "compacted_from": t.compacted_from,
            "verdict": self.verdict.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Candidate":
        val = data.get("val_loss")
        if val is None and data.get("val_loss_nonfinite"):
            val = math.inf
        trace = Trace(
            lr=float(data["lr"]),
            train_loss=_array_from_list(data["train_loss"]),
            val_loss=val,
            grad_norm=_array_from_list(data.get("grad_norm")),
            update_cosine=_array_from_list(data.get("update_cosine")),
            update_ratio=_array_from_list(data.get("update_ratio")),
            pruned=bool(data.get("pruned", False)),
            error=data.get("error"),
            stride=data.get("stride", 1),
            compacted_from=data.get("compacted_from"),
        )
        return cls(trace=trace, verdict=Verdict.from_dict(data["verdict"]))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Candidate) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


class DecisionStatus(str, Enum):
    """Whether a learning rate was chosen."""

    CHOSEN = "chosen"
    NO_GOOD_CANDIDATE = "no_good_candidate"


@dataclass(frozen=True)
class Decision:
    """The chosen learning rate (or none), with the reasons and what to do next."""

    status: DecisionStatus
    lr: float | None
    reasons: tuple[str, ...] = ()
    advice: tuple[str, ...] = ()
    largest_good_lr: float | None = None

    @property
    def chosen(self) -> bool:
        """Whether a learning rate was chosen (``lr`` is then not ``None``)."""
        return self.status is DecisionStatus.CHOSEN

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "lr": self.lr,
            "reasons": list(self.reasons),
            "advice": list(self.advice),
            "largest_good_lr": self.largest_good_lr,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Decision":
        return cls(
            status=DecisionStatus(data["status"]),
            lr=None if data.get("lr") is None else float(data["lr"]),
            reasons=tuple(data.get("reasons", ())),
            advice=tuple(data.get("advice", ())),
            largest_good_lr=None if data.get("largest_good_lr") is None else float(data["largest_good_lr"]),
        )


class FindingKind(str, Enum):
    """Problems that look like a bad learning rate but are not: diagnosed before blaming the rate."""

    FEATURE_SCALING = "feature_scaling"
    EXPLODING_GRADIENTS = "exploding_gradients"
    NOISY_BATCHES = "noisy_batches"
    OVERFITTING = "overfitting"
    GRID_EDGE = "grid_edge"
    CLASS_BALANCE = "class_balance"
    SEPARABLE = "separable"


class Severity(str, Enum):
    """How much a finding matters; ``warning`` findings are listed before ``info`` ones."""

    INFO = "info"
    WARNING = "warning"


def as_sentence(text: str) -> str:
    """``text`` ending with a full stop, so that a sentence printed after it does not run into it."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?", ":")) else text + "."


@dataclass(frozen=True)
class Finding:
    """One diagnosis: what was found, how sure, the numbers, and one sentence saying what to do."""

    kind: FindingKind
    severity: Severity
    summary: str
    remedy: str
    evidence: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "severity": self.severity.value, "summary": self.summary,
                "remedy": self.remedy, "evidence": {k: _float_or_none(v) for k, v in self.evidence.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Finding":
        return cls(FindingKind(data["kind"]), Severity(data["severity"]), str(data["summary"]),
                   str(data["remedy"]),
                   {k: (math.nan if v is None else float(v)) for k, v in data.get("evidence", {}).items()})


@dataclass(frozen=True, eq=False)
class RangeTest:
    """Smith's one-run LR range test: the learning rate ramps up while the loss is recorded.

    ``suggestions`` maps a rule's name (e.g. ``"steepest"``, ``"min_over_10"``, ``"valley"``)
    to its learning rate; ``reasons`` gives each rule's formula and outcome in words.
    ``suggested_lr`` is the ``DEFAULT_RULE``'s, the one to use when you want one number.
    """

    # Chosen by benchmarks/quality (10 tasks x 3 seeds, each pick trained for the full budget):
    # min_over_10 had median regret +10.3% (worst +378%); steepest +10.9% (worst +1188%);
    # valley +31.0% (worst +327%). Over 4 holdout tasks added later its worst case stayed the
    # smallest (+94% against +521% and +1028%) but steepest had the lower median (+52% vs +79%).
    DEFAULT_RULE = "min_over_10"

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestions: Mapping[str, float]
    reasons: Mapping[str, str] = field(default_factory=dict)
    stopped_early: bool = False

    def __post_init__(self) -> None:
        for name in ("lrs", "losses", "smoothed"):
            object.__setattr__(self, name, _frozen_array(getattr(self, name)))
        object.__setattr__(self, "suggestions", dict(self.suggestions))
        object.__setattr__(self, "reasons", dict(self.reasons))

    @property
    def suggested_lr(self) -> float | None:
        """The ``DEFAULT_RULE``'s suggestion; None when it made none (``reasons`` says why)."""
        return self.suggestions.get(self.DEFAULT_RULE)

    def to_dict(self) -> dict[str, Any]:
        return {"lrs": _array_to_list(self.lrs), "losses": _array_to_list(self.losses),
                "smoothed": _array_to_list(self.smoothed), "suggestions": dict(self.suggestions),
                "reasons": dict(self.reasons), "stopped_early": self.stopped_early}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "RangeTest":
        return cls(_array_from_list(data["lrs"]), _array_from_list(data["losses"]),
                   _array_from_list(data["smoothed"]), dict(data.get("suggestions", {})),
                   dict(data.get("reasons", {})), bool(data.get("stopped_early", False)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RangeTest) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


def ratio_text(ratio: float) -> str:
    """A ratio as people write it: "1x", "1/3", "1/10", or "0.25x" when 1/ratio is not a whole number."""
    if ratio == 1.0:
        return "1x"
    inverse = 1.0 / ratio
    if ratio < 1.0 and abs(inverse - round(inverse)) <= 1e-9 * inverse:
        return f"1/{round(inverse)}"
    return f"{ratio:.3g}x"


@dataclass(frozen=True, eq=False)
class GroupRate:
    """The learning rate of one named parameter group (e.g. a pretrained body, a new head), with
    the evidence for it.

    The first group of a per-group search trains at the sweep's chosen rate (``ratio`` 1); for
    every other group, rates at several ratios of it were trained (``candidates``, each read like
    any candidate) and ``decision`` chose among them. ``params`` names the group's parameters, so
    the rates can be applied to another optimizer over the same model. ``lr`` and ``ratio`` are
    ``None`` when nothing was searched; ``reasons`` say why, or how the rate was chosen.
    """

    name: str
    lr: float | None
    ratio: float | None
    params: tuple[str, ...]
    reasons: tuple[str, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    decision: Decision | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", tuple(self.params))
        object.__setattr__(self, "reasons", tuple(self.reasons))
        object.__setattr__(self, "candidates", tuple(sorted(self.candidates, key=lambda c: c.lr)))

    def __repr__(self) -> str:
        rate = "not searched" if self.lr is None else f"lr={self.lr:g} ({ratio_text(self.ratio or 1.0)})"
        return f"GroupRate({self.name!r}, {rate}, {len(self.params)} parameter tensor(s))"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "lr": self.lr, "ratio": self.ratio, "params": list(self.params),
                "reasons": list(self.reasons), "candidates": [c.to_dict() for c in self.candidates],
                "decision": None if self.decision is None else self.decision.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "GroupRate":
        return cls(str(data["name"]), None if data.get("lr") is None else float(data["lr"]),
                   None if data.get("ratio") is None else float(data["ratio"]),
                   tuple(str(p) for p in data.get("params", ())), tuple(data.get("reasons", ())),
                   tuple(Candidate.from_dict(c) for c in data.get("candidates", ())),
                   None if data.get("decision") is None else Decision.from_dict(data["decision"]))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GroupRate) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


__all__ = [
    "Candidate",
    "Decision",
    "DecisionStatus",
    "Evidence",
    "Finding",
    "FindingKind",
    "GroupRate",
    "RangeTest",
    "Severity",
    "Trace",
    "Verdict",
    "VerdictKind",
]
