"""The quality benchmark's lrscout picks alone: no peers, no full-budget evaluation.

A change that should not change behaviour (a refactor) must leave every line the same::

    python -m benchmarks.quality.picks > before.txt        # at the old commit
    python -m benchmarks.quality.picks > after.txt         # at the new one
    python -m benchmarks.quality.picks --compare before.txt after.txt

Each line is one task, finder seed and finder: the pick, the planner's rounds and every
verdict (the sweep) or the three suggestions (the range test). ``--compare`` ignores the engine
``mode`` and the step count, which ``mode="auto"`` sets by timing; it exits 1 on any other
difference. Finders and seeds are set up exactly as ``finders.run_finder`` does it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys

TIMING_DEPENDENT = (re.compile(r" steps=\d+"), re.compile(r" mode=\S+"))


def print_picks(finders: list[str], tasks: list[str], seeds: int) -> None:
    import torch

    from .finders import FINDERS
    from .pool import single_threaded
    from .tasks import get_task

    single_threaded()
    for name in tasks:
        task = get_task(name)
        for seed in range(seeds):
            for finder in finders:
                model = task.make_model(seed)
                torch.manual_seed(seed)
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    found = FINDERS[finder](task, model, seed)
                info = found.info
                if "suggestions" in info:
                    extra = " ".join(f"{k}={v!r}" for k, v in sorted(info["suggestions"].items()))
                else:
                    verdicts = [(c["lr"], c["verdict"]) for c in info["candidates"]]
                    extra = f"mode={info['mode']} rounds={info['rounds']} verdicts={verdicts}"
                print(f"{name:18s} seed={seed} {finder:14s} pick={found.lr!r} steps={found.steps} {extra}",
                      flush=True)


def compare(before: str, after: str) -> int:
    def key(line: str) -> str:
        for pattern in TIMING_DEPENDENT:
            line = pattern.sub("", line)
        return line

    with open(before) as a, open(after) as b:
        old, new = a.read().splitlines(), b.read().splitlines()
    differ = [(x, y) for x, y in zip(old, new) if key(x) != key(y)]
    print(f"{len(old)} vs {len(new)} lines; {len(differ)} differ in picks, rounds, verdicts or suggestions")
    for x, y in differ:
        print("-", x)
        print("+", y)
    return 1 if differ or len(old) != len(new) else 0


def main(argv: list[str] | None = None) -> int:
    from .tasks import TASK_NAMES

    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality.picks", description=__doc__.splitlines()[0])
    parser.add_argument("--finders", default="lrscout,lrscout-range")
    parser.add_argument("--tasks", default=",".join(TASK_NAMES))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args(argv)
    if args.compare:
        return compare(*args.compare)
    print_picks(args.finders.split(","), args.tasks.split(","), args.seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
