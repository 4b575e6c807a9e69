"""The ray executor on a cluster of several nodes: a sweep spreads over three Ray nodes, one
node is lost while its candidate trains, and the sweep still finishes with the inline decision.

``ray.cluster_utils.Cluster`` starts three Ray nodes (one CPU each) as separate raylets on this
machine, which is what a multi-machine cluster looks like to lrscout: it connects by address
(``RayRunner(address=...)``) as it would to any existing cluster. The nodes find lrscout and
these helpers on PYTHONPATH, as a real cluster's nodes have them installed.

Every candidate records each attempt (learning rate, node, process) and holds until released,
so the test knows which candidate trains on which node before it removes one. Everything the
cluster started carries a marker in its environment; after shutdown no marked process may be
left. Skipped when Ray is not installed; marked ``multinode`` (``pytest -m "not multinode"``
leaves it out: starting three raylets takes most of its ~25 s on a busy 2-core machine).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'lrscout[ray]')")
cluster_utils = pytest.importorskip("ray.cluster_utils", reason="this Ray has no ray.cluster_utils.Cluster")

import lrscout  # noqa: E402
from executor_helpers import HeldAndRecorded, assert_same_result  # noqa: E402
from lrscout.executors import RayRunner  # noqa: E402

pytestmark = pytest.mark.multinode

STEPS = 80
MARKER = "LRSCOUT_TEST_RAY_CLUSTER"


def marked_processes(marker: str) -> dict[int, bytes]:
    """Live processes (not this one) whose environment carries ``MARKER=marker``, with their
    command lines: the processes the test's cluster started, and nobody else's."""
    needle = f"{MARKER}={marker}".encode() + b"\0"
    out = {}
    for proc in Path("/proc").glob("[0-9]*"):
        if int(proc.name) == os.getpid():
            continue
        try:
            if needle not in (proc / "environ").read_bytes() \
                    or (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            out[int(proc.name)] = (proc / "cmdline").read_bytes()[:120]
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return out


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture
def three_nodes():
    """A head node and two worker nodes, one CPU each, in a private temporary folder; yields
    ``(cluster, doomed_node)``. Stopped explicitly, then checked for leftovers."""
    if ray.is_initialized():
        pytest.skip("this process is already connected to Ray; the test needs a cluster of its own")
    if not Path("/proc").is_dir():
        pytest.skip("the leftover-process check reads /proc")
    marker = uuid.uuid4().hex
    # short: Ray's socket paths under it are limited to ~100 bytes
    temp = tempfile.mkdtemp(prefix="lrscout-rc-", dir="/tmp")
    tests_dir = str(Path(__file__).resolve().parents[1])   # where executor_helpers lives
    src_dir = str(Path(lrscout.__file__).resolve().parents[1])
    cluster = None
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(MARKER, marker)
        mp.setenv("RAY_TMPDIR", temp)         # sessions and the cluster-address file stay in here
        mp.setenv("RAY_AUTH_MODE", "disabled")  # a test cluster; token auth is test_ray's part
        mp.delenv("RAY_ADDRESS", raising=False)
        mp.setenv("PYTHONPATH", os.pathsep.join(p for p in [tests_dir, src_dir, *sys.path] if p))
        try:
            cluster = cluster_utils.Cluster(initialize_head=True,
                                            head_node_args={"num_cpus": 1, "include_dashboard": False})
            doomed = cluster.add_node(num_cpus=1)
            cluster.add_node(num_cpus=1)
            cluster.wait_for_nodes()
            assert marked_processes(marker), "the cluster's processes cannot be found by their marker"
            yield cluster, doomed
        finally:
            if ray.is_initialized():
                ray.shutdown()
            if cluster is not None:
                cluster.shutdown()
            shutil.rmtree(temp, ignore_errors=True)
    deadline = time.monotonic() + 20  # workers notice their raylet is gone and exit by themselves
    while marked_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marked_processes(marker) == {}, "processes of the cluster were left running"


def test_a_sweep_across_three_nodes_survives_losing_a_node_and_decides_as_inline(three_nodes, tmp_path):
    cluster, doomed = three_nodes
    inline_dir, cluster_dir = tmp_path / "inline", tmp_path / "cluster"
    inline_dir.mkdir(), cluster_dir.mkdir()
    HeldAndRecorded.release(inline_dir)
    # the plan without a budget, so that each candidate trains once (a budgeted search on a
    # problem that cannot continue trains its finalists again): the subject here is the executor
    inline = lrscout.sweep(lrscout.CallableProblem(HeldAndRecorded(inline_dir)), steps=STEPS,
                           planner=lrscout.AdaptivePlanner())

    all_nodes = {node.node_id for node in cluster.list_all_nodes()}
    seen: dict = {}

    def remove_the_doomed_node_while_it_trains():
        try:
            # the first round holds five candidates; with one CPU a node, each node takes one
            deadline = time.monotonic() + 60
            while len(started := HeldAndRecorded.attempts(cluster_dir)) < 3:
                if time.monotonic() > deadline:
                    raise AssertionError(f"only {len(started)} candidates started in 60 s")
                time.sleep(0.05)
            (lost,) = [a for a in started if a["node"] == doomed.node_id]
            cluster.remove_node(doomed, allow_graceful=False)  # its raylet and store are killed
            # its worker exits when it notices; a lost machine takes the worker with it, so the
            # candidates are released only then, or that worker could still finish its candidate
            deadline = time.monotonic() + 30
            while alive(lost["pid"]):
                if time.monotonic() > deadline:
                    raise AssertionError("the lost node's worker outlived its raylet by 30 s")
                time.sleep(0.05)
            seen.update(started=started, lost=lost)
        except BaseException as exc:
            seen["error"] = exc
        finally:
            HeldAndRecorded.release(cluster_dir)

    remover = threading.Thread(target=remove_the_doomed_node_while_it_trains, daemon=True)
    remover.start()
    try:
        on_cluster = lrscout.sweep(lrscout.CallableProblem(HeldAndRecorded(cluster_dir)), steps=STEPS,
                                   planner=lrscout.AdaptivePlanner(),
                                   executor=RayRunner(address=cluster.address, max_retries=2))
    finally:
        remover.join()
    if "error" in seen:
        raise seen["error"]

    # the sweep ran across the nodes: one candidate held on each of the three before the loss
    assert len(all_nodes) == 3 and {a["node"] for a in seen["started"]} == all_nodes
    # the same candidates, verdicts, rounds and decision as inline, every curve bitwise: nothing lost
    assert_same_result(inline, on_cluster, bitwise=True)
    assert all(c.trace.error is None for c in on_cluster.candidates)
    # each candidate trained once, except the lost one: once on the lost node, then on a survivor
    attempts = HeldAndRecorded.attempts(cluster_dir)
    tries = {lr: [a["node"] for a in attempts if a["lr"] == lr] for lr in {a["lr"] for a in attempts}}
    assert sorted(tries) == sorted(c.lr for c in on_cluster.candidates)
    lost_tries = tries.pop(seen["lost"]["lr"])
    assert len(lost_tries) == 2 and doomed.node_id in lost_tries
    (retried_on,) = set(lost_tries) - {doomed.node_id}
    assert retried_on in all_nodes - {doomed.node_id}
    assert all(len(nodes) == 1 and nodes != [doomed.node_id] for nodes in tries.values())
