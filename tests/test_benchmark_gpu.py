"""benchmarks/gpu.sh, the GPU benchmark, refuses to run without CUDA: a clear message, exit status 2,
nothing measured. (Its code paths run on a CPU with `python -m benchmarks.gpu --device cpu --dry-run`,
a few minutes: not part of the suite.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA: the script would run")


def test_gpu_sh_without_cuda_exits_2_and_says_how_to_check_the_script_on_a_cpu():
    out = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu.sh")], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHON": sys.executable})
    assert out.returncode == 2
    assert "benchmarks/gpu.sh needs a CUDA GPU" in out.stderr and "--device cpu --dry-run" in out.stderr
    assert out.stdout == ""


def test_the_python_part_refuses_cuda_it_does_not_have_and_a_cpu_run_that_is_not_a_dry_run():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    for args, message in ((["--device", "cuda"], "needs a CUDA GPU"), (["--device", "cpu"], "for --dry-run only")):
        out = subprocess.run([sys.executable, "-m", "benchmarks.gpu", *args], capture_output=True, text=True,
                             timeout=120, cwd=ROOT, env=env)
        assert out.returncode == 2 and message in out.stderr
