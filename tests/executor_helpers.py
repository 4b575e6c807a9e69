"""Training functions for the executor, journal and fault tests.

They live in an importable module (not inside a test) because worker processes and Ray
workers import them by name: a function defined inside a test cannot travel.

How "the same result" across executors is judged (``assert_same_result``):
"Identical" means: the same candidates, verdicts, steps used, pruning,
rounds and decision, exactly; and loss curves equal to a relative 1e-9. Curves are bitwise
equal whenever the same arithmetic runs (a ``CallableProblem``; the built-in models one rate
per task, as the processes and ray executors train them). The built-in models trained inline
stack a batch into one matrix product, whose summation order differs from a single candidate's:
their curves agree with the per-candidate ones to about 1e-12, not to the bit.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import numpy as np

import lrscout


def curve(lr: float, steps: int) -> np.ndarray:
    """A deterministic, slightly noisy curve: slow below 1e-3, good up to ~0.3, diverging at 1 and above."""
    rng = np.random.default_rng(int(round(lr * 1e9)) % 2**32)
    t = np.arange(steps)
    if lr >= 1.0:
        return (1.0 + lr) ** np.minimum(t, 60)
    return np.exp(-3.0 * lr * t) * (1.0 + 0.002 * rng.standard_normal(steps)) + 0.05


def kept(losses: np.ndarray) -> list[float]:
    """``losses`` as a trace keeps them (float32), for comparing a trained curve with ``curve``."""
    return lrscout.Trace(0.0, losses).train_loss.tolist()


def sleepy_train(lr: float, steps: int) -> np.ndarray:
    """``curve``, after a pause (``LRSCOUT_TEST_DELAY`` seconds), logging each call's lr to the
    file named by ``LRSCOUT_TEST_CALLS`` (so a test can see which candidates were trained).

    With ``LRSCOUT_TEST_HOLD_AFTER=N`` (and the calls file), a call made once N calls are
    logged holds (up to 60 s, then raises) so that a test can kill the process while it is
    known to be training, however slow the machine."""
    time.sleep(float(os.environ.get("LRSCOUT_TEST_DELAY", "0")))
    log = os.environ.get("LRSCOUT_TEST_CALLS")
    hold_after = os.environ.get("LRSCOUT_TEST_HOLD_AFTER")
    if log and hold_after and Path(log).exists() and len(Path(log).read_text().split()) >= int(hold_after):
        time.sleep(60)
        raise TimeoutError(f"lr {lr!r} was held 60 s and the process was never killed")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{lr!r}\n")
    return curve(lr, steps)


class DiesAt:
    """Trains like ``curve``, but the worker running learning rate ``lr`` kills itself (SIGKILL)
    the first ``times`` times it is asked; deaths are counted in files under ``folder``."""

    def __init__(self, folder: str | Path, lr: float, times: int) -> None:
        self.folder, self.lr, self.times = str(folder), lr, times

    def __call__(self, lr: float, steps: int) -> np.ndarray:
        if lr == self.lr:
            deaths = [p for p in os.listdir(self.folder) if p.startswith("death-")]
            if len(deaths) < self.times:
                Path(self.folder, f"death-{len(deaths)}-{os.getpid()}").touch()
                os.kill(os.getpid(), signal.SIGKILL)
        return curve(lr, steps)


def sleepy_problem() -> lrscout.CallableProblem:
    return lrscout.CallableProblem(sleepy_train, name="sleepy")


class ThreadReport:
    """Trains like ``curve`` and writes what the worker's math libraries were allowed, as JSON."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = str(folder)

    def __call__(self, lr: float, steps: int) -> np.ndarray:
        import json

        try:
            from threadpoolctl import threadpool_info
            blas = sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})
        except ImportError:
            blas = None
        env = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
        Path(self.folder, f"{os.getpid()}-{lr!r}.json").write_text(json.dumps({"env": env, "blas_threads": blas}))
        return curve(lr, steps)


CURVE_RTOL = 1e-9


def callable_problem() -> lrscout.CallableProblem:
    return sleepy_problem()


def numpy_problem() -> lrscout.NumpyProblem:
    rng = np.random.default_rng(3)
    X = rng.standard_normal((600, 8))
    y = X @ rng.standard_normal(8) + 0.3 * rng.standard_normal(600) + 2.0
    return lrscout.NumpyProblem(lrscout.LinearRegression(), X[:480], y[:480], X_val=X[480:], y_val=y[480:],
                                batch_size=32, seed=1)


def decided(result: lrscout.SweepResult) -> dict:
    """Everything about a result that must match exactly: all but the curves' last bits."""
    return {
        "rounds": result.rounds,
        "decision": result.decision.to_dict(),
        "candidates": [(c.lr, c.kind, c.steps_used, c.trace.pruned, c.trace.error, c.verdict.reason)
                       for c in result.candidates],
    }


