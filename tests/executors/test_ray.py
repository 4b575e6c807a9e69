"""The ray executor: the same sweep on a local Ray cluster gives the same result as inline and
on a process pool, lost workers are retried then failed, and lrscout cleans up its cluster.

One small local cluster (2 CPUs, 100 MB object store, no dashboard) serves the whole module:
it is started by lrscout as a fresh user's first ``--executor ray`` would, with a stale
``RAY_ADDRESS`` in the environment that must not be dialled, and stopped at the end, when
nothing it started may be left: no process, no temporary folder, no token in the home folder,
no change to the environment. Skipped when Ray is not installed (``pip install 'lrscout[ray]'``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

import lrscout  # noqa: E402
from executor_helpers import DiesAt, assert_same_result, callable_problem, curve, kept, numpy_problem  # noqa: E402
from lrscout import VerdictKind  # noqa: E402
from lrscout.executors import RayRunner  # noqa: E402

DEAD_ADDRESS = "127.0.0.1:9"  # the discard port: nothing answers there
AUTH_VARS = ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_ADDRESS")


def children(pid: int) -> list[int]:
    """Live (non-zombie) child processes of ``pid``, from /proc, except multiprocessing's
    resource tracker: a standard-library helper that lives as long as this process by design
    (the process-pool test beside Ray starts it)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z" and b"resource_tracker" not in cmdline:
            out.append(int(stat.parent.name))
    return out


def auth_mode():
    """The authentication mode this process's Ray enforces (cached process-wide, not read from
    the environment on each call); None for a Ray without token authentication."""
    get = getattr(ray._raylet, "get_authentication_mode", None)
    return None if get is None else get()


def test_an_unreachable_cluster_address_is_a_clear_error_not_a_hang():
    # runs first, before the module's cluster exists: a connected process would reuse that
    with pytest.raises(lrscout.InvalidConfigError, match="cannot connect to the Ray cluster at '127.0.0.1:9'"):
        with RayRunner(address=DEAD_ADDRESS).session():
            pass


@pytest.fixture(scope="module")
def cluster():
    if ray.is_initialized():
        pytest.skip("this process is already connected to Ray; the test needs to start its own cluster")
    token_file = Path.home() / ".ray" / "auth_token"
    had_token = token_file.exists()
    env_before = {k: os.environ.get(k) for k in AUTH_VARS if k != "RAY_ADDRESS"}
    mode_before = auth_mode()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAY_ADDRESS", DEAD_ADDRESS)  # left over from some earlier cluster
        with RayRunner(local_cpus=2, object_store_mb=100, max_retries=2).session() as session:
            assert ray.is_initialized()
            # this cluster's own folder: another sweep on the machine may hold an lrscout-ray-* folder too
            temp = Path(ray._private.worker._global_node.get_temp_dir_path())
            assert temp.parent == Path("/tmp") and temp.name.startswith("lrscout-ray-")
            yield session
    assert not ray.is_initialized()
    assert not temp.exists(), "the cluster's temp folder is left"
    assert token_file.exists() == had_token, "a token was written to the home folder"
    assert {k: os.environ.get(k) for k in env_before} == env_before
    assert auth_mode() == mode_before, "this process's Ray still demands the local cluster's token"
    if Path("/proc").is_dir():
        deadline = time.monotonic() + 30  # Ray's helpers exit on their own once the cluster is gone (slowly, if busy)
        while children(os.getpid()) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = {pid: Path(f"/proc/{pid}/cmdline").read_bytes()[:200] for pid in children(os.getpid())}
        assert left == {}, "Ray processes were left running"


def test_the_built_in_model_sweeps_the_same_on_ray_as_inline_and_on_processes(cluster):
    problem = numpy_problem()
    inline = lrscout.sweep(problem, steps=60)
    on_ray = lrscout.sweep(problem, steps=60, executor=cluster)
    pooled = lrscout.sweep(problem, steps=60, executor="processes", workers=2)
    assert_same_result(inline, on_ray, bitwise=False)
    assert_same_result(pooled, on_ray, bitwise=True)  # one rate per task, one thread, on both


def test_a_callable_problem_sweeps_bitwise_the_same_on_ray(cluster):
    assert_same_result(lrscout.sweep(callable_problem(), steps=80),
                       lrscout.sweep(callable_problem(), steps=80, executor=cluster), bitwise=True)


def test_a_closure_travels_to_ray_workers_by_value(cluster):
    scale = 2.0
    problem = lrscout.CallableProblem(lambda lr, steps: scale * curve(lr, steps))
    result = lrscout.sweep(problem, [1e-2, 1e-1], steps=40, executor=cluster)
    assert result.candidate(1e-1).train_loss.tolist() == kept(2.0 * curve(1e-1, 40))


def test_a_lost_ray_worker_is_retried_and_its_candidate_trained(cluster, tmp_path):
    problem = lrscout.CallableProblem(DiesAt(tmp_path, lr=1e-2, times=1))
    result = lrscout.sweep(problem, [1e-3, 1e-2, 1e-1], steps=60, executor=cluster)
    assert len(list(tmp_path.glob("death-*"))) == 1
    assert result.candidate(1e-2).train_loss.tolist() == kept(curve(1e-2, 60))


def test_a_candidate_whose_ray_worker_keeps_dying_is_failed_and_the_sweep_finishes(cluster, tmp_path):
    problem = lrscout.CallableProblem(DiesAt(tmp_path, lr=1e-1, times=99))
    result = lrscout.sweep(problem, [1e-3, 1e-2, 1e-1], steps=60, executor=cluster)
    assert len(list(tmp_path.glob("death-*"))) == 3
    failed = result.candidate(1e-1)
    assert failed.kind is VerdictKind.FAILED
    assert "its Ray worker or node was lost on each of 3 tries (WorkerCrashedError" in failed.verdict.reason
    assert result.candidate(1e-2).kind is VerdictKind.GOOD and result.chosen_lr == 1e-2


def test_an_exception_in_the_problem_reaches_the_caller(cluster):
    with pytest.raises(lrscout.InvalidConfigError, match="steps must be an integer"):
        cluster.run(numpy_problem(), [1e-2], 0, None)
