"""The core stays light: importing lrscout loads no plotting, table or ML framework."""

import ast
import subprocess
import sys
from pathlib import Path

HEAVY = ("matplotlib", "pandas", "torch", "ray", "plotly", "jax", "tensorflow", "sklearn", "rich")
SRC = Path(__file__).resolve().parents[1] / "src" / "lrscout"
CORE = ("core/analysis", "core/selection", "core/grids", "core/planners", "core/thresholds", "core/types",
        "core/result", "core/schedules", "errors", "core/validation", "_version", "core/diagnosis",
        "core/recommendation", "core/pruning")


def test_import_lrscout_loads_no_heavy_library():
    code = ("import sys, lrscout; print(','.join(m for m in %r if m in sys.modules))" % (HEAVY,))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_core_modules_import_only_numpy_and_the_core_at_module_level():
    allowed_relative = {name.split('/')[-1] for name in CORE}
    for name in CORE:
        tree = ast.parse((SRC / f"{name}.py").read_text())
        for node in tree.body:  # module level: lazy imports inside functions are the point
            if isinstance(node, ast.ImportFrom) and node.level:
                target = (node.module or "").split(".")[0]
                assert target in allowed_relative, f"{name}.py imports .{node.module}"
            elif isinstance(node, ast.ImportFrom):
                assert node.module.split(".")[0] in ("numpy", "__future__", "typing", "dataclasses", "math",
                                                     "enum", "json", "os", "tempfile", "pathlib", "numbers",
                                                     "functools", "collections"), f"{name}.py imports {node.module}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.split(".")[0] not in HEAVY, f"{name}.py imports {alias.name}"
