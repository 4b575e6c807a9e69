"""``lrscout.schedules``, the public home of the schedules (``lrscout.core.schedules`` and
``to_torch``): importing it never imports torch, and its ``to_torch`` says which extra to
install when torch is missing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import lrscout.schedules as schedules
from lrscout.schedules import constant, to_torch


def test_importing_schedules_does_not_import_torch():
    source_root = Path(schedules.__file__).resolve().parents[1]
    path = os.pathsep.join([str(source_root), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    code = "import sys, lrscout.schedules; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], env=env).returncode == 0


def test_to_torch_without_torch_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(ImportError, match=re.escape("pip install 'lrscout[torch]'")):
        to_torch(constant(0.1), optimizer=None)
