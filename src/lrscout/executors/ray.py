"""Candidates as Ray tasks: on an existing cluster, or on a local one lrscout starts and stops.

Each candidate is one task with the resources it asks for (``num_gpus=0.25`` lets four share a
GPU); the problem is put in the object store once per session and every task reads it from
there. Ray retries a task whose worker or node died (``max_retries``), on a surviving node if
its own is gone; one that is still lost after that is recorded as a failed trace saying why,
and the sweep goes on. An exception raised by the problem itself propagates, as it would inline.

Ray is optional (``pip install 'lrscout[ray]'``) and is imported only when this executor runs.

Without an address, lrscout starts a private local cluster and removes it afterwards:

- ``address="local"`` always starts a new one, so an address left behind by an earlier cluster
  (``/tmp/ray/ray_current_cluster``, or a stale ``RAY_ADDRESS``) is never dialled;
- it lives in its own temporary folder (sessions, logs, sockets), deleted at shutdown;
- recent Ray releases turn on token authentication for local clusters and, lacking a token,
  write one to ``~/.ray/auth_token`` for good. lrscout gives its cluster a token that lives
  only in this process's environment for the cluster's lifetime (unless you configured
  ``RAY_AUTH_TOKEN``/``RAY_AUTH_TOKEN_PATH`` or ``RAY_AUTH_MODE=disabled`` yourself), so
  nothing is left in your home folder and the cluster still refuses strangers. Afterwards this
  process's Ray reads its authentication settings afresh, so a later connection to another
  cluster follows your set-up, not the local cluster's token.

With an address, lrscout connects (token auth then follows your Ray set-up) and disconnects at
the end; the cluster keeps running. If this process is already connected (``ray.init`` was
called by you), that connection is used and left open.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import socket
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from ..core.pruning import DivergencePruner
from ..core.types import Trace
from .._validation import finite_real, non_negative_int, positive_int
from ..errors import BackendUnavailableError, InvalidConfigError
from ..problems.protocols import Problem
from .base import OnTrace, failed_trace, restored_environment
from .threads import available_cores, pin_threads

_AUTH_VARS = ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")
# One token per process: Ray's driver caches the token it first loads, so every local cluster
# this process starts must present the same one.
_LOCAL_TOKEN = secrets.token_hex(32)


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise BackendUnavailableError("the ray executor", "ray", "ray") from None
    return ray


@dataclass(frozen=True)
class RayRunner:
    """Run each candidate as a Ray task.

    ``num_cpus``/``num_gpus``: what one candidate asks of the cluster (fractions allowed);
    ``threads``: the math-library threads each task may use (default ``num_cpus``, at least 1);
    ``local_cpus``, ``object_store_mb``: the size of the local cluster lrscout starts when no
    ``address`` is given (default: every available core, Ray's own object-store size).
    """

    address: str | None = None
    num_cpus: float = 1.0
    num_gpus: float = 0.0
    max_retries: int = 2
    threads: int | None = None
    local_cpus: int | None = None
    object_store_mb: int | None = None

    def __post_init__(self) -> None:
        finite_real("num_cpus", self.num_cpus, low=0.0)
        finite_real("num_gpus", self.num_gpus, low=0.0)
        non_negative_int("max_retries", self.max_retries)
        for name in ("threads", "local_cpus", "object_store_mb"):
            if getattr(self, name) is not None:
                positive_int(name, getattr(self, name))
        if self.address is not None and (self.local_cpus is not None or self.object_store_mb is not None):
            raise InvalidConfigError("local_cpus and object_store_mb size a local cluster; they cannot be "
                                     f"given with address={self.address!r}, whose cluster is already sized")

    @property
    def task_threads(self) -> int:
        return self.threads if self.threads is not None else max(1, int(self.num_cpus))

    def session(self) -> "RaySession":
        return RaySession(self)

    def run(self, problem: Problem, lrs: Sequence[float], steps: int, pruner: DivergencePruner | None) -> list[Trace]:
        return self.run_reporting(problem, lrs, steps, pruner, None)

    def run_reporting(self, problem: Problem, lrs: Sequence[float], steps: int, pruner: DivergencePruner | None,
                      on_trace: OnTrace | None) -> list[Trace]:
        with self.session() as session:
            return session.run_reporting(problem, lrs, steps, pruner, on_trace)


class RaySession:
    """A live connection (``RayRunner.session()``): the cluster is reached or started on entry
    and released on exit; the problem is put in the object store once."""

    def __init__(self, config: RayRunner) -> None:
        self.config = config
        self._ray: Any = None
        self._stack: Any = None
        self._problem: tuple[Problem, Any] | None = None
        self._task: Any = None

    def __repr__(self) -> str:
        return repr(self.config)

    def __enter__(self) -> "RaySession":
        ray = import_ray()
        self._stack = _connected(ray, self.config)
        self._stack.__enter__()
        self._ray = ray
        self._task = ray.remote(_train_one).options(
            num_cpus=self.config.num_cpus, num_gpus=self.config.num_gpus, max_retries=self.config.max_retries)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._problem = None  # drop the object-store reference before the cluster goes
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.__exit__(*exc)

    def run(self, problem: Problem, lrs: Sequence[float], steps: int, pruner: DivergencePruner | None) -> list[Trace]:
        return self.run_reporting(problem, lrs, steps, pruner, None)

    def run_reporting(self, problem: Problem, lrs: Sequence[float], steps: int, pruner: DivergencePruner | None,
                      on_trace: OnTrace | None) -> list[Trace]:
        ray = self._ray
        if ray is None:
            raise InvalidConfigError("this Ray session is closed; use RayRunner(...) or `with runner.session()`")
        from ray.exceptions import RayError, RayTaskError

        ref = self._stored(problem)
        index = {self._task.remote(ref, float(lr), steps, pruner, self.config.task_threads): i
                 for i, lr in enumerate(lrs)}
        done: dict[int, Trace] = {}
        try:
            while index:
                ready, _ = ray.wait(list(index), num_returns=1)
                for finished in ready:
                    i = index.pop(finished)
                    try:
                        trace = ray.get(finished)
                    except RayTaskError as exc:  # the problem raised: not a fault of the worker
                        raise exc.as_instanceof_cause() from None
                    except RayError as exc:      # worker or node lost, still after max_retries
                        trace = failed_trace(float(lrs[i]), self._lost(exc))
                    done[i] = trace
                    if on_trace is not None:
                        on_trace(trace)
        except BaseException:
            for pending in index:  # Ctrl-C or an error: stop what is still training
                ray.cancel(pending, force=True)
            raise
        return [done[i] for i in range(len(lrs))]

    def _stored(self, problem: Problem) -> Any:
        if self._problem is None or self._problem[0] is not problem:
            try:
                self._problem = (problem, self._ray.put(problem))
            except Exception as exc:
                raise InvalidConfigError(f"the ray executor cannot serialize the {type(problem).__name__} to send "
                                         f"it to the cluster: {exc}") from exc
        return self._problem[1]

    def _lost(self, exc: Exception) -> str:
        tries = self.config.max_retries + 1
        first_line = (str(exc).strip().splitlines() or [""])[0]
        cause = f"{type(exc).__name__}: {first_line}"
        return (f"its Ray worker or node was lost on each of {tries} tries ({cause})" if tries > 1
                else f"its Ray worker or node was lost ({cause})")


def _train_one(problem: Problem, lr: float, steps: int, pruner: DivergencePruner | None, threads: int) -> Trace:
    """One candidate, in a Ray worker."""
    pin_threads(threads)
    (trace,) = problem.train([lr], steps, pruner=pruner)
    return trace


@contextmanager
def _connected(ray: Any, config: RayRunner) -> Iterator[None]:
    if ray.is_initialized():
        yield  # the caller's own connection: theirs to close
        return
    if config.address is None:
        with _local_cluster(ray, config):
            yield
        return
    try:
        _probe(config.address)
        ray.init(address=config.address, logging_level=logging.WARNING)
    except Exception as exc:
        raise InvalidConfigError(
            f"cannot connect to the Ray cluster at {config.address!r}: {type(exc).__name__}: {exc}. Check the "
            "address (`ray status` on the head node prints it); a cluster with token authentication also "
            "needs its token here (RAY_AUTH_TOKEN, or ~/.ray/auth_token from `ray get-auth-token`). "
            "Leave the address out to start a local cluster") from exc
    try:
        yield
    finally:
        ray.shutdown()  # disconnects; the cluster is not ours to stop


def _probe(address: str, timeout: float = 5.0) -> None:
    """Fail fast when nothing listens at ``host:port``: Ray itself retries a dead address for
    minutes, which is what a stale address from an old cluster looks like."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "://" in address:
        return  # "auto", or a ray:// client address: Ray's own checks apply
    with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
        pass


@contextmanager
def _local_cluster(ray: Any, config: RayRunner) -> Iterator[None]:
    temp = tempfile.mkdtemp(prefix="lrscout-ray-", dir=_short_temp_root())
    try:
        with restored_environment(_AUTH_VARS) as saved:
            if saved["RAY_AUTH_MODE"] != "disabled" and saved["RAY_AUTH_TOKEN"] is None \
                    and saved["RAY_AUTH_TOKEN_PATH"] is None:
                os.environ["RAY_AUTH_TOKEN"] = _LOCAL_TOKEN
            # Ray warns that it turned token auth on; on a cluster lrscout owns that is the intent
            auth_log = logging.getLogger("ray._private.authentication.authentication_token_setup")
            auth_level = auth_log.level
            auth_log.setLevel(logging.ERROR)
            try:
                ray.init(
                    address="local",
                    num_cpus=config.local_cpus or available_cores(),
                    object_store_memory=None if config.object_store_mb is None else config.object_store_mb * 1024**2,
                    include_dashboard=False,
                    logging_level=logging.WARNING,
                    _temp_dir=temp,
                    # workers import the problem's modules as this process does (a process pool's workers do too)
                    runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}},
                )
                auth_log.setLevel(auth_level)
                yield
            finally:
                auth_log.setLevel(auth_level)
                if ray.is_initialized():
                    ray.shutdown()
    finally:
        _reload_auth_settings()   # after the environment is restored, so Ray reads the user's settings
        shutil.rmtree(temp, ignore_errors=True)


def _reload_auth_settings() -> None:
    """Make this process's Ray read its authentication settings from the (restored) environment.

    Ray keeps the mode and the token it loaded in process-wide caches, so after lrscout's local
    cluster (token auth) this process would still demand our token of anyone calling back, and a
    later connection to a cluster without token auth fails: its workers cannot fetch their
    arguments from this process (OwnerDiedError). Ray's own tests reset the same two caches,
    config first, between clusters."""
    from ray import _raylet

    config, tokens = getattr(_raylet, "Config", None), getattr(_raylet, "AuthenticationTokenLoader", None)
    if config is None or tokens is None:
        return  # a Ray without token authentication: nothing cached
    config.initialize("")
    tokens.instance().reset_cache()


def _short_temp_root() -> str | None:
    # Ray's Unix sockets live under the temp folder and their paths are limited to ~100 bytes;
    # macOS's per-user TMPDIR is long enough to break that, /tmp never is
    return "/tmp" if os.path.isdir("/tmp") else None
