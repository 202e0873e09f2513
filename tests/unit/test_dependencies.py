"""pyproject's runtime dependencies, the package's imports and requirements.lock agree.

- every third-party module installer/minisoc imports (an AST scan, lazy imports included) is declared;
- every declared dependency is imported, or listed below with the reason it is needed anyway;
- every declared dependency has a lower and an upper bound;
- the lock pins every declared dependency, with hashes, at a version its bounds allow (a stale lock fails).
"""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from minisoc.images.lock import LockedPackage, normalise_name, parse_lock
from minisoc.resources import requirements_lock

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = REPO_ROOT / "installer" / "minisoc"

# Imported, not declared: the declared package that pins it, and why declaring it would be wrong.
PROVIDED_BY = {
    "pydantic-core": ("pydantic", "pydantic pins the exact pydantic-core it is built against"),
}
# Declared, not imported by installer/minisoc: why it is needed anyway (none today).
DECLARED_NOT_IMPORTED: dict[str, str] = {}


def declared_requirements() -> list[Requirement]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(text) for text in project["dependencies"]]


def top_level_imports(source: str) -> set[str]:
    """Top-level module names of every absolute import in `source`, at any depth (lazy imports too)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def third_party_imports(package: Path) -> dict[str, set[str]]:
    """Third-party top-level module -> the files (relative to `package`) importing it."""
    found: dict[str, set[str]] = {}
    for path in sorted(package.rglob("*.py")):
        for name in top_level_imports(path.read_text(encoding="utf-8")):
            if name in sys.stdlib_module_names or name in {"__future__", package.name}:
                continue
            found.setdefault(name, set()).add(path.relative_to(package).as_posix())
    return found


def distributions_of(module: str, providers: dict[str, list[str]]) -> set[str]:
    """Normalised names of the installed distributions that provide top-level `module`."""
    return {normalise_name(name) for name in providers.get(module, [])}


@pytest.fixture(scope="module")
def providers() -> dict[str, list[str]]:
    """Top-level module -> installed distributions (importlib.metadata reads every RECORD: once)."""
    return dict(metadata.packages_distributions())


def test_the_ast_scan_finds_lazy_and_dotted_imports_and_skips_relative_ones() -> None:
    source = (
        "import os.path, yaml\n"
        "from ruamel.yaml import YAML\n"
        "from . import sibling\n"
        "def later():\n"
        "    import requests\n"
    )
    assert top_level_imports(source) == {"os", "yaml", "ruamel", "requests"}


def test_every_third_party_import_is_declared(providers: dict[str, list[str]]) -> None:
    declared = {normalise_name(req.name) for req in declared_requirements()}
    undeclared = {}
    for module, files in third_party_imports(PACKAGE).items():
        found = distributions_of(module, providers)
        if not found:
            undeclared[module] = f"no installed distribution provides it (imported by {sorted(files)})"
        elif not found & (declared | set(PROVIDED_BY)):
            undeclared[module] = f"{sorted(found)} is not in pyproject's dependencies ({sorted(files)})"
    assert undeclared == {}


def test_every_declared_dependency_is_imported_or_justified(providers: dict[str, list[str]]) -> None:
    imported = set().union(*(distributions_of(module, providers) for module in third_party_imports(PACKAGE)))
    unused = {
        normalise_name(req.name)
        for req in declared_requirements()
        if normalise_name(req.name) not in imported | set(DECLARED_NOT_IMPORTED)
    }
    assert unused == set(), "declared in pyproject.toml but never imported by installer/minisoc"


@pytest.mark.parametrize("provided", sorted(PROVIDED_BY))
def test_an_undeclared_import_is_really_pinned_by_its_declared_provider(provided: str) -> None:
    provider, _why = PROVIDED_BY[provided]
    assert provider in {normalise_name(req.name) for req in declared_requirements()}
    requires = [Requirement(text) for text in metadata.requires(provider) or []]
    assert provided in {normalise_name(req.name) for req in requires if req.marker is None}


def test_every_declared_dependency_is_bounded_on_both_sides() -> None:
    unbounded = [
        str(req)
        for req in declared_requirements()
        if not {">=", "=="} & {spec.operator for spec in req.specifier}
        or not {"<", "=="} & {spec.operator for spec in req.specifier}
    ]
    assert unbounded == []


@pytest.fixture(scope="module")
def lock() -> dict[str, LockedPackage]:
    return parse_lock(requirements_lock().read_text(encoding="utf-8"))


def test_the_packaged_lock_is_the_repository_lock() -> None:
    """`images build` from an installed wheel reads the packaged copy: it must be the file in the repo."""
    assert requirements_lock().read_bytes() == (REPO_ROOT / "requirements.lock").read_bytes()


def test_the_lock_pins_every_declared_dependency_within_its_bounds(lock: dict[str, LockedPackage]) -> None:
    problems = {}
    for req in declared_requirements():
        pinned = lock.get(normalise_name(req.name))
        if pinned is None:
            problems[req.name] = "not in requirements.lock"
        elif not req.specifier.contains(pinned.version, prereleases=True):
            problems[req.name] = f"locked {pinned.version}, pyproject says {req.specifier}"
    assert problems == {}, "regenerate the lock: see the first lines of requirements.lock"


def test_every_locked_package_has_hashes(lock: dict[str, LockedPackage]) -> None:
    assert len(lock) >= len(declared_requirements())
    assert [name for name, package in lock.items() if not package.hashes] == []


def test_the_lock_has_no_grpc_stack(lock: dict[str, LockedPackage]) -> None:
    """opensearch-py 3 would bring grpcio and protobuf (~25 MB in the correlator image) for nothing we use."""
    assert {"grpcio", "protobuf", "opensearch-protobufs"} & set(lock) == set()
