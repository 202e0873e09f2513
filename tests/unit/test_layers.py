"""The house's floors hold: the correlator is a library without host-side imports, and no package imports
another that imports it back (no circles between minisoc's packages), checked on every module's imports."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import minisoc

PACKAGE_ROOT = Path(minisoc.__file__).resolve().parent
HOST_SIDE = {"cli", "ops", "render", "profile", "security", "review", "images", "compose"}


def _imports() -> list[tuple[str, str, str]]:
    """(importing module path, importing top-level package, imported top-level package) for every
    `minisoc.*` import, lazy ones inside functions included."""
    found = []
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        rel = path.relative_to(PACKAGE_ROOT)
        source_pkg = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "minisoc" and len(parts) > 1:
                    found.append((str(rel), source_pkg, parts[1]))
    return found


def test_the_correlator_imports_nothing_host_side() -> None:
    upward = [(module, target) for module, source, target in _imports()
              if source == "correlator" and target in HOST_SIDE]
    assert upward == []


def test_no_import_circle_between_packages() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for _, source, target in _imports():
        if source != target:
            graph[source].add(target)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(graph.get(node, ()))
        return False

    circles = sorted((a, b) for a in graph for b in graph[a] if a < b and reaches(b, a))
    assert circles == [], f"packages importing each other: {circles}"


def test_the_checks_see_real_imports() -> None:
    """Guard against a check that reads nothing: the known edges are there."""
    edges = {(source, target) for _, source, target in _imports()}
    assert ("cli", "ops") in edges and ("review", "correlator") in edges and ("ops", "render") in edges
