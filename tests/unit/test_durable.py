"""minisoc.durable.write_atomic: the one way state, checkpoints, secrets and feed files are written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from minisoc.durable import write_atomic


def test_the_file_has_its_mode_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        write_atomic(tmp_path / "secret", b"s3cret", mode=0o600)
        write_atomic(tmp_path / "public", b"hello", mode=0o644)
    finally:
        os.umask(old)
    assert (tmp_path / "secret").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "public").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "secret").read_bytes() == b"s3cret"


def test_a_failed_write_keeps_the_old_bytes_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "deep" / "state.json"
    write_atomic(target, b"old")

    def disk_full(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("minisoc.durable.os.fsync", disk_full)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in target.parent.iterdir()] == ["state.json"]
