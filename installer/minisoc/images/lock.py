"""minisoc's own dependency lock (`requirements.lock`): every runtime package pinned with its hashes.

The lock is what `uv pip compile --generate-hashes` (or pip-compile) writes for CPython 3.11 on Linux, the
Python of the correlator image: `name==version \\` lines, each followed by `--hash=sha256:...` lines. The
image installs it with `pip install --require-hashes -r`, so the same lock gives the same packages; this
module reads it to pick the locked wheels out of the shared wheel cache.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

LOCK_FILE_NAME = "requirements.lock"

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)")
_HASH = re.compile(r"--hash=sha256:(?P<digest>[0-9a-f]{64})")


@dataclass(frozen=True)
class LockedPackage:
    name: str  # normalised (PEP 503): lowercase, runs of -_. as one -
    version: str
    hashes: frozenset[str]  # sha256 hex digests of every file of this version (all platforms)


def normalise_name(name: str) -> str:
    """PEP 503 normalised project name: `ruamel.yaml`, `Ruamel_YAML` -> `ruamel-yaml`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_lock(text: str) -> dict[str, LockedPackage]:
    """The pins of a requirements lock, by normalised name (comments, `# via` lines and markers ignored)."""
    packages: dict[str, LockedPackage] = {}
    name, version, hashes = "", "", set[str]()

    def close() -> None:
        if name:
            packages[name] = LockedPackage(name, version, frozenset(hashes))

    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        pin = _PIN.match(line)
        if pin is not None:
            close()
            name, version, hashes = normalise_name(pin["name"]), pin["version"], set()
        hashes.update(match["digest"] for match in _HASH.finditer(stripped))
    close()
    return packages


def wheel_name_version(filename: str) -> tuple[str, str] | None:
    """(normalised name, version) of a wheel file name, None for anything else (PEP 427: name-version-...)."""
    if not filename.endswith(".whl"):
        return None
    parts = filename[: -len(".whl")].split("-")
    if len(parts) < 5:  # name, version, [build,] python, abi, platform
        return None
    return normalise_name(parts[0]), parts[1]


def locked_wheels(candidates: Iterable[Path], lock: dict[str, LockedPackage]) -> list[Path]:
    """The wheels among `candidates` whose name and version the lock pins (a cache holds older ones too)."""
    kept = []
    for path in candidates:
        parsed = wheel_name_version(path.name)
        if parsed is None:
            continue
        pinned = lock.get(parsed[0])
        if pinned is not None and pinned.version == parsed[1]:
            kept.append(path)
    return sorted(kept)
