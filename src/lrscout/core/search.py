"""The budgeted search: ``lrscout.sweep``'s default plan, which spends a known number of steps.

A sweep used to give every candidate the same window (100 steps), so a search of 5-10
candidates cost 5-10 windows: more than a short run it was choosing for. The search here
decides how long each candidate trains, within a budget of training steps:

1. **Bracket.** The default plan (``default_planner``: 1e-4 ... 1 by x10, up and down until
   the stable range is bounded, then refined by x3 below the first rate that fails; a convex
   model descends as far as a stable rate takes) runs on short windows, an eighth of the
   budget each (``SearchBudget.window_after``). Where a problem can continue its candidates
   (``problems.protocols.Continues``) and the window is long enough to look twice, every round
   first trains a third of the window; a rate whose loss has barely moved while a larger one's
   clearly fell (less than ``slow_fraction`` of its progress, and the larger rate fell
   ``clear_gain`` or more) stops there, read ``too_slow``, and only the others go on (one
   stopped next to a rate that then fails goes on after all). While every rate reads "within
   its noise", the largest stable ones are continued to a longer window before the plan asks
   for more rates.
2. **Finalists.** The rate the bracket chooses and the next good one below it (for a run more
   than twice as long as their window, the rate x2.15 below the choice instead: the edge will
   move down over the run, so the check is made right below it) go on, from their own state
   where the problem can continue them (else trained again from the start), to the longest
   window the budget left affords, at most ``horizon`` steps (the run's length, or ``steps``).
   The largest good rate at that length, re-checked on validation loss (``lrscout.choose``),
   is the choice: a rate that is good for a short window but not for a longer one (the edge
   of stability moves down as training goes on) loses to the one below; when every finalist
   turns bad, the largest stable rate below them is chosen, and the reasons say so.

The budget: without ``train_steps``, three windows of ``steps`` (the default call: 300 steps,
three times a 100-step LR range test; never under 50, the first round); with it,
``budget_share`` of the run (30%), so a long run earns a longer look and a short one never
costs more than itself. Every step trained is counted in the result (``SweepResult.cost``,
``search_steps``).

An option, not the default: ``BudgetedSearch(range_bracket=True)`` replaces the bracket with
one LR range test and a few longer windows below its edge (the class docstring says how); on
the quality benchmark it chose worse than the bracket at the same cost
(``benchmarks/quality/README.md``, "A range-test bracket").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

import numpy as np

from ..errors import InvalidConfigError
from .analysis import logged_scale, progress, read_curves, smooth
from .horizon import check_run_length
from .planners import AdaptivePlanner, default_planner
from .selection import choose
from .thresholds import Thresholds
from .types import Candidate, Decision, DecisionStatus, Trace, Verdict, VerdictKind

SEARCH_FACTOR = 3            # the default call spends at most three windows of ``steps``
DEFAULT_SHARE = 0.3          # with train_steps: at most this share of the run
MIN_WINDOW = 10              # the shortest window a curve is read on
LADDER = 5                   # the bracket's first round: 1e-4 ... 1 by x10
MIN_BUDGET = LADDER * MIN_WINDOW  # the smallest search: the first round on the shortest windows
BRACKET_PARTS = 8            # a bracket window is this fraction of the budget
FINALISTS = 2                # rates continued to the longest window
FINALIST_SPACING = 2.15      # the second finalist sits this factor below the choice (a refinement step)
LOOK_FIRST = 3               # a round first trains 1/LOOK_FIRST of its window, to stop flat rates
# the range-test bracket (``range_bracket=True``): one range test, then a few windows below its edge
RANGE_LRS = (1e-7, 10.0)     # the range test's ramp (exponential), as ``lrscout.torch.range_test``'s
RANGE_STOP = 4.0             # it stops at this multiple of its best smoothed loss
RANGE_SHARE = 0.2            # its steps: this share of the budget, within RANGE_STEPS
RANGE_STEPS = (20, 100)
RANGE_MIN_POINTS = 5         # fewer finite losses place no edge
RANGE_RATES = 3              # windows below the edge ...
RANGE_RATIO = 3.0            # ... this factor apart ...
RANGE_TOP = 2.0              # ... the largest this factor below the edge


@dataclass(frozen=True)
class SearchBudget:
    """How much the search may train, and for what.

    ``steps``: training steps the whole search may spend. ``horizon``: the longest window a
    finalist is read at. ``train_steps``: the length of the run the rate is for (None: not
    given, the choice is good for runs of about ``horizon`` steps). ``share``: ``steps`` as a
    share of ``train_steps``, when given.
    """

    steps: int
    horizon: int
    train_steps: int | None = None
    share: float | None = None

    @property
    def bracket_window(self) -> int:
        return self.window_after(0)

    def window_after(self, setup: int) -> int:
        """The bracket's window once ``setup`` steps (a problem's own set-up, such as the torch
        engine probe) are taken from the budget."""
        return max(MIN_WINDOW, min(self.horizon, (self.steps - setup) // BRACKET_PARTS))

    def describe(self) -> dict[str, object]:
        return {"search_budget": self.steps, "horizon": self.horizon, "train_steps": self.train_steps,
                "budget_share": self.share}


def range_edge(lrs: Sequence[float], losses: Sequence[float]) -> float | None:
    """The rate at a range test's smoothed minimum (the loss's trend, ``analysis.smooth`` with
    one-sided ends, on the finite steps): past it the loss turns up, so the stable range of a
    short run ends about there. None when fewer than ``RANGE_MIN_POINTS`` losses are finite or
    the trend never fell below its first step (the whole ramp was already too high, or too
    short to move the loss)."""
    values = np.asarray(losses, dtype=np.float64)
    bad = ~np.isfinite(values)
    n = int(np.argmax(bad)) if bad.any() else values.size
    if n < RANGE_MIN_POINTS:
        return None
    trend = smooth(values[:n], centred_ends=False)
    scaled = np.log(trend) if logged_scale(trend) else trend
    low = int(np.argmin(scaled))
    if low == 0 or not scaled[low] < scaled[0]:
        return None
    return float(lrs[low])


def _readable(x: float) -> float:
    """Two significant digits: a rate a user can type back."""
    return float(f"{x:.2g}")


def search_budget(steps: int | None, train_steps: int | None, budget_share: float | None) -> SearchBudget:
    """The budget for a sweep of ``steps``-step windows, or for a ``train_steps`` run.

    Without ``train_steps``: ``SEARCH_FACTOR`` windows of ``steps`` (default 100), and at least
    ``MIN_BUDGET`` (the first round on the shortest windows). With it:
    ``budget_share`` of the run (default ``DEFAULT_SHARE``), whose longest window is
    ``steps`` when given, else the run itself. A budget below ``MIN_BUDGET`` cannot read a curve
    and is refused, with what to change.
    """
    if train_steps is None:
        if budget_share is not None:
            raise InvalidConfigError(f"budget_share={budget_share:g} is a share of the run: pass train_steps "
                                     "(the run's length in steps) with it")
        horizon = 100 if steps is None else steps
        # at least the first round on the shortest windows, however short the window asked for
        return SearchBudget(max(SEARCH_FACTOR * horizon, MIN_BUDGET), horizon)
    share = DEFAULT_SHARE if budget_share is None else budget_share
    budget = int(share * train_steps + 1e-9)    # 50/97 x 97 is 49.999...: the share of a whole count
    if budget < MIN_BUDGET:
        raise InvalidConfigError(
            f"train_steps={train_steps} at budget_share={share:g} leaves the search {budget} steps, fewer than the "
            f"smallest search ({MIN_BUDGET} steps: {LADDER} rates x {MIN_WINDOW} steps): raise budget_share "
            f"(at most 1, the run itself{'' if train_steps >= MIN_BUDGET else ', which is still too short'}) "
            "or give a grid to try (lrs=..., --lrs)")
    horizon = train_steps if steps is None else min(steps, train_steps)
    return SearchBudget(budget, horizon, train_steps, share)


def share_for_a_read_run(train_steps: int, budget_share: float | None) -> float | None:
    """The ``budget_share`` for a run whose length was read from a trainer rather than given:
    ``None`` (the caller's share, or the default) except where the default share leaves less
    than the smallest search and the run still holds one (``MIN_BUDGET`` to
    ``MIN_BUDGET / DEFAULT_SHARE`` steps); then the smallest search, a larger share of the run
    but never more than it. The user added a finder to a short run; they did not ask for 30%.
    """
    if budget_share is None and MIN_BUDGET <= train_steps < MIN_BUDGET / DEFAULT_SHARE:
        return MIN_BUDGET / train_steps
    return None


@dataclass
class _Entry:
    trace: Trace
    window: int                     # the steps it was asked to reach
    stopped: Verdict | None = None  # the verdict of a rate stopped as flat


@dataclass
class SearchOutcome:
    """What the search found: every rate's latest reading, the decision and what it rests on."""

    candidates: tuple[Candidate, ...]
    decision: Decision
    notes: Mapping[str, object] = field(default_factory=dict)


class BudgetedSearch:
    """The default plan of ``lrscout.sweep``: see the module docstring for the rule.

    ``budget``: a ``SearchBudget`` (``sweep`` sets it from ``steps`` and ``train_steps``).
    ``planner``: a function giving the bracket's plan (default: ``default_planner``).
    ``finalists``: rates continued to the longest window: the choice and the bracket's next good
    rates below it, or, for a run more than twice as long as their window (``long_runs_only``;
    False: always), the choice and rates ``spacing`` apart below it (None: never).
    ``look_first``: stop flat rates
    after a third of each bracket window. ``long_run_margin``: for a run more than twice the
    finalists' window, the validation margin the finalists are compared with instead of
    ``Thresholds.val_margin`` (0: the one that validates best).
    ``range_bracket``: where the problem can run an LR range test (``problems.protocols.RunsRangeTest``;
    ``run(range_test=...)``), spend ``RANGE_SHARE`` of the budget on one (1e-7 to 10, stopped
    at 4x its best smoothed loss) and, in place of the bracket, train ``range_rates`` rates
    ``range_ratio`` apart, the largest ``range_top`` below the test's edge (the rate at its
    smoothed minimum), on windows as long as the rest of the budget allows while leaving the
    finalists room to double theirs; a window that reads nothing good steps past the ends (or
    into a too-slow / too-high gap) while the budget lasts. The finalists follow as above. Where
    the problem cannot run one, the edge is not placed or the windows would be shorter than
    ``MIN_WINDOW``, the bracket runs as without it (on what the budget has left).
    """

    def __init__(self, budget: SearchBudget | None = None, *, planner: Callable[[], AdaptivePlanner] | None = None,
                 finalists: int = FINALISTS, spacing: float | None = FINALIST_SPACING,
                 long_runs_only: bool = True, look_first: bool = True,
                 long_run_margin: float | None = None, range_bracket: bool = False,
                 range_rates: int = RANGE_RATES, range_ratio: float = RANGE_RATIO,
                 range_top: float = RANGE_TOP) -> None:
        if not (isinstance(range_rates, int) and not isinstance(range_rates, bool) and range_rates >= 1):
            raise InvalidConfigError(f"range_rates={range_rates!r}: give the number of windows below the range "
                                     "test's edge, a whole number of at least 1 (default 3)")
        for name, value, low in (("range_ratio", range_ratio, "above 1"), ("range_top", range_top, "of at least 1")):
            if not (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
                    and (value > 1 if name == "range_ratio" else value >= 1)):
                raise InvalidConfigError(f"{name}={value!r}: give a factor {low} (the default is "
                                         f"{RANGE_RATIO if name == 'range_ratio' else RANGE_TOP:g})")
        self.budget = budget if budget is not None else search_budget(None, None, None)
        self.range_bracket = range_bracket
        self.range_rates, self.range_ratio, self.range_top = range_rates, float(range_ratio), float(range_top)
        self.planner = planner
        self.long_runs_only = long_runs_only
        self.long_run_margin = long_run_margin
        self.finalists = finalists
        self.spacing = spacing
        self.look_first = look_first

    def with_budget(self, budget: SearchBudget) -> "BudgetedSearch":
        """The same search with another budget (``sweep`` sets it from ``steps`` and ``train_steps``)."""
        return BudgetedSearch(budget, planner=self.planner, finalists=self.finalists, spacing=self.spacing,
                              long_runs_only=self.long_runs_only, look_first=self.look_first,
                              long_run_margin=self.long_run_margin, range_bracket=self.range_bracket,
                              range_rates=self.range_rates, range_ratio=self.range_ratio, range_top=self.range_top)

    def __repr__(self) -> str:
        return (f"BudgetedSearch(budget={self.budget.steps}, horizon={self.budget.horizon}, "
                f"bracket_window={self.budget.bracket_window}, finalists={self.finalists}"
                + (f", spacing={self.spacing:g}" if self.spacing is not None else ", spacing=None")
                + ("" if self.long_runs_only else ", long_runs_only=False")
                + ("" if self.look_first else ", look_first=False")
                + ("" if self.long_run_margin is None else f", long_run_margin={self.long_run_margin:g}")
                + (f", range_bracket=True, range_rates={self.range_rates}, range_ratio={self.range_ratio:g}, "
                   f"range_top={self.range_top:g}" if self.range_bracket else "") + ")")

    # -- the search ------------------------------------------------------------------------
    def run(self, train_to: Callable[[Sequence[float], int], list[Trace]], spent: Callable[[], int],
            continues: bool, thresholds: Thresholds, setup: int = 0, *, convex: bool = False,
            range_test: Callable[[float, float, int, float], tuple[Sequence[float], Sequence[float]]] | None = None
            ) -> SearchOutcome:
        """``train_to(lrs, steps)`` trains each rate until it has ``steps`` steps and returns its
        whole trace; ``spent()`` is every step the plan spent so far; ``continues`` says whether the
        problem can continue a rate from its own state (planned that way whatever the executor;
        where it cannot, the search plans restarts and pays for them); ``setup`` is what the
        problem will spend on its first call before training (its windows are cut to leave it);
        ``convex``: the loss is convex, so the bracket descends as far as a stable rate takes
        (``default_planner``); ``range_test(min_lr, max_lr, steps, stop_factor)`` runs one LR range
        test and returns its rates and losses (its steps counted in ``spent()``), for
        ``range_bracket``."""
        self._train_to, self._spent, self._continues, self._thresholds = train_to, spent, continues, thresholds
        self._convex = convex
        self._entries: dict[float, _Entry] = {}
        notes: dict[str, object] = {}
        if self.range_bracket and range_test is not None:
            outcome = self._range_bracket(range_test, setup, notes)
            if outcome is not None:
                return outcome
            setup += spent()          # the range test placed no edge: the bracket gets what is left
        budget, window = self.budget, self.budget.window_after(setup)
        reserve = self.finalists * window            # what the finalists need to at least double their window
        planner = self.planner() if self.planner is not None else default_planner(convex=convex)
        bracket: list[float] = []
        first = True
        while True:
            # nothing good only because the window is too short for the noise: read longer first
            longer = self._lengthen(bracket, window, budget.steps)
            if longer:
                window = longer
                planner.tell(self._read(bracket))
                continue
            batch = list(planner.ask())
            if not batch:
                break
            if not first:
                # later rounds take what the budget leaves: while the stable range is still open
                # (nothing too high above it, or nothing stable below) all of it, else all but the
                # finalists' share
                limit = budget.steps - (reserve if self._bounded(bracket) else 0)
                batch = batch[:max(0, (limit - spent()) // window)]
                if not batch:
                    break
            first = False
            self._bracket_round(batch, window)
            bracket.extend(batch)
            planner.tell(self._read(bracket))
        candidates = self._read(bracket)
        decision = choose(candidates, thresholds)
        notes["bracket_window"] = window
        if decision.lr is None:
            return SearchOutcome(tuple(candidates), decision, notes)
        return self._for_the_run(self._finish(candidates, decision, window, notes))

    def _for_the_run(self, outcome: SearchOutcome) -> SearchOutcome:
        """A convex model's choice, checked against validation along its training path for the
        run's length (``lrscout.core.horizon``): a run that would train past the point that
        validated best gets the rate whose run ends there."""
        decision = outcome.decision
        if not self._convex or decision.lr is None:
            return outcome
        run_steps = self.budget.train_steps if self.budget.train_steps is not None else self.budget.horizon
        check = check_run_length(outcome.candidates, decision.lr, run_steps, self._thresholds.val_margin,
                                 largest_good=decision.largest_good_lr)
        if check is None:
            return outcome
        notes = dict(outcome.notes, run_length_check=check.as_dict())
        decision = replace(decision, lr=check.lr, reasons=decision.reasons + (check.reason(),))
        return SearchOutcome(outcome.candidates, decision, notes)

    def _range_bracket(self, range_test: Callable[[float, float, int, float], tuple[Sequence[float], Sequence[float]]],
                       setup: int, notes: dict[str, object]) -> SearchOutcome | None:
        """The range test, then ``range_rates`` windows below its edge, then the finalists; None
        (with the reason in ``notes``) where the bracket should run instead."""
        room = self.budget.steps - setup
        steps = max(RANGE_STEPS[0], min(RANGE_STEPS[1], int(RANGE_SHARE * room)))
        window = min(self.budget.horizon, (room - steps) // (self.range_rates + self.finalists))
        if window < MIN_WINDOW:
            notes["range_test"] = (f"not run: a {steps}-step range test would leave {self.range_rates} windows of "
                                   f"{window} steps, under {MIN_WINDOW}")
            return None
        lrs, losses = range_test(RANGE_LRS[0], RANGE_LRS[1], steps, RANGE_STOP)
        edge = range_edge(lrs, losses)
        ran = {"steps": len(losses), "planned": steps}
        if edge is None:
            notes["range_test"] = {**ran, "edge": None,
                                   "why": "its smoothed loss never fell below the first step's, or was not finite"}
            return None
        top = edge / self.range_top
        rates = sorted({_readable(top / self.range_ratio ** i) for i in range(self.range_rates)})
        notes["range_test"] = {**ran, "edge": edge, "rates": rates}
        self._bracket_round(rates, window)
        bracket = list(rates)
        while True:
            longer = self._lengthen(bracket, window, self.budget.steps)
            if longer:
                window = longer
                continue
            more = self._past_the_rates(bracket)
            if more is None or more in self._entries or self._spent() + window > self.budget.steps:
                break
            self._bracket_round([more], window)
            bracket.append(more)
        candidates = self._read(bracket)
        decision = choose(candidates, self._thresholds)
        notes["bracket_window"] = window
        if decision.lr is None:
            return SearchOutcome(tuple(sorted(candidates, key=lambda c: c.lr)), decision, notes)
        return self._for_the_run(self._finish(candidates, decision, window, notes))

    def _past_the_rates(self, bracket: list[float]) -> float | None:
        """Where to look when no rate reads good: below them all when none is stable, above them
        when the largest is stable (too slow), else between the largest stable rate and the next
        one up, while they are more than x1.5 apart; None when no such rate is left."""
        cs = sorted(self._read(bracket), key=lambda c: c.lr)
        if any(c.kind is VerdictKind.GOOD for c in cs):
            return None
        stable = [c for c in cs if c.kind.is_stable]
        if not stable:
            return _readable(cs[0].lr / self.range_ratio)
        if stable[-1] is cs[-1]:
            return _readable(cs[-1].lr * self.range_ratio)
        upper = cs[cs.index(stable[-1]) + 1].lr
        if upper / stable[-1].lr <= 1.5:
            return None
        return _readable(math.sqrt(upper * stable[-1].lr))

    def _bounded(self, bracket: list[float]) -> bool:
        """Whether the bracket found both ends of the stable range: a stable rate with a too-high
        (or failed) one above it, and the smallest rate not too high."""
        cs = sorted(self._read(bracket), key=lambda c: c.lr)
        stable = [i for i, c in enumerate(cs) if c.kind.is_stable]
        if not stable or stable[0] != 0:
            return False
        return any(c.kind.is_too_high or c.kind is VerdictKind.FAILED for c in cs[stable[-1] + 1:])

    def _bracket_round(self, batch: list[float], window: int) -> None:
        look = window // LOOK_FIRST
        if not (self.look_first and self._continues and look >= MIN_WINDOW):
            self._record(batch, window)
            return
        self._record(batch, look)
        flat = self._flat_behind(batch, look, None)
        rest = [lr for lr in batch if lr not in flat]
        if rest:
            self._record(rest, window)
        # a rate stopped next to one that then failed (it fell fast, then blew up) was stopped on a
        # false comparison: it goes on; one still far behind a rate good over the window stays stopped
        good = {c.lr for c in self._read(list(self._entries)) if c.kind is VerdictKind.GOOD}
        wrongly = flat - self._flat_behind(sorted(flat), look, good)
        for lr in wrongly:
            self._entries[lr].stopped = None
        if wrongly:
            self._record(sorted(wrongly), window)

    def _record(self, lrs: Sequence[float], window: int) -> None:
        for trace in self._train_to(lrs, window):
            self._entries[trace.lr] = _Entry(trace, window)

    def _flat_behind(self, batch: list[float], look: int, among: set[float] | None) -> set[float]:
        """Rates of ``batch`` whose loss barely moved in ``look`` steps while a larger rate's (one of
        ``among``, when given) clearly fell; each is marked stopped, with the comparison."""
        t = self._thresholds
        moved: dict[float, float] = {}
        for lr, entry in self._entries.items():
            if among is not None and lr not in among and lr not in batch:
                continue
            losses = np.asarray(entry.trace.train_loss[:look], dtype=np.float64)
            if entry.trace.error is None and losses.size >= look and np.all(np.isfinite(losses)):
                tail = max(1, look // 10)
                moved[lr] = progress(float(losses[0]), float(losses[-tail:].mean()))
        flat: set[float] = set()
        for lr in batch:
            if lr not in moved:
                continue
            ahead = [(other, p) for other, p in moved.items() if other > lr and p >= -math.log1p(-t.clear_gain)]
            if not ahead:
                continue
            other, best = max(ahead, key=lambda item: item[1])
            if moved[lr] < t.slow_fraction * best:
                entry = self._entries[lr]
                fell = 1 - math.exp(-moved[lr])
                entry.stopped = Verdict(VerdictKind.TOO_SLOW, (
                    f"stopped after {look} steps: the loss {'fell' if fell >= 0 else 'rose'} {abs(100 * fell):.0f}% "
                    f"while lr {other:.3g}'s fell {100 * (1 - math.exp(-best)):.0f}% ({100 * moved[lr] / best:.0f}% "
                    "of its progress): too slow"))
                flat.add(lr)
        return flat

    def _lengthen(self, bracket: list[float], window: int, limit: int) -> int:
        """When no rate reads good only because the window is too short for its noise, continue
        the largest stable rates (as many as there are finalists, and one more) to twice the
        window, or as much longer as the budget allows if that is half a window more; the new
        window when it did, else 0."""
        if window >= self.budget.horizon or not bracket:
            return 0
        candidates = sorted(self._read(bracket), key=lambda c: c.lr)
        if any(c.kind is VerdictKind.GOOD for c in candidates):
            return 0
        stable = [c for c in candidates if c.kind.is_stable and self._entries[c.lr].stopped is None]
        if not any("noise" in c.verdict.reason for c in stable):
            return 0
        top = [c.lr for c in stable][-(self.finalists + 1):]
        held = sum(self._entries[lr].trace.steps_used if self._continues else 0 for lr in top)
        longer = min(2 * window, self.budget.horizon, (limit - self._spent() + held) // len(top))
        if 2 * longer < 3 * window:
            return 0
        self._record(top, longer)
        return longer

    def _read(self, lrs: Sequence[float]) -> list[Candidate]:
        """Read these rates together (one window's worth); a rate stopped as flat keeps that verdict."""
        entries = [self._entries[lr] for lr in lrs]
        verdicts = read_curves([e.trace for e in entries], self._thresholds)
        return [Candidate(e.trace, e.stopped if e.stopped is not None else v) for e, v in zip(entries, verdicts)]

    def _below_finalists(self, bracket: list[Candidate], final: list[Candidate], finalists: list[float],
                         longest: int, window: int, by_lr: dict[float, Candidate]) -> Decision:
        """Every finalist turned bad over the longer window (the edge moved below them): the largest
        stable rate below them, trained to that window too where the budget allows."""
        turned = ", ".join(f"{c.lr:.3g} {c.kind.value}" for c in final)
        below = sorted((c.lr for c in bracket if c.lr < min(finalists) and c.kind.is_stable), reverse=True)
        if not below:
            return Decision(DecisionStatus.NO_GOOD_CANDIDATE, None, (
                f"every rate good over {window} steps turned bad over {longest} ({turned}), and none below them "
                "was stable",), (f"try rates below {min(finalists):.3g}",))
        lr = below[0]
        held = self._entries[lr].trace.steps_used if self._continues else 0
        if self._spent() + longest - held <= self.budget.steps:
            self._record([lr], longest)
            (candidate,) = self._read([lr])
            by_lr[lr] = candidate
            note = f"{lr:.3g}, the largest stable rate below them, trained to {longest} steps: {candidate.kind.value}"
            if candidate.kind is not VerdictKind.GOOD:
                return Decision(DecisionStatus.NO_GOOD_CANDIDATE, None, (
                    f"every rate good over {window} steps turned bad over {longest} ({turned}); {note}",),
                    (f"try rates below {lr:.3g}",))
        else:
            note = (f"{lr:.3g}, the largest stable rate below them ({by_lr[lr].kind.value} over "
                    f"{by_lr[lr].steps_used} steps; the budget left no room to read it over {longest})")
        return Decision(DecisionStatus.CHOSEN, lr, (
            f"over {longest} steps every finalist turned bad ({turned}): the edge of stability moves down as "
            f"training goes on; chose {note}",), (), None)

    def _longest(self, finalists: list[float]) -> int:
        """The longest window the budget left affords these finalists (a continued one pays its new steps)."""
        left = self.budget.steps - self._spent()
        held = sum(self._entries[lr].trace.steps_used if lr in self._entries and self._continues else 0
                   for lr in finalists)
        return min(self.budget.horizon, (left + held) // max(1, len(finalists)))

    def _finish(self, bracket: list[Candidate], decision: Decision, window: int,
                notes: dict[str, object]) -> SearchOutcome:
        """Continue the chosen rate and the next good ones below it to the longest window left."""
        chosen = decision.lr
        assert chosen is not None
        good_below = sorted((c.lr for c in bracket if c.kind is VerdictKind.GOOD and c.lr <= chosen), reverse=True)
        finalists = good_below[:self.finalists]
        longest = self._longest(finalists)
        spaced = self.spacing is not None and (not self.long_runs_only or (
            self.budget.train_steps is not None and self.budget.train_steps > 2 * longest))
        if spaced:
            # the run is much longer than the finalists' window: the edge will move down over it, so the
            # check over the longer window is made right below the choice (a bracket rate where one is that close)
            assert self.spacing is not None
            run = sorted(self._entries)
            finalists = [chosen]
            for k in range(1, self.finalists):
                target = chosen / self.spacing ** k
                near = [lr for lr in run if abs(math.log(lr / target)) < 0.1 * math.log(self.spacing)]
                finalists.append(near[0] if near else _readable(target))
            longest = self._longest(finalists)
        by_lr = {c.lr: c for c in bracket}
        if longest <= window or not finalists:
            notes.update(finalists=[], finalist_window=window)
            return SearchOutcome(tuple(by_lr.values()), decision, notes)
        self._record(finalists, longest)
        final = self._read(finalists)
        thresholds = self._thresholds
        if self.long_run_margin is not None and self.budget.train_steps is not None \
                and 2 * longest < self.budget.train_steps:
            # a run much longer than the window: the larger rate's head start fades, so it must validate better
            thresholds = replace(thresholds, val_margin=self.long_run_margin)
        final_decision = choose(final, thresholds)
        notes.update(finalists=finalists, finalist_window=longest)
        by_lr.update({c.lr: c for c in final})
        if final_decision.lr is None:
            final_decision = self._below_finalists(bracket, final, finalists, longest, window, by_lr)
        else:
            above = sorted((c for c in bracket if c.lr > max(finalists)), key=lambda c: c.lr)
            edge = next((c for c in above if c.kind is not VerdictKind.GOOD), None)
            shown = " and ".join(f"{lr:.3g}" for lr in sorted(finalists))
            context = (f"{shown} {'were' if len(finalists) > 1 else 'was'} trained on to {longest} steps (the "
                       f"others {window}), and the choice is read there")
            if above:
                context += (f"; above {'them' if len(finalists) > 1 else 'it'}, " + (
                    f"{edge.lr:.3g} was {edge.kind.value} over {edge.steps_used} steps" if edge is not None
                    else f"{above[0].lr:.3g} was good over {window} steps but validated worse"))
            largest_tried = max(c.lr for c in by_lr.values())
            advice = tuple(a for a in final_decision.advice
                           if "largest rate tried" not in a or final_decision.lr == largest_tried)
            final_decision = replace(final_decision, reasons=final_decision.reasons + (context,), advice=advice)
        return SearchOutcome(tuple(sorted(by_lr.values(), key=lambda c: c.lr)), final_decision, notes)
