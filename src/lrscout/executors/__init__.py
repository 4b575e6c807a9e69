"""Executors decide where candidates train; the runners they build execute a batch of
candidates and never decide anything.

- ``inline``: in this process; the built-in models train a batch as one stacked computation;
- ``processes``: a local pool of worker processes, one candidate per task (``workers=N``);
- ``ray``: one Ray task per candidate, on a cluster or a local one (``lrscout[ray]``).

``runner_for`` turns the name given to ``sweep(executor=...)`` or ``--executor`` into one.
Ray is imported only when the ray executor runs.

Layer 4. It may import ``lrscout.core``, ``lrscout.problems`` (their protocols, never a
problem class), ``lrscout.errors`` and ``lrscout._version``; never workflows, frameworks or
outputs.
"""

from __future__ import annotations

from ..errors import InvalidConfigError
from .base import Runner
from .inline import InlineRunner
from .processes import ProcessRunner
from .ray import RayRunner

EXECUTORS = ("inline", "processes", "ray")


def runner_for(executor: str | Runner, *, workers: int | None = None, ray_address: str | None = None,
               timeout: float | None = None) -> Runner:
    """The runner for an executor name, or the given runner itself.

    ``workers`` sizes the process pool (processes) or the local cluster (ray without an
    address); ``ray_address`` connects the ray executor to an existing cluster; ``timeout``
    (processes) is how long one candidate may train before its worker counts as hung.
    """
    if not isinstance(executor, str):
        if not callable(getattr(executor, "run", None)):
            raise InvalidConfigError(f"executor must be one of {', '.join(EXECUTORS)} or a runner with a "
                                     f"run(problem, lrs, steps, pruner) method, got {executor!r}")
        if workers is not None or ray_address is not None or timeout is not None:
            raise InvalidConfigError("workers, ray_address and timeout configure a named executor; a runner "
                                     f"instance ({executor!r}) carries its own settings")
        return executor
    if executor not in EXECUTORS:
        raise InvalidConfigError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if timeout is not None and executor != "processes":
        raise InvalidConfigError(f"timeout (--timeout {timeout:g}) applies to the processes executor, not "
                                 f"{executor!r}")
    if ray_address is not None and executor != "ray":
        raise InvalidConfigError(f"ray_address (--ray-address) applies to the ray executor, not {executor!r}")
    if executor == "inline":
        if workers is not None:
            raise InvalidConfigError(f"workers (--workers {workers}) applies to the processes and ray "
                                     "executors; inline runs in this process")
        return InlineRunner()
    if executor == "processes":
        return ProcessRunner(workers=workers, timeout=timeout)
    if workers is not None and ray_address is not None:
        raise InvalidConfigError(f"workers (--workers {workers}) sizes a local Ray cluster; the cluster at "
                                 f"{ray_address!r} is already sized")
    return RayRunner(address=ray_address, local_cpus=workers)


__all__ = ["EXECUTORS", "InlineRunner", "ProcessRunner", "RayRunner", "Runner", "runner_for"]
