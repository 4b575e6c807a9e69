"""Does searching a rate per parameter group help a fine-tuning? Measured against hindsight.

A fine-tuning task in the shape the per-group search is for: a body pretrained on a 10-class
task (4000 rows, 300 Adam steps), a new 4-class head, and few labelled rows of the new task
(``--rows``, 64 by default), whose labels are read out of the same hidden features as the
pretraining labels. For each seed (a new teacher, new data, a new pretraining):

* **one rate**: ``lrscout.torch.sweep`` (defaults: the adaptive plan, 100-step windows) chooses
  one rate for the whole model;
* **per group**: the same call with ``groups={"head": ..., "body": ...}``, which then searches
  the body's rate at 1, 1/3, 1/10, 1/30 of the head's;
* **hindsight**: a grid of head rates (1e-4 .. 1e-1, x~3) times body ratios (1 .. 1/100), each
  trained for the full run; "best one rate" is the best of the grid's ratio-1 row.

Every pick trains for the full run (``--budget`` Adam steps, batch 16, constant rates) from
the same pretrained weights, and its validation loss (1000 held-out rows) is reported with
its regret against the best of the whole grid: val(pick) / val(best) - 1.

    python -m benchmarks.group_rates              # 5 seeds, a few minutes on 2 cores
    python -m benchmarks.group_rates --no-pretraining   # the control: the body is random
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from typing import Any, Sequence

import torch
from torch import nn

import lrscout.torch as lt

CE = nn.functional.cross_entropy
HEAD_LRS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
BODY_RATIOS = (1.0, 1 / 3, 1 / 10, 1 / 30, 1 / 100)


def task(seed: int, rows: int, pretrain: bool) -> tuple[nn.Module, tuple, tuple]:
    g = torch.Generator().manual_seed(seed)
    features = torch.randn(32, 16, generator=g) / 4
    task_a, task_b = torch.randn(10, 32, generator=g), torch.randn(4, 32, generator=g)

    def data(n: int, readout: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        X = torch.randn(n, 16, generator=g)
        logits = torch.tanh(X @ features.T) @ readout.T
        return X, (logits + 0.1 * torch.randn(logits.shape, generator=g)).argmax(1)

    torch.manual_seed(seed)
    body = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh())
    if pretrain:
        head_a = nn.Linear(64, 10)
        X, Y = data(4000, task_a)
        opt = torch.optim.Adam([*body.parameters(), *head_a.parameters()], 3e-3)
        for _ in range(300):
            i = torch.randint(0, len(X), (64,), generator=g)
            opt.zero_grad()
            CE(head_a(body(X[i])), Y[i]).backward()
            opt.step()
    model = nn.Sequential()
    model.add_module("body", body)
    model.add_module("head", nn.Linear(64, 4))
    return model, data(rows, task_b), data(1000, task_b)


def full_run(model: nn.Module, train: tuple, val: tuple, head_lr: float, body_lr: float, budget: int,
             seed: int) -> float:
    m = copy.deepcopy(model)
    opt = torch.optim.Adam([{"params": m.head.parameters(), "lr": head_lr},
                            {"params": m.body.parameters(), "lr": body_lr}])
    g = torch.Generator().manual_seed(seed)
    X, Y = train
    for _ in range(budget):
        i = torch.randint(0, len(X), (min(16, len(X)),), generator=g)
        opt.zero_grad()
        CE(m(X[i]), Y[i]).backward()
        opt.step()
    with torch.no_grad():
        loss = float(CE(m(val[0]), val[1]))
    return loss if loss == loss else float("inf")


def one_seed(seed: int, rows: int, budget: int, pretrain: bool) -> dict[str, Any]:
    model, train, val = task(seed, rows, pretrain)
    common = dict(batch_size=16, val_data=val, seed=seed, mode="sequential")
    t0 = time.perf_counter()
    single = lt.sweep(model, torch.optim.Adam, CE, train, **common)
    t1 = time.perf_counter()
    grouped = lt.sweep(model, torch.optim.Adam, CE, train, groups={"head": model.head, "body": model.body},
                       **common)
    t2 = time.perf_counter()
    grid = {(h, r): full_run(model, train, val, h, h * r, budget, seed) for h in HEAD_LRS for r in BODY_RATIOS}
    best = min(grid.values())
    best_single = min(v for (h, r), v in grid.items() if r == 1.0)
    out: dict[str, Any] = {"seed": seed, "best": best, "best_pair": min(grid, key=grid.get),
                           "best_one_rate": best_single}
    if single.chosen_lr is not None:
        out["one_rate"] = full_run(model, train, val, single.chosen_lr, single.chosen_lr, budget, seed)
        out["one_rate_lr"] = single.chosen_lr
    if grouped.group_lrs:
        rates = grouped.group_lrs
        out["per_group"] = full_run(model, train, val, rates["head"], rates["body"], budget, seed)
        out["per_group_lrs"] = rates
    out["sweep_s"] = {"one_rate": t1 - t0, "per_group": t2 - t1}
    out["group_search_steps"] = grouped.config.get("group_search_steps")
    return out


def regret(value: float | None, best: float) -> float | None:
    return None if value is None else value / best - 1


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.group_rates", description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--rows", type=int, default=64, help="labelled rows of the fine-tuning task")
    ap.add_argument("--budget", type=int, default=300, help="Adam steps of every full run")
    ap.add_argument("--no-pretraining", action="store_true", help="the control: a random body")
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    rows = []
    for seed in range(args.seeds):
        rows.append(one_seed(seed, args.rows, args.budget, not args.no_pretraining))
        print(f"seed {seed} done", file=sys.stderr, flush=True)
    what = "random body (no pretraining)" if args.no_pretraining else "pretrained body"
    print(f"## Per-group rates: {what}, {args.rows} labelled rows, {args.budget}-step runs\n")
    print("| seed | best of grid (head, body) | one rate: lr, regret | per group: head, body, regret | "
          "best one rate in hindsight: regret |")
    print("|---|---|---|---|---|")

    def pct(x: float | None) -> str:
        return "-" if x is None else f"{100 * x:+.1f}%"
    for r in rows:
        h, ratio = r["best_pair"]
        g = r.get("per_group_lrs", {})
        print(f"| {r['seed']} | {r['best']:.4f} ({h:g}, {h * ratio:.3g}) | {r.get('one_rate_lr', '-'):g}, "
              f"{pct(regret(r.get('one_rate'), r['best']))} | {g.get('head', float('nan')):.3g}, "
              f"{g.get('body', float('nan')):.3g}, {pct(regret(r.get('per_group'), r['best']))} | "
              f"{pct(regret(r['best_one_rate'], r['best']))} |")
    print()
    for key in ("one_rate", "per_group", "best_one_rate"):
        values = [regret(r.get(key), r["best"]) for r in rows]
        known = [v for v in values if v is not None]
        if known:
            print(f"- {key}: median regret {pct(statistics.median(known))}, worst {pct(max(known))} "
                  f"({len(known)}/{len(rows)} seeds)")
    spent = [r["group_search_steps"] for r in rows if r["group_search_steps"] is not None]
    if spent:
        print(f"- the per-group search trained {statistics.median(spent):.0f} extra steps (median over seeds); "
              f"sweep wall time one rate {statistics.median(r['sweep_s']['one_rate'] for r in rows):.1f} s, "
              f"per group {statistics.median(r['sweep_s']['per_group'] for r in rows):.1f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
