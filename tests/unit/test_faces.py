"""Every package says what it offers: its __init__ re-exports, in `__all__`, the names other packages use; and
no module imports through its own package's face (that import would run the package's __init__ half-done)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import minisoc

PACKAGE_ROOT = Path(minisoc.__file__).resolve().parent


def _packages() -> list[str]:
    return ["minisoc." + ".".join(init.parent.relative_to(PACKAGE_ROOT).parts)
            for init in sorted(PACKAGE_ROOT.rglob("__init__.py")) if init.parent != PACKAGE_ROOT]


def test_every_package_has_a_face_whose_names_resolve() -> None:
    problems = []
    for name in _packages():
        package = importlib.import_module(name)
        offered = getattr(package, "__all__", None)
        if not offered:
            problems.append(f"{name}: no __all__")
            continue
        problems += [f"{name}.{item}: not there" for item in offered if not hasattr(package, item)]
    assert problems == []


def _through_own_face(rel: Path, source: str) -> list[str]:
    """`from minisoc.<ancestor package> import NAME` in `source` (the module at `rel` under minisoc/), where
    NAME is no submodule."""
    ancestors = {"minisoc." + ".".join(rel.parts[:depth]) for depth in range(1, len(rel.parts))}
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in ancestors:
            folder = PACKAGE_ROOT.joinpath(*node.module.split(".")[1:])
            found += [f"{rel}: {node.module}.{alias.name}" for alias in node.names
                      if not (folder / f"{alias.name}.py").exists() and not (folder / alias.name).is_dir()]
    return found


def test_no_module_imports_through_its_own_packages_face() -> None:
    found = [hit for path in sorted(PACKAGE_ROOT.rglob("*.py"))
             for hit in _through_own_face(path.relative_to(PACKAGE_ROOT), path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_face_check_sees_such_an_import() -> None:
    """The check can fail: a module of the matching package importing the package's Matcher is seen, the
    same import of a submodule is not."""
    source = ("from minisoc.correlator.matching import Matcher\n"
              "from minisoc.correlator.matching import observables\n"
              "from minisoc.correlator.zeek import read_logs\n")
    assert _through_own_face(Path("correlator/matching/probe.py"), source) == [
        "correlator/matching/probe.py: minisoc.correlator.matching.Matcher"]
