"""Under torch.distributed every rank ends with the same decision: rank 0 sweeps, the others
receive its result. Two CPU processes on gloo, spawned here with a time limit.

Rank 0 serves the rendezvous store on a port the system picks and hands it to rank 1 through a
file (a port picked free beforehand can be taken by another process before rank 0 binds it),
and leaves last (rank 1 still talks to the store while it tears its group down)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

_RANK = """
import datetime, json, os, sys, time
import torch, torch.distributed as dist
from torch import nn
import lrscout.torch as lt
torch.set_num_threads(1)
rank, port_file, limit = int(os.environ["RANK"]), os.environ["PORT_FILE"], datetime.timedelta(seconds=120)
if rank == 0:
    store = dist.TCPStore("127.0.0.1", 0, 2, is_master=True, timeout=limit, wait_for_workers=False)
    with open(port_file + ".tmp", "w") as fh:
        fh.write(str(store.port))
    os.rename(port_file + ".tmp", port_file)          # whole or absent: rank 1 may read it at any moment
else:
    deadline = time.monotonic() + limit.total_seconds()
    while not os.path.exists(port_file):
        if time.monotonic() > deadline:
            sys.exit("rank 0 never published its store's port")
        time.sleep(0.02)
    with open(port_file) as fh:
        store = dist.TCPStore("127.0.0.1", int(fh.read()), 2, is_master=False, timeout=limit)
dist.init_process_group("gloo", store=store, rank=rank, world_size=2)
assert dist.get_rank() == rank
g = torch.Generator().manual_seed(100 + rank)           # each rank has its own data shard
X = torch.randn(128, 4, generator=g); Y = (X[:, 0] > 0.3 * rank).long()
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
result = lt.sweep(model, torch.optim.SGD, nn.functional.cross_entropy, (X, Y), batch_size=32,
                  lrs=[1e-3, 1e-2, 1e-1, 1.0, 30.0], steps=20, mode="sequential")
try:
    lt.sweep(model, torch.optim.SGD, nn.functional.cross_entropy, (X, Y), batch_size=32, lrs=[0.1], steps=2,
             mode="warp")
    error = None
except Exception as exc:
    error = type(exc).__name__
print(json.dumps({"rank": rank, "result": result.to_dict(), "error": error}), flush=True)
dist.barrier()                 # leave together: a rank tearing gloo down while the other still talks can abort
dist.destroy_process_group()
if rank == 0:
    store.wait(["rank 1 left"])    # the store lives in this process: it goes only when nobody uses it
else:
    store.set("rank 1 left", "")
"""


def test_every_rank_gets_rank_zeros_result_and_its_errors(tmp_path):
    src = str(Path(__file__).resolve().parents[2] / "src")
    procs = []
    for rank in (0, 1):
        env = dict(os.environ, RANK=str(rank), WORLD_SIZE="2", PORT_FILE=str(tmp_path / "store-port"),
                   OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])))
        procs.append(subprocess.Popen([sys.executable, "-c", _RANK], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    outputs = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            outputs.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    zero, one = sorted(outputs, key=lambda o: o["rank"])
    assert zero["result"] == one["result"]
    assert zero["result"]["decision"]["lr"] is not None
    assert zero["error"] == "InvalidConfigError" and one["error"] == "RuntimeError"
