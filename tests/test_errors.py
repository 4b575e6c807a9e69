"""Every extra an error message tells users to install exists in pyproject.toml."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = None

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _named_extras(path: Path) -> list[tuple[int, str]]:
    """The ``extra`` argument of each ``BackendUnavailableError(feature, extra, module)`` in a
    module: a string, or a module-level name bound to one."""
    tree = ast.parse(path.read_text())
    constants = {target.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                 and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                 for target in node.targets if isinstance(target, ast.Name)}
    constants.update({elt.id: value.value for node in tree.body if isinstance(node, ast.Assign)
                      for target in node.targets if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                      for elt, value in zip(target.elts, node.value.elts)
                      if isinstance(elt, ast.Name) and isinstance(value, ast.Constant)})
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "BackendUnavailableError":
            extra = node.args[1]
            value = extra.value if isinstance(extra, ast.Constant) else constants.get(getattr(extra, "id", ""))
            found.append((node.lineno, value))
    return found


@pytest.mark.skipif(tomllib is None, reason="tomllib is Python 3.11+")
def test_every_extra_an_error_names_is_defined_in_pyproject():
    defined = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    named = [(path.relative_to(ROOT), line, extra) for path in sorted((ROOT / "src" / "lrscout").rglob("*.py"))
             if path.name != "errors.py" for line, extra in _named_extras(path)]
    assert len(named) >= 8                                   # the checker sees the calls
    assert [(str(path), line, extra) for path, line, extra in named if extra not in defined] == []