def assert_same_result(a: lrscout.SweepResult, b: lrscout.SweepResult, *, bitwise: bool) -> None:
    assert decided(a) == decided(b)
    for x, y in zip(a.candidates, b.candidates, strict=True):
        for name in ("train_loss", "grad_norm", "update_cosine"):
            u, v = getattr(x.trace, name), getattr(y.trace, name)
            assert (u is None) == (v is None), name
            if u is None:
                continue
            if bitwise:
                np.testing.assert_array_equal(u, v, err_msg=f"{name} at lr {x.lr:g}")
            else:
                np.testing.assert_allclose(u, v, rtol=CURVE_RTOL, atol=0, err_msg=f"{name} at lr {x.lr:g}")
        if x.val_loss is not None or y.val_loss is not None:
            np.testing.assert_allclose(x.val_loss, y.val_loss, rtol=0 if bitwise else CURVE_RTOL)


def main(argv: list[str]) -> None:
    """``python executor_helpers.py JOURNAL RESULT [EXECUTOR]``: the adaptive sweep of
    ``sleepy_train``, journaled and resumed, its result saved to RESULT."""
    journal, result_path = argv[0], argv[1]
    executor = argv[2] if len(argv) > 2 else "inline"
    result = lrscout.sweep(sleepy_problem(), steps=80, executor=executor, journal=journal, resume=True)
    result.save(result_path)


if __name__ == "__main__":
    main(sys.argv[1:])


class HangsAt:
    """Trains like ``curve``, but the candidate at learning rate ``lr`` never returns (a deadlock)."""

    def __init__(self, lr: float) -> None:
        self.lr = lr

    def __call__(self, lr: float, steps: int) -> np.ndarray:
        if lr == self.lr:
            while True:
                time.sleep(60)
        return curve(lr, steps)


class HeldAndRecorded:
    """Trains like ``curve``, but first records the attempt (learning rate, Ray node, process)
    as a JSON file under ``folder`` and then holds until the file ``folder/go`` exists, so a
    test can act while candidates are known to be training (``release`` lets them finish).

    Outside a Ray worker the node is recorded as ``"this process"``. A candidate held longer
    than ``hold_limit`` seconds raises, so a test that never releases fails instead of hanging.
    """

    def __init__(self, folder: str | Path, hold_limit: float = 120.0) -> None:
        self.folder, self.hold_limit = str(folder), hold_limit

    def __call__(self, lr: float, steps: int) -> np.ndarray:
        import json
        import uuid

        ray = sys.modules.get("ray")
        node = ray.get_runtime_context().get_node_id() if ray is not None and ray.is_initialized() \
            else "this process"
        record = Path(self.folder, f"attempt-{uuid.uuid4().hex}.json")
        record.with_suffix(".tmp").write_text(json.dumps({"lr": lr, "node": node, "pid": os.getpid()}))
        record.with_suffix(".tmp").rename(record)  # whole or absent: the test may read it at any moment
        deadline = time.monotonic() + self.hold_limit
        while not Path(self.folder, "go").exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"lr {lr!r} was held {self.hold_limit:g} s and never released")
            time.sleep(0.02)
        return curve(lr, steps)

    @staticmethod
    def attempts(folder: str | Path) -> list[dict]:
        """Every attempt recorded so far: ``{"lr", "node", "pid"}`` each."""
        import json

        return [json.loads(p.read_text()) for p in Path(folder).glob("attempt-*.json")]

    @staticmethod
    def release(folder: str | Path) -> None:
        Path(folder, "go").touch()


class SlowToLoad:
    """Trains like ``curve``, but a worker takes ``delay`` seconds to load it (unpickle it), as
    a problem that reads its data set when it arrives, or a worker importing a big framework
    on a busy machine does."""

    def __init__(self, delay: float) -> None:
        self.delay = delay

    def __getstate__(self) -> dict:
        return {"delay": self.delay}

    def __setstate__(self, state: dict) -> None:
        time.sleep(state["delay"])
        self.delay = state["delay"]

    def __call__(self, lr: float, steps: int) -> np.ndarray:
        return curve(lr, steps)


class HoldsFrom:
    """Trains like ``curve``, but a candidate at a learning rate of ``lr`` or more holds until
    the file ``folder/go`` exists, so a test can act while it is known to be training. A hold
    longer than ``hold_limit`` seconds raises, so a test that never acts fails instead of hanging."""

    def __init__(self, folder: str | Path, lr: float, hold_limit: float = 60.0) -> None:
        self.folder, self.lr, self.hold_limit = str(folder), lr, hold_limit

    def __call__(self, lr: float, steps: int) -> np.ndarray:
        deadline = time.monotonic() + self.hold_limit
        while lr >= self.lr and not Path(self.folder, "go").exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"lr {lr!r} was held {self.hold_limit:g} s and never released")
            time.sleep(0.02)
        return curve(lr, steps)
