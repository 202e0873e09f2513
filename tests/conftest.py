"""Shared fixtures: where the real sample data lives, and whether a Docker engine answers."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _shared_data_dir() -> Path:
    override = os.environ.get("MINISOC_SHARED_DATA")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real Zeek logs, MISP feeds and events, intel files, warninglists (../shared/data)."""
    path = _shared_data_dir()
    if not (path / "MANIFEST.md").is_file():
        pytest.fail(f"sample data not found at {path}; set MINISOC_SHARED_DATA to the shared/data folder")
    return path


def docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        done = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True,
                              timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@pytest.fixture(scope="session")
def docker_engine() -> None:
    """Tests that need Docker: skip locally without an engine, fail in CI (CI=true)."""
    if docker_engine_answers():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("no Docker engine answers (`docker info` failed); .ci/bootstrap starts dockerd")
    pytest.skip("no Docker engine answers on this machine")


@pytest.fixture(autouse=True)
def _needs_docker(request: pytest.FixtureRequest) -> None:
    """Tests marked `docker` or `e2e` get the docker_engine check (skip locally, fail in CI)."""
    if request.node.get_closest_marker("docker") or request.node.get_closest_marker("e2e"):
        request.getfixturevalue("docker_engine")
