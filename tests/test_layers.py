"""The package's layers: every import points down, no modules import each other in a circle,
and ``import lrscout`` loads no heavy library.

Imports are read from the source with ``ast``, wherever they are -- at module level or inside
a function, where lazy imports hide -- except under ``if TYPE_CHECKING:``, which never runs.
The checker is shown failing on small packages written to a temporary folder, so a checker
that stopped seeing imports would fail here too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

HEAVY = ("matplotlib", "pandas", "torch", "ray", "plotly", "jax", "tensorflow", "sklearn", "rich", "transformers")
SRC = Path(__file__).resolve().parents[1] / "src"

# lowest first; a module may import its own layer and the layers before it
LRSCOUT_LAYERS = {
    "_version": 0, "errors": 0, "_validation": 0,       # below every layer: the version, the errors, argument checks
    "data": 1, "core": 2, "problems": 3, "executors": 4, "workflows": 5, "torch": 6, "hf": 6, "report": 7, "cli": 8,
    "schedules": 9,       # the public lrscout.schedules: a re-export, beside lrscout/__init__.py on top
}
TOP = 9                   # lrscout/__init__.py re-exports the public names of every layer


# --- the checker ----------------------------------------------------------------------------

def module_files(src: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` under ``src``, by dotted name (a package by its own name)."""
    out = {}
    for path in sorted((src / package).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(node: ast.AST):
    """Every import statement below ``node``, skipping the bodies of ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield from _import_nodes(ast.Module(body=[other], type_ignores=[]))
            continue
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child
        yield from _import_nodes(child)


def imports_of(name: str, path: Path, modules: dict[str, Path], package: str) -> set[str]:
    """The modules of ``package`` that module ``name`` imports (relative imports resolved)."""
    is_package = path.name == "__init__.py"
    here = name.split(".") if is_package else name.split(".")[:-1]
    found = set()
    for node in _import_nodes(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base = here[:len(here) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # ``from . import charts`` names modules; ``from .types import Trace`` names an attribute
            targets = [f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in modules else stem
                       for alias in node.names]
        for target in targets:
            if target == package or target.startswith(package + "."):
                while target not in modules:       # ``import a.b.c`` of an attribute: its module
                    target = target.rsplit(".", 1)[0]
                if target != name:
                    found.add(target)
    return found


def import_graph(src: Path, package: str) -> dict[str, set[str]]:
    modules = module_files(src, package)
    return {name: imports_of(name, path, modules, package) for name, path in modules.items()}


def layer_of(module: str, package: str, layers: dict[str, int], top: int) -> int | None:
    if module == package:
        return top
    return layers.get(module.split(".")[1])


def upward_imports(graph: dict[str, set[str]], package: str, layers: dict[str, int],
                   top: int) -> list[str]:
    """``"a -> b"`` for every import of a higher layer, and ``"a: no layer"`` for a module outside them."""
    problems = []
    for module in sorted(graph):
        mine = layer_of(module, package, layers, top)
        if mine is None:
            problems.append(f"{module}: no layer")
            continue
        for target in sorted(graph[module]):
            theirs = layer_of(target, package, layers, top)
            if theirs is None or theirs > mine:
                problems.append(f"{module} -> {target}")
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import one another, directly or through others (Tarjan's
    strongly connected components of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


# --- lrscout itself ---------------------------------------------------------------------------

def test_every_import_in_lrscout_points_down_the_layers():
    assert upward_imports(import_graph(SRC, "lrscout"), "lrscout", LRSCOUT_LAYERS, TOP) == []


def test_no_lrscout_modules_import_each_other_in_a_circle():
    assert cycles(import_graph(SRC, "lrscout")) == []


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph(SRC, "lrscout")
    assert "lrscout.workflows.tabular" in graph["lrscout.cli.sweep_cmd"]      # imported when the command runs
    assert "lrscout.report.html" in graph["lrscout"]                          # the HTML view, registered lazily


def test_every_layer_package_says_what_it_may_import():
    for name, rank in LRSCOUT_LAYERS.items():
        path = SRC / "lrscout" / name / "__init__.py"
        if path.exists():
            doc = ast.get_docstring(ast.parse(path.read_text())) or ""
            assert f"Layer {rank}" in doc and "may import" in doc, f"lrscout/{name}/__init__.py"


def test_import_lrscout_loads_no_heavy_library():
    code = f"import sys, lrscout; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# --- the checker, shown failing ---------------------------------------------------------------

TOY_LAYERS = {"core": 1, "report": 2}


def write_package(root: Path, files: dict[str, str]) -> Path:
    for name, text in {"toy/__init__.py": "", "toy/core/__init__.py": "", "toy/report/__init__.py": "",
                       **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_checker_reports_a_lower_layer_importing_a_higher_one_inside_a_function(tmp_path):
    src = write_package(tmp_path, {
        "toy/core/values.py": "def to_html(x):\n    from ..report.html import render\n    return render(x)\n",
        "toy/report/html.py": "from ..core import values\n\ndef render(x):\n    return str(x)\n",
    })
    graph = import_graph(src, "toy")
    assert upward_imports(graph, "toy", TOY_LAYERS, 3) == ["toy.core.values -> toy.report.html"]


def test_the_checker_reports_modules_that_import_each_other(tmp_path):
    src = write_package(tmp_path, {
        "toy/report/main.py": "from .cmd import run\nEXIT_OK = 0\n",
        "toy/report/cmd.py": "def run():\n    from toy.report.main import EXIT_OK\n    return EXIT_OK\n",
        "toy/report/other.py": "from . import main\n",
    })
    graph = import_graph(src, "toy")
    assert upward_imports(graph, "toy", TOY_LAYERS, 3) == []
    assert cycles(graph) == [["toy.report.cmd", "toy.report.main"]]


def test_the_checker_reports_a_module_outside_every_layer(tmp_path):
    src = write_package(tmp_path, {"toy/loose.py": "x = 1\n"})
    assert upward_imports(import_graph(src, "toy"), "toy", TOY_LAYERS, 3) == ["toy.loose: no layer"]


def test_imports_for_type_checkers_only_are_not_counted(tmp_path):
    src = write_package(tmp_path, {
        "toy/core/values.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                               "    from ..report.html import render\nelse:\n    render = None\n"),
        "toy/report/html.py": "def render(x):\n    return str(x)\n",
    })
    assert upward_imports(import_graph(src, "toy"), "toy", TOY_LAYERS, 3) == []
