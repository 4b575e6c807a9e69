"""``import lrscout`` never imports torch; ``import lrscout.torch`` without torch says what to install."""

from __future__ import annotations

import subprocess
import sys

_BLOCK_TORCH = """
import importlib.abc, sys
class _NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError(f"No module named {name!r}")
sys.meta_path.insert(0, _NoTorch())
"""


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _BLOCK_TORCH + code], capture_output=True, text=True, timeout=60)


def test_core_imports_and_sweeps_without_torch():
    out = _run("import lrscout, numpy as np\n"
               "r = lrscout.sweep(lrscout.CallableProblem(lambda lr, steps: np.exp(-lr * np.arange(steps))),"
               " lrs=[0.01, 0.1], steps=20)\n"
               "print('torch' in sys.modules, r.chosen_lr is not None)")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]


def test_lrscout_torch_without_torch_names_the_extra_to_install():
    out = _run("import lrscout\n"
               "try:\n"
               "    import lrscout.torch\n"
               "except lrscout.BackendUnavailableError as e:\n"
               "    print(type(e).__name__, isinstance(e, ImportError), '|', e)\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("BackendUnavailableError True |")
    assert "pip install 'lrscout[torch]'" in out.stdout
