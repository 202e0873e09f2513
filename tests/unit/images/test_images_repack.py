"""Repacking the installed minisoc into a wheel: what a site without a source checkout builds its correlator
image from. Checked on a real wheel built from this repository and installed into a scratch folder."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from minisoc.images.repack import record_line, wheel_entries

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_wheel_entries_drop_bytecode_installer_files_and_scripts() -> None:
    files = [
        PurePosixPath(p)
        for p in (
            "minisoc/__init__.py",
            "minisoc/__pycache__/x.cpython-311.pyc",
            "../../../bin/minisoc",
            "minisoc-0.1.0.dist-info/RECORD",
            "minisoc-0.1.0.dist-info/INSTALLER",
            "minisoc-0.1.0.dist-info/METADATA",
            "minisoc-0.1.0.dist-info/direct_url.json",
            "minisoc/stacks/zeek/compose.yaml.j2",
        )
    ]
    assert sorted(str(p) for p in wheel_entries(files)) == [
        "minisoc-0.1.0.dist-info/METADATA",
        "minisoc/__init__.py",
        "minisoc/stacks/zeek/compose.yaml.j2",
    ]


def test_record_line_hashes_as_pip_does(tmp_path: Path) -> None:
    from pip._internal.operations.install.wheel import rehash  # pip's own RECORD hashing, as the oracle

    data = b"print('hello')\n" * 100
    (tmp_path / "b.py").write_bytes(data)
    digest, length = rehash(str(tmp_path / "b.py"))
    assert record_line(PurePosixPath("a/b.py"), data) == f"a/b.py,{digest},{length}"


@pytest.mark.integration
def test_repacked_wheel_has_the_built_wheels_files_and_installs(tmp_path: Path) -> None:
    built = tmp_path / "built"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(built), str(REPO_ROOT)],
        check=True,
    )
    original = next(built.glob("minisoc-*.whl"))
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(original)],
        check=True,
    )
    out = tmp_path / "out"
    script = (
        "import sys; from pathlib import Path; from minisoc.images.repack import repack_installed_wheel;"
        "print(repack_installed_wheel(Path(sys.argv[1])))"
    )
    first = subprocess.run(
        [sys.executable, "-c", script, str(out)],
        env={"PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    repacked = Path(first)
    data_first = repacked.read_bytes()

    def names(wheel: Path) -> set[str]:
        with zipfile.ZipFile(wheel) as archive:
            return {n for n in archive.namelist() if not n.endswith("/RECORD")}

    assert names(repacked) == names(original)
    assert any(n.startswith("minisoc/stacks/") for n in names(repacked))
    # deterministic: the same install repacks to the same bytes
    subprocess.run([sys.executable, "-c", script, str(out)], env={"PYTHONPATH": str(site)}, check=True)
    assert repacked.read_bytes() == data_first
    # and pip accepts it (RECORD hashes checked on install)
    target = tmp_path / "again"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(repacked)],
        check=True,
    )
    assert (target / "minisoc" / "templates" / "ci.yaml").is_file()
