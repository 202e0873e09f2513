"""The Vagrantfile passes `vagrant validate` (Debian's vagrant, which .ci/test installs): the CI machine and
the trainer's machine, sized from MINISOC_LAB_COUNT, whose bad values it refuses. Skipped only on a machine
without vagrant outside CI; in CI (CI=true) a missing vagrant fails."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def vagrant() -> str:
    found = shutil.which("vagrant")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("vagrant is not installed; .ci/test installs Debian's vagrant package")
        pytest.skip("vagrant is not installed on this machine")
    return found


def validate(
    vagrant: str, tmp_path: Path, *options: str, count: str | None = None, provider: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VAGRANT_HOME": str(tmp_path / "vagrant.d"), "VAGRANT_CHECKPOINT_DISABLE": "1"}
    if provider is not None:
        env["VAGRANT_DEFAULT_PROVIDER"] = provider
    env.pop("MINISOC_LAB_COUNT", None)
    if count is not None:
        env["MINISOC_LAB_COUNT"] = count
    return subprocess.run([vagrant, "validate", *options], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip


@pytest.mark.parametrize("count", [None, "3", "8"])
def test_the_vagrantfile_validates(vagrant: str, tmp_path: Path, count: str | None) -> None:
    done = validate(vagrant, tmp_path, "--ignore-provider", count=count)
    assert done.returncode == 0 and "validated successfully" in done.stdout, done.stdout + done.stderr


def test_with_the_providers_config(vagrant: str, tmp_path: Path) -> None:
    """With the provider blocks checked too, for libvirt (Debian's vagrant-libvirt, which .ci/test installs;
    VirtualBox is not in Debian, so its provider cannot be loaded to check its block)."""
    done = validate(vagrant, tmp_path, provider="libvirt")
    assert done.returncode == 0 and "validated successfully" in done.stdout, done.stdout + done.stderr


@pytest.mark.parametrize("count", ["0", "100", "two"])
def test_a_bad_lab_count_is_refused(vagrant: str, tmp_path: Path, count: str) -> None:
    done = validate(vagrant, tmp_path, "--ignore-provider", count=count)
    assert done.returncode != 0 and f"MINISOC_LAB_COUNT={count}: a lab has 1 to 99 copies" in done.stderr
