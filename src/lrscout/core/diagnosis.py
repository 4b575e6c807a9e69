"""Diagnosing what is not a learning-rate problem: candidates and a decision in, ``Finding``s out.

The seeds list failure modes "frequently confused with bad learning rate" and ask to diagnose
before changing alpha blindly. ``diagnose`` reads a finished sweep (pure NumPy, never trains)
and reports each with the numbers behind it and one sentence saying what to do. Every number
below is a field of ``DiagnosisThresholds``; the reading thresholds (``lrscout.Thresholds``) it
shares with the curve analysis are passed as ``reading``.

- **Feature scaling.** From the data, when the problem reports ``DataStats`` (the built-in
  models do): the condition number of the design ``[X 1]`` before and after standardizing each
  feature. That matrix is the Hessian of least squares (and of the logistic and softmax losses
  at their start, up to a constant), so its condition number is how many times slower the
  flattest direction moves than the steepest one allows: when standardizing would divide it
  by ``scaling_condition_gain`` or more, the features are the problem. From the dynamics,
  when there are no data statistics: a candidate whose consecutive updates point back and
  forth (median cosine at or below ``reading.zigzag_cosine``) while its loss is still falling
  clearly in the second half of its window is crossing a long, narrow valley -- the zigzag of
  badly scaled inputs. Overshooting a round valley zigzags too, but only once the loss has
  reached its floor, so it is not "still falling". With data statistics the data decide, so
  a well-conditioned problem's ordinary overshoot is never blamed on scaling.
- **Exploding gradients.** Gradient norms are compared with a baseline: the larger of their
  running median (``spike_window`` steps) and the largest norm the same batches gave so far
  at the smallest rate (which barely moves the model, so that is the batches' own spread). A
  *spike* is a norm ``spike_factor`` x its baseline while the loss is still no higher than at
  the start: the gradient exploded out of a training phase, a cliff. *Runaway growth* is a
  norm that grows in one step by ``spike_factor`` x more than any fixed curvature explains: a
  curvature the largest stable rate ``s`` survives multiplies the gradient by at most
  ``2 lr / s - 1`` per step, so a larger jump means the curvature itself grows with the
  weights, as in deep unnormalised networks. A plain too-high rate diverges within that bound
  (geometrically, however fast) and is left to the verdicts, as is a jump that comes with a
  loss already ``diverge_ratio`` x its start: the divergence explains it (Adam moves every
  weight by about lr whatever the gradient, so far above the edge it outruns SGD's bound).
- **Noisy mini-batches.** Every candidate sees the same batches in the same order, so the
  smallest rate's curve measures the batches' own variation. Rates a factor
  ``same_curve_lr_ratio`` or more apart that trace the same curve (step for step, within
  ``same_curve`` of its range) do not move the model; if such curves were read as unstable,
  diverged or oscillating, the batches' jumps were misread as a too-high rate (and the grid is
  not blamed). Otherwise the finding reports batch noise at or above ``noisy_level`` (the
  log-loss residual's robust standard deviation at the smallest rate). Full-batch training has
  no batch noise and gets no such finding.
- **Overfitting.** The rate the training curves would choose (or the chosen one) reached a
  lower training loss than the stable candidate with the best validation loss, but a validation
  loss worse by more than ``reading.val_margin``: training and validation disagree. A warning
  from ``overfit_warning_gap`` on, else info (the validation re-check already chose around it).
- **Grid edge.** The chosen rate is the largest (or smallest) tried, or no rate was chosen and
  every candidate was too slow (or too high): the grid did not bracket the good range.
- **Class balance.** From the data, for classifiers: a class that appears in the validation
  split but never in the training split (the model cannot learn it, so its validation loss
  says nothing about the rate), a class with fewer than ``rare_class_rows`` training rows (a
  warning: too few to learn from or to judge a rate by) or under ``rare_class_share`` of them
  (info: the loss, and so every curve, is mostly the other classes').
- **Separable classes.** For classifiers: at the chosen rate the training loss ends below
  ``separable_loss`` and below the next smaller stable rate's, at the same step, by at least
  the square root of their ratio (where classes overlap, larger stable rates end level at the
  loss's floor). A boundary separates the training classes, so an unregularised model's weights
  grow for as long as it trains; its loss on new rows can rise while a small validation split
  shows nothing. The run's length, not the rate, sets how far it goes (benchmarks/TABLES.md:
  the largest misses of the command line on small tables are such data).

Findings come warnings first; each kind appears at most once.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import InvalidConfigError
from .._validation import InstanceOf, SequenceOf, checked, finite_real, positive_int
from ..data.stats import DataStats
from .analysis import SAME_CURVE_TOLERANCE, TINY, same_curve
from .selection import BLIND_DECADES
from .thresholds import DEFAULT_THRESHOLDS, Thresholds, known_fields
from .types import Candidate, Decision, Finding, FindingKind, Severity, VerdictKind


@dataclass(frozen=True)
class DiagnosisThresholds:
    """The named numbers behind every finding; override any (``DiagnosisThresholds(spike_factor=20)``).

    - ``scaling_condition_gain``: standardizing the features would divide the condition number
      of the design by at least this much (30: about one and a half decades of speed along the
      flattest direction) -- one-hot or min-max scaled features stay below it, raw physical
      units far above.
    - ``late_window``: the fraction of a window, at its end, in which a zigzagging curve must
      still fall beyond its noise to count as the zigzag of a narrow valley.
    - ``spike_factor``: a gradient norm this many times its baseline is a spike.
    - ``spike_window``: steps in the running median of the gradient norm.
    - ``clip_percentile``: the percentile of the gradient norms in stable steps suggested as the
      clipping threshold (high enough to leave ordinary steps alone).
    - ``same_curve``: a curve that stays within this fraction of another's range of values (on
      the log scale) at every shared step traces the same curve.
    - ``same_curve_lr_ratio``: rates at least this factor apart that trace the same curve do not
      move the model.
    - ``noisy_level``: the smallest rate's per-step log-loss noise (robust standard deviation)
      at or above which batches make the curves hard to read (0.5: the loss varies by a factor
      of about 1.65 from batch to batch).
    - ``min_steps``: fewer steps than this are too few to measure a curve's noise or its trend.
    - ``overfit_warning_gap``: a validation loss at least this much worse (relative) than the best
      is a warning; a smaller disagreement, which the validation re-check already steers the
      choice around, is noted as info.
    - ``rare_class_rows``: a class with fewer training rows than this is too rare to learn from
      or to judge a rate by (10: a mini-batch of 32 then holds one about every few batches at
      best, and a validation split a row or two).
    - ``rare_class_share``: a class under this share of the training rows leaves the loss, and
      every curve, mostly to the other classes (0.01: one row in a hundred).
    - ``separable_loss``: a classifier whose training loss at the chosen rate ends below this
      (mean cross-entropy per row; 0.05: about 95% on the right class), and below the next
      smaller stable rate's by at least the square root of their ratio, is fitting classes
      that a boundary separates: its weights grow without end.
    """

    scaling_condition_gain: float = 30.0
    late_window: float = 0.5
    spike_factor: float = 10.0
    spike_window: int = 10
    clip_percentile: float = 90.0
    same_curve: float = SAME_CURVE_TOLERANCE
    same_curve_lr_ratio: float = 3.0
    noisy_level: float = 0.5
    min_steps: int = 20
    overfit_warning_gap: float = 0.25
    rare_class_rows: int = 10
    rare_class_share: float = 0.01
    separable_loss: float = 0.05

    def __post_init__(self) -> None:
        finite_real("scaling_condition_gain", self.scaling_condition_gain, low=1.0, low_open=True)
        finite_real("late_window", self.late_window, low=0.0, high=1.0, low_open=True)
        finite_real("spike_factor", self.spike_factor, low=1.0, low_open=True)
        positive_int("spike_window", self.spike_window)
        finite_real("clip_percentile", self.clip_percentile, low=0.0, high=100.0, low_open=True)
        finite_real("same_curve", self.same_curve, low=0.0, low_open=True)
        finite_real("same_curve_lr_ratio", self.same_curve_lr_ratio, low=1.0, low_open=True)
        finite_real("noisy_level", self.noisy_level, low=0.0, low_open=True)
        positive_int("min_steps", self.min_steps, minimum=4)
        finite_real("overfit_warning_gap", self.overfit_warning_gap, low=0.0)
        positive_int("rare_class_rows", self.rare_class_rows, minimum=0)
        finite_real("rare_class_share", self.rare_class_share, low=0.0, high=1.0)
        finite_real("separable_loss", self.separable_loss, low=0.0, low_open=True)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "DiagnosisThresholds":
        return cls(**known_fields(cls, data))


DEFAULT_DIAGNOSIS_THRESHOLDS = DiagnosisThresholds()


@checked(candidates=SequenceOf(lambda: (Candidate,), "a sequence of lrscout.Candidate (a result's .candidates)"),
         decision=InstanceOf(lambda: (Decision,), "a lrscout.Decision (a result's .decision)"))
def diagnose(
    candidates: Sequence[Candidate],
    decision: Decision,
    *,
    data_stats: DataStats | None = None,
    thresholds: DiagnosisThresholds = DEFAULT_DIAGNOSIS_THRESHOLDS,
    reading: Thresholds = DEFAULT_THRESHOLDS,
) -> tuple[Finding, ...]:
    """Every finding a finished sweep supports, warnings first; never trains, never raises on data.

    ``reading`` is the ``Thresholds`` the curves were read with (``SweepResult.thresholds``).
    """
    if not isinstance(thresholds, DiagnosisThresholds):
        raise InvalidConfigError(f"thresholds must be a lrscout.DiagnosisThresholds, got {type(thresholds).__name__}")
    if not isinstance(reading, Thresholds):
        raise InvalidConfigError(f"reading must be a lrscout.Thresholds, got {type(reading).__name__}")
    if data_stats is not None and not isinstance(data_stats, DataStats):
        raise InvalidConfigError(f"data_stats must be a lrscout.DataStats or None, got {type(data_stats).__name__}")
    ordered = sorted(candidates, key=lambda c: c.lr)
    if not ordered:
        return ()
    with np.errstate(all="ignore"):  # extreme losses and norms are data here, not errors
        still = _not_moving(ordered, thresholds)
        misread = [c for c in still if c.kind.is_too_high]
        found = [
            _feature_scaling(ordered, data_stats, thresholds, reading),
            _exploding_gradients(ordered, thresholds, reading),
            _noisy_batches(ordered, still, misread, decision, data_stats, thresholds),
            _overfitting(ordered, decision, thresholds, reading),
            # too-high verdicts on rates that do not move the model say nothing about the grid
            None if misread else _grid_edge(ordered, decision),
            _class_balance(data_stats, thresholds),
            _separable(ordered, decision, data_stats, thresholds),
        ]
    findings = [f for f in found if f is not None]
    return tuple(sorted(findings, key=lambda f: f.severity is not Severity.WARNING))


# --- helpers -------------------------------------------------------------------------------

def _g(value: float) -> str:
    return f"{value:.3g}"


def _times(factor: float) -> str:
    """``"30x"``, or for a factor past float64's range, say so instead of printing inf."""
    return f"{_g(factor)}x" if math.isfinite(factor) else "more than 1.8e308 times"


