"""The house's floors hold: the correlator is a library without host-side imports, and no package imports
another that imports it back (no circles between minisoc's packages, nor between the correlator's
sub-packages), checked on every module's imports."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import minisoc

PACKAGE_ROOT = Path(minisoc.__file__).resolve().parent
HOST_SIDE = {"cli", "ops", "render", "profile", "security", "review", "images", "compose", "lab", "scenarios"}
# docs/architecture.md's floor table: a module imports from its own floor or below, never above
FLOORS = {
    "cli": 4, "__main__": 4,
    "ops": 3, "images": 3, "review": 3, "lab": 3, "scenarios": 3,
    "render": 2,
    "profile": 1, "security": 1, "compose": 1, "correlator": 1,
    "site": 0, "kafka": 0, "errors": 0, "durable": 0, "resources": 0, "tls": 0, "__init__": 0,
}
GROUND = {name for name, floor in FLOORS.items() if floor == 0}


def _imports(prefix: tuple[str, ...] = ()) -> list[tuple[str, str, str]]:
    """(importing module path, importing package, imported package) for every `minisoc.<prefix>.*` import
    made under `minisoc/<prefix>/`, lazy ones inside functions included. A package is the first name below
    the prefix (a top-level package of minisoc, or of the correlator with prefix ("correlator",))."""
    found = []
    root = PACKAGE_ROOT.joinpath(*prefix)
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        source_pkg = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                parts = name.split(".")
                depth = 1 + len(prefix)
                if tuple(parts[:depth]) == ("minisoc", *prefix) and len(parts) > depth:
                    found.append((str(rel), source_pkg, parts[depth]))
    return found


def test_the_correlator_imports_nothing_host_side() -> None:
    upward = [(module, target) for module, source, target in _imports()
              if source == "correlator" and target in HOST_SIDE]
    assert upward == []


def test_every_package_has_a_floor() -> None:
    """A new package must be placed in the floor table (here and in docs/architecture.md)."""
    packages = {path.stem if path.is_file() else path.name for path in PACKAGE_ROOT.iterdir()
                if (path.is_dir() and (path / "__init__.py").is_file()) or path.suffix == ".py"}
    assert packages - set(FLOORS) == set()


def _upward(imports: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """(importing module, imported package) for every import of a package on a higher floor."""
    return [(module, target) for module, source, target in imports if FLOORS[target] > FLOORS[source]]


def test_no_module_imports_from_a_higher_floor() -> None:
    assert _upward(_imports()) == []


def test_an_upward_import_is_seen() -> None:
    """The check can fail: the ground floor importing the profile, or render importing ops."""
    assert _upward([("site/paths.py", "site", "profile"), ("render/x.py", "render", "ops")]) == [
        ("site/paths.py", "profile"), ("render/x.py", "ops")]
    assert _upward([("ops/x.py", "ops", "site"), ("profile/x.py", "profile", "site")]) == []


def test_the_site_layer_stands_on_the_ground_floor_alone() -> None:
    """The site layer is what every floor (the correlator library included) may import: it imports only
    the other ground-floor modules."""
    found = [(module, target) for module, source, target in _imports() if source == "site"]
    assert found and {target for _, target in found} <= GROUND


def _circles(imports: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """Pairs of packages that reach each other through their imports."""
    graph: dict[str, set[str]] = defaultdict(set)
    for _, source, target in imports:
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

    return sorted((a, b) for a in graph for b in graph[a] if a < b and reaches(b, a))


def test_no_import_circle_between_packages() -> None:
    circles = _circles(_imports())
    assert circles == [], f"packages importing each other: {circles}"


def test_no_import_circle_between_the_correlators_subpackages() -> None:
    circles = _circles(_imports(("correlator",)))
    assert circles == [], f"correlator sub-packages importing each other: {circles}"


def test_a_circle_is_seen_through_a_third_package() -> None:
    """The check can fail: a circle closed through a third package is found, a one-way chain is not."""
    assert _circles([("a.py", "a", "b"), ("b.py", "b", "c"), ("c.py", "c", "a")]) == [("a", "b"), ("b", "c")]
    assert _circles([("a.py", "a", "b"), ("b.py", "b", "c")]) == []


def test_the_checks_see_real_imports() -> None:
    """Guard against a check that reads nothing: the known edges are there."""
    edges = {(source, target) for _, source, target in _imports()}
    assert ("cli", "ops") in edges and ("review", "correlator") in edges and ("ops", "render") in edges
    assert ("render", "site") in edges and ("correlator", "site") in edges
    inner = {(source, target) for _, source, target in _imports(("correlator",))}
    assert ("intel", "matching") in inner and ("service", "sinks") in inner


def test_only_the_cli_prints() -> None:
    """Printing is the edge's job: below cli/ nothing imports typer, click or rich; ops returns results."""
    printing = {"typer", "click", "rich"}
    found = []
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        rel = path.relative_to(PACKAGE_ROOT)
        if rel.parts[0] == "cli":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            found += [(str(rel), name) for name in names if name.split(".")[0] in printing]
    assert found == [], f"modules below cli/ that print: {found}"


def _module_imports() -> list[tuple[str, str, str]]:
    """(path, importing module, imported module) between minisoc's own modules, lazy and TYPE_CHECKING
    imports included. `from pkg import submodule` is an edge to the submodule; an import of a package's
    face (its __init__) is an edge to the package."""
    modules = {}
    for path in PACKAGE_ROOT.rglob("*.py"):
        parts = ("minisoc", *path.relative_to(PACKAGE_ROOT).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    found = []
    for module, path in sorted(modules.items()):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                subs = [f"{node.module}.{alias.name}" for alias in node.names]
                targets = [t for t in subs if t in modules] or [node.module]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            found += [(str(path), module, t) for t in targets if t in modules and t != module]
    return found


def test_no_import_circle_between_modules() -> None:
    """Not even a lazy or TYPE_CHECKING one (misp_bulk and misp_event once named each other's types): what
    two modules both need moves below both."""
    circles = [pair for pair in _circles(_module_imports())
               if not any(name == pair[0] or name.startswith(pair[0] + ".") for name in pair[1:])]
    assert circles == [], f"modules importing each other: {circles}"


def test_the_module_check_sees_a_lazy_circle() -> None:
    edges = {(source, target) for _, source, target in _module_imports()}
    assert ("minisoc.correlator.intel.misp_event", "minisoc.correlator.intel.misp_bulk") in edges
    assert _circles([("x.py", "m.a", "m.b"), ("y.py", "m.b", "m.a")]) == [("m.a", "m.b")]