def _big(value: float) -> str:
    return _g(value) if math.isfinite(value) else "beyond 1.8e308"


def _finite_prefix(values: np.ndarray) -> np.ndarray:
    """Values up to (not including) the first NaN/inf, in float64 (traces keep float32 curves)."""
    values = np.asarray(values, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    return values[: bad[0]] if bad.size else values


def _log_curve(losses: np.ndarray) -> np.ndarray | None:
    x = _finite_prefix(losses)
    return np.log(x) if x.size and np.all(x > 0) else None


# --- feature scaling -----------------------------------------------------------------------

def _zigzag_while_falling(candidates: Sequence[Candidate], t: DiagnosisThresholds,
                          reading: Thresholds) -> tuple[Candidate, float, float] | None:
    """The smallest rate whose updates zigzag while its loss still falls: (candidate, cosine, z).

    ``z`` is the fall over the last ``late_window`` of the window (first half of that stretch
    against its second half), in standard errors of the curve's own noise.
    """
    for c in candidates:
        ev = c.verdict.evidence
        if ev is None or ev.update_cosine is None or ev.update_cosine > reading.zigzag_cosine:
            continue
        level = _log_curve(c.train_loss)
        if level is None or level.size < t.min_steps or c.trace.pruned:
            continue
        late = level[level.size - max(4, int(t.late_window * level.size)):]
        half = late.size // 2
        drop = float(late[:half].mean() - late[half:].mean())
        standard_error = ev.noise * math.sqrt(1.0 / half + 1.0 / (late.size - half))
        z = drop / max(standard_error, TINY)
        if z > reading.significance:
            return c, float(ev.update_cosine), z
    return None


def _feature_scaling(candidates: Sequence[Candidate], stats: DataStats | None, t: DiagnosisThresholds,
                     reading: Thresholds) -> Finding | None:
    zig = _zigzag_while_falling(candidates, t, reading)
    zig_text = "" if zig is None else (
        f"; at lr {_g(zig[0].lr)} consecutive updates point back and forth (median cosine {zig[1]:.2f}) "
        "while the loss still falls: the zigzag across a long, narrow valley")
    zig_evidence = {} if zig is None else {"zigzag_lr": zig[0].lr, "zigzag_cosine": zig[1], "late_fall_z": zig[2]}
    remedy = ("Standardize the features (subtract each one's mean and divide by its standard deviation; "
              "--scale standard, fitted on the training split) and sweep again: scaling changes the good range.")
    if stats is not None and not math.isnan(stats.condition_gain):
        gain = stats.condition_gain
        if gain < t.scaling_condition_gain:
            return None  # the data are well conditioned: a zigzag there is plain overshoot
        far = math.sqrt(t.scaling_condition_gain)   # a factor that alone squares to the gain threshold
        if stats.scale_spread >= far:
            cause = f"their standard deviations span a factor of {_g(stats.scale_spread)}"
        elif stats.max_offset < far and (stats.largest_sd >= far or stats.smallest_sd <= 1.0 / far):
            cause = (f"their standard deviations ({_g(stats.smallest_sd)} to {_g(stats.largest_sd)}) are far from 1, "
                     "the scale of the intercept")
        else:
            cause = f"they are far from centred (a mean up to {_g(stats.max_offset)} standard deviations from 0)"
        return Finding(
            FindingKind.FEATURE_SCALING, Severity.WARNING,
            f"badly scaled features: {cause}, so the loss surface is a narrow valley; standardizing them "
            f"would make it {_times(gain)} better conditioned (condition number {_big(stats.condition_raw)} -> "
            f"{_g(stats.condition_standardized)}){zig_text}",
            remedy,
            {"condition_gain": gain, "condition_raw": stats.condition_raw,
             "condition_standardized": stats.condition_standardized, "scale_spread": stats.scale_spread,
             "max_offset": stats.max_offset, **zig_evidence},
        )
    if zig is None:
        return None
    return Finding(
        FindingKind.FEATURE_SCALING, Severity.INFO,
        "possibly badly scaled inputs" + zig_text,
        "Normalize the inputs (zero mean and unit variance per feature, or a normalisation layer) and "
        "sweep again: scaling changes the good range.",
        zig_evidence,
    )


# --- exploding gradients -------------------------------------------------------------------

@dataclass(frozen=True)
class _Explosion:
    candidate: Candidate
    step: int
    norm: float
    baseline: float     # the running level it is compared with
    growth: float       # the factor by which the norm grew in this one step
    bound: float        # the most a fixed curvature allows in one step at this rate
    loss_ratio: float   # loss at this step over the starting loss
    runaway: bool       # grew spike_factor x past the bound (else: a spike while still training)

    @property
    def ratio(self) -> float:
        return self.norm / self.baseline


def _explosions(candidates: Sequence[Candidate], t: DiagnosisThresholds, reading: Thresholds) -> list[_Explosion]:
    with_norms = [(c, c.trace.grad_norm) for c in candidates
                  if c.trace.grad_norm is not None and c.trace.grad_norm.size]
    if not with_norms:
        return []
    reference = np.asarray(with_norms[0][1], dtype=np.float64)
    # the batches' own spread: the largest norm the smallest rate (a nearly fixed model) met so far;
    # it floors every comparison, so a small gradient on an easy batch is never a denominator
    batch_max = np.maximum.accumulate(np.where(np.isfinite(reference), reference, 0.0))
    stable = [c.lr for c in candidates if c.kind.is_stable]
    out = []
    for c, grad_norm in with_norms:
        g = _finite_prefix(grad_norm)
        losses = np.asarray(c.train_loss, dtype=np.float64)
        start = float(losses[0]) if losses.size else math.nan
        below = [s for s in stable if s < c.lr]
        # a fixed curvature the largest stable rate s survives grows the gradient <= (2 lr / s - 1) x per step
        bound = max(1.0, 2.0 * c.lr / below[-1] - 1.0) if below else math.inf
        for step in range(1, g.size):
            floor = float(batch_max[min(step, batch_max.size - 1)])
            baseline = max(float(np.median(g[max(0, step - t.spike_window):step])), floor)
            growth = g[step] / max(float(g[step - 1]), floor, TINY)
            loss_ratio = float(losses[step] / start) if start > 0 else math.nan
            training = math.isfinite(loss_ratio) and loss_ratio <= 1.0
            # a loss that has already exploded explains its gradient: that is divergence, left to the
            # verdicts (an optimizer like Adam moves every weight by ~lr whatever the gradient, so at a
            # far too high rate the gradient outruns the SGD bound in the same step as the loss)
            runaway = growth >= t.spike_factor * bound and not loss_ratio >= reading.diverge_ratio
            if baseline <= 0 or not math.isfinite(growth):   # no gradient to compare with: nothing grew
                continue
            if (g[step] >= t.spike_factor * baseline and training) or runaway:
                out.append(_Explosion(c, step, float(g[step]), baseline, float(growth), bound, loss_ratio, runaway))
                break
    return out


def _clip_threshold(candidates: Sequence[Candidate], explosions: Sequence[_Explosion],
                    t: DiagnosisThresholds) -> float:
    """A high percentile of the gradient norms in stable steps (stable candidates, else pre-spike steps)."""
    norms = [_finite_prefix(c.trace.grad_norm) for c in candidates
             if c.kind.is_stable and c.trace.grad_norm is not None]
    if not any(n.size for n in norms):
        norms = [_finite_prefix(e.candidate.trace.grad_norm)[:e.step] for e in explosions
                 if e.candidate.trace.grad_norm is not None]
    pooled = np.concatenate(norms) if norms else np.array([])
    return float(np.percentile(pooled, t.clip_percentile)) if pooled.size else math.nan


def _exploding_gradients(candidates: Sequence[Candidate], t: DiagnosisThresholds,
                         reading: Thresholds) -> Finding | None:
    explosions = _explosions(candidates, t, reading)
    if not explosions:
        return None
    worst = max(explosions, key=lambda e: (e.runaway, e.ratio))
    clip = _clip_threshold(candidates, explosions, t)
    where = "" if len(explosions) == 1 else " at lr " + ", ".join(_g(e.candidate.lr) for e in explosions)
    if worst.runaway:
        how = (f"it grew {_g(worst.growth)}x in that one step, faster than any fixed curvature allows at this "
               f"rate ({_g(worst.bound)}x): the curvature grows with the weights")
    else:
        how = (f"{_g(worst.ratio)}x its running level ({_g(worst.baseline)}), while the loss was still "
               f"{_g(worst.loss_ratio)}x its start: a cliff, not a slow divergence")
    clip_text = (f"Clip the gradient norm at about {_g(clip)} (the {t.clip_percentile:.0f}th percentile of the "
                 f"norms in stable steps; torch.nn.utils.clip_grad_norm_(params, {_g(clip)}) or "
                 f"NumpyProblem(clip_norm={_g(clip)}))" if math.isfinite(clip) else "Clip the gradient norm")
    return Finding(
        FindingKind.EXPLODING_GRADIENTS, Severity.WARNING,
        f"exploding gradients{where}: at lr {_g(worst.candidate.lr)} the gradient norm jumped to "
        f"{_g(worst.norm)} at step {worst.step}, " + how,
        clip_text + ", or add normalisation layers, then sweep again.",
        {"lr": worst.candidate.lr, "step": float(worst.step), "grad_norm": worst.norm,
         "baseline_norm": worst.baseline, "spike_ratio": worst.ratio, "step_growth": worst.growth,
         "loss_ratio": worst.loss_ratio, "clip_norm": clip, "candidates": float(len(explosions))},
    )


# --- noisy mini-batches --------------------------------------------------------------------

def _not_moving(candidates: Sequence[Candidate], t: DiagnosisThresholds) -> list[Candidate]:
    """The smallest rate and the rates tracing its curve, when they span ``same_curve_lr_ratio``.

    Rates that far apart trace the same curve only if neither moves the model, so every wiggle
    of that curve -- however large -- is the batches' own variation. Empty when there is no
    such group.
    """
    reference = candidates[0]
    same = [c for c in candidates if c is reference or same_curve(c.train_loss, reference.train_loss, t.same_curve)]
    return same if len(same) >= 2 and same[-1].lr / reference.lr >= t.same_curve_lr_ratio else []



def _suggested_batch(stats: DataStats | None, noise: float, t: DiagnosisThresholds) -> int | None:
    """A batch size whose noise would be half the ``noisy_level`` (noise falls as 1/sqrt(batch))."""
    if stats is None or stats.batch_size is None or not math.isfinite(noise) or noise <= 0:
        return None
    wanted = stats.batch_size * max((noise / (t.noisy_level / 2.0)) ** 2, 4.0)
    return int(min(2 ** math.ceil(math.log2(wanted)), stats.n_samples))


def _noisy_batches(candidates: Sequence[Candidate], still: Sequence[Candidate], misread: Sequence[Candidate],
                   decision: Decision, stats: DataStats | None, t: DiagnosisThresholds) -> Finding | None:
    if stats is not None and stats.batch_size is None:
        return None  # full-batch training: there are no batches to be noisy
    reference = candidates[0]
    ref_log = _log_curve(reference.train_loss)
    jump = float(np.max(np.abs(np.diff(ref_log)))) if ref_log is not None and ref_log.size > 1 else math.nan
    ev = reference.verdict.evidence
    if ev is not None and reference.steps_used >= t.min_steps and ref_log is not None:
        noise = ev.noise
    elif misread:
        # too few steps for a residual, but the curve is the batches' alone: a jump between two
        # batches is the difference of two draws (sqrt(2) standard deviations), and the largest
        # of a few such jumps is about two of those
        noise = jump / (2.0 * math.sqrt(2.0))
    else:
        return None

    batch = _suggested_batch(stats, noise, t)
    batch_text = (f"Use batches of about {batch} (the noise falls as 1/sqrt(batch size))" if batch
                  else "Use larger batches (4x the batch size halves the noise)")
    remedy = (batch_text + ", read the curves smoothed, and lower the rate late in training with a "
              "decaying schedule.")
    evidence = {"reference_lr": reference.lr, "noise": noise,
                "max_jump": math.exp(jump) if math.isfinite(jump) else jump,
                **({"suggested_batch_size": float(batch)} if batch else {})}

    if misread:
        kinds = sorted({c.kind.value for c in misread})
        return Finding(
            FindingKind.NOISY_BATCHES, Severity.WARNING,
            f"lr {_g(reference.lr)} to {_g(still[-1].lr)} trace the same curve step for step, so they "
            f"barely move the model, yet {len(misread)} of them "
            f"{'was' if len(misread) == 1 else 'were'} read as {' or '.join(kinds)}: the loss jumps by up to "
            f"{_g(math.exp(jump))}x from one batch to the next, and that was taken for a too-high rate",
            remedy, {**evidence, "same_curve_lrs": float(len(still)), "misread": float(len(misread))},
        )
    if noise >= t.noisy_level:
        return Finding(
            FindingKind.NOISY_BATCHES, Severity.INFO if decision.chosen else Severity.WARNING,
            f"noisy mini-batches: at lr {_g(reference.lr)} the loss varies by about {_g(math.exp(noise))}x "
            f"from one batch to the next (log-loss noise {noise:.2f}); the ups and downs of every curve "
            "include that much batch noise, which is not a sign of too high a rate",
            remedy, evidence,
        )
    return None


# --- overfitting ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Fit:
    """A stable candidate's rate and its (finite) validation and final training losses."""
    lr: float
    val_loss: float
    final_train_loss: float


def _overfitting(candidates: Sequence[Candidate], decision: Decision, t: DiagnosisThresholds,
                 reading: Thresholds) -> Finding | None:
    stable = [_Fit(c.lr, val, train) for c in candidates
              if c.kind.is_stable and (val := c.val_loss) is not None and math.isfinite(val)
              and (train := c.final_train_loss) is not None]
    if not stable:
        return None
    # the best validation loss, against the rate the training curves would choose (or the chosen one)
    a = min(stable, key=lambda c: (c.val_loss, -c.lr))
    judged = [b for b in stable if b.lr in (decision.largest_good_lr, decision.lr) and b.lr > a.lr
              and b.final_train_loss < a.final_train_loss]
    gaps = [(b, (b.val_loss - a.val_loss) / max(abs(a.val_loss), 1e-12)) for b in judged]
    gaps = [(b, gap) for b, gap in gaps if gap > reading.val_margin]
    if not gaps:
        return None
    b, gap = max(gaps, key=lambda bg: bg[1])
    return Finding(
        FindingKind.OVERFITTING, Severity.WARNING if gap >= t.overfit_warning_gap else Severity.INFO,
        f"training and validation disagree: lr {_g(b.lr)} reached a lower training loss than lr {_g(a.lr)} "
        f"({b.final_train_loss:.4g} vs {a.final_train_loss:.4g}) but a validation loss {100 * gap:.0f}% worse "
        f"({b.val_loss:.4g} vs {a.val_loss:.4g}): the faster rate fits the training data, not the pattern",
        _overfitting_advice(a.lr, decision.lr),
        {"lr": b.lr, "train_loss": b.final_train_loss, "val_loss": b.val_loss,
         "better_lr": a.lr, "better_train_loss": a.final_train_loss, "better_val_loss": a.val_loss,
         "val_gap": gap},
    )


def _overfitting_advice(better_lr: float, chosen_lr: float | None) -> str:
    # the run-length check (core/horizon) can choose below the best-validating candidate: the
    # advice must then point at the choice, not at a rate the decision has already passed over
    remedies = "regularise (weight decay, dropout), get more data or stop earlier before trusting larger rates."
    if chosen_lr is not None and chosen_lr < better_lr:
        return (f"The choice, {_g(chosen_lr)}, is already below {_g(better_lr)}: it stops the run near where "
                f"validation was best. To train longer or faster, {remedies}")
    return f"Prefer the rate with the better validation loss ({_g(better_lr)}) and {remedies}"


# --- grid edge -----------------------------------------------------------------------------

_EDGE_DECADES = 2      # past a good rate at the edge, two decades show where instability starts


def suggested_grid(finding: Finding) -> tuple[float, ...]:
    """The x10 ladder a grid-edge finding suggests sweeping next (empty for other findings)."""
    if finding.kind is not FindingKind.GRID_EDGE or "suggested_min" not in finding.evidence:
        return ()
    low, high = finding.evidence["suggested_min"], finding.evidence["suggested_max"]
    rungs = int(round(math.log10(high / low))) + 1
    return tuple(float(f"{low * 10.0 ** k:.6g}") for k in range(rungs))


def _grid_edge(candidates: Sequence[Candidate], decision: Decision) -> Finding | None:
    lo, hi = candidates[0].lr, candidates[-1].lr
    evidence = {"grid_min": lo, "grid_max": hi, "candidates": float(len(candidates))}

    def edge(why: str, severity: Severity, low: float, high: float, direction: str, goal: str) -> Finding:
        finding = Finding(FindingKind.GRID_EDGE, severity, why, "",
                          {**evidence, "suggested_min": low, "suggested_max": high})
        ladder = ",".join(_g(x) for x in suggested_grid(finding))
        return Finding(finding.kind, severity, why,
                       f"Extend the grid {direction}, sweeping {_g(low)} to {_g(high)} (--lrs {ladder}), {goal}.",
                       finding.evidence)

    if decision.chosen and decision.lr is not None:
        evidence["chosen_lr"] = decision.lr
        if decision.lr >= hi:
            return edge(f"the chosen rate {_g(hi)} is the largest tried: a larger one may be stable and faster",
                        Severity.WARNING, hi, hi * 10**_EDGE_DECADES, "upward", "to find where instability starts")
        if decision.lr <= lo and len(candidates) > 1:
            above = candidates[1]
            return edge(f"the chosen rate {_g(lo)} is the smallest tried and the next, {_g(above.lr)}, is "
                        f"{above.kind.value}: the grid starts at the edge of the good range", Severity.INFO,
                        lo / 10**_EDGE_DECADES, lo, "downward", "to see the slow side of the good range")
        return None
    kinds = {c.kind for c in candidates}
    if kinds == {VerdictKind.TOO_SLOW}:
        return edge(f"every rate up to {_g(hi)} was too slow: the good range lies above the grid",
                    Severity.WARNING, hi, hi * 10**BLIND_DECADES, "upward", "until a rate is good")
    if all(k.is_too_high for k in kinds):
        return edge(f"every rate down to {_g(lo)} was too high: the good range lies below the grid",
                    Severity.WARNING, lo / 10**BLIND_DECADES, lo, "downward", "until a rate is stable")
    return None


# --- class balance ------------------------------------------------------------------------

def _class_balance(stats: DataStats | None, t: DiagnosisThresholds) -> Finding | None:
    """Classes the training split lacks, or holds too few of, to learn them or judge a rate by."""
    if stats is None or stats.class_counts is None:
        return None
    train = np.asarray(stats.class_counts, dtype=np.int64)
    val = np.zeros_like(train) if stats.val_class_counts is None else np.asarray(stats.val_class_counts, np.int64)
    total = int(train.sum())
    names = stats.class_names if stats.class_names and len(stats.class_names) == train.size else None

    def label(c: int) -> str:
        return f"class {names[c]!r}" if names else f"class {c}"

    def listed(classes: np.ndarray) -> str:
        shown = ", ".join(label(int(c)) for c in classes[:5])
        return shown + (f" and {classes.size - 5} more" if classes.size > 5 else "")

    unseen = np.flatnonzero((train == 0) & (val > 0))
    if unseen.size:
        rows = int(val[unseen].sum())
        it = "it" if unseen.size == 1 else "them"
        return Finding(
            FindingKind.CLASS_BALANCE, Severity.WARNING,
            f"{listed(unseen)} {'is' if unseen.size == 1 else 'are'} in the validation split ({rows} row"
            f"{'' if rows == 1 else 's'}) but not in the training split: the model never sees "
            f"{it}, so the validation loss on {it} says nothing a learning rate can change",
            "Split so that every class has training rows (a stratified split, e.g. scikit-learn's "
            "train_test_split(..., stratify=y)), or drop the classes too rare to split.",
            {"unseen_classes": float(unseen.size), "unseen_val_rows": float(rows), "train_rows": float(total)},
        )
    present = np.flatnonzero(train > 0)
    if present.size == 0 or total == 0:
        return None
    share = train / total
    few = present[train[present] < t.rare_class_rows]
    rare = few if few.size else present[share[present] < t.rare_class_share]
    if not rare.size:
        return None
    worst = int(rare[np.argmin(train[rare])])
    it = "it" if rare.size == 1 else "them"
    counts = "; ".join(f"{label(int(c))} has {int(train[c])} of the {total} training rows ({100 * share[c]:.2g}%)"
                       for c in rare[:5]) + (f"; and {rare.size - 5} more" if rare.size > 5 else "")
    why = (f"fewer than {t.rare_class_rows}: too few to learn {it} from or to judge a learning rate by" if few.size
           else f"under {100 * t.rare_class_share:g}%: the loss, and so every curve, is mostly the other classes'")
    return Finding(
        FindingKind.CLASS_BALANCE, Severity.WARNING if few.size else Severity.INFO,
        f"rare class{'es' if rare.size > 1 else ''}: {counts}, {why}",
        f"Get more rows of {it}, merge {it} with a related class, or weight the loss by class (class weights or "
        f"resampling) before trusting the choice for {it}.",
        {"rare_classes": float(rare.size), "rarest_class": float(worst), "rarest_rows": float(train[worst]),
         "rarest_share": float(share[worst]), "train_rows": float(total)},
    )


__all__ = ["DEFAULT_DIAGNOSIS_THRESHOLDS", "DiagnosisThresholds", "diagnose",
           "suggested_grid"]


# --- separable classes ----------------------------------------------------------------------

def _separable(candidates: Sequence[Candidate], decision: Decision, stats: DataStats | None,
               t: DiagnosisThresholds) -> Finding | None:
    """A classifier whose training loss at the chosen rate nears 0 and sits below the next smaller
    stable rate's, at the same step, by at least the square root of their rates' ratio: at a
    positive floor (classes that overlap) larger stable rates end level, while on separable
    classes the loss only falls faster with the rate, for as long as the model trains."""
    if stats is None or stats.class_counts is None or decision.lr is None:
        return None
    stable = [c for c in candidates if c.kind.is_stable and not c.trace.pruned]
    chosen = next((c for c in stable if c.lr == decision.lr), None)
    below = [c for c in stable if c.lr < decision.lr]
    if chosen is None or not below:
        return None
    smaller = below[-1]
    xc, xs = _finite_prefix(chosen.train_loss), _finite_prefix(smaller.train_loss)
    n = min(xc.size, xs.size)
    if n < t.min_steps or not (np.all(xc[:n] > 0) and np.all(xs[:n] > 0)):
        return None
    tail = max(1, n // 10)
    end, end_smaller = float(xc[n - tail:n].mean()), float(xs[n - tail:n].mean())
    if not (end < t.separable_loss and end_smaller / end >= math.sqrt(chosen.lr / smaller.lr)):
        return None
    val_rows = None if stats.val_class_counts is None else int(sum(stats.val_class_counts))
    val_text = "" if not val_rows else f" ({val_rows} rows)"
    return Finding(
        FindingKind.SEPARABLE, Severity.WARNING,
        f"the training classes look separable: at lr {_g(chosen.lr)} the training loss reached {end:.3g} after "
        f"{n} steps ({100 * end / float(xc[0]):.2g}% of its start), {end_smaller / end:.3g}x lower than lr "
        f"{_g(smaller.lr)}'s at the same step. Classes that overlap leave a floor that larger rates reach alike; "
        f"here a larger rate only makes the weights grow faster, and without regularisation they grow for as "
        f"long as the model trains: it becomes ever more confident, and its loss on new rows can rise, which a "
        f"small validation split{val_text} may not show",
        "Here the run's length sets how far the model goes, not the rate: stop earlier (a shorter run or a "
        "smaller rate), add regularisation (weight decay in a framework model; the built-in models have "
        "none) or more data, and judge on a larger validation split before trusting a long run.",
        {"lr": chosen.lr, "train_loss": end, "start_loss": float(xc[0]), "steps": float(n),
         "smaller_lr": smaller.lr, "smaller_train_loss": end_smaller,
         **({"val_rows": float(val_rows)} if val_rows else {})},
    )
