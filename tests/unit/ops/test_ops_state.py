"""The ops state file (verify's last pass, up timings) is written like all state: durable.write_atomic."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from minisoc.site import SiteLayout


def test_update_state_merges_and_is_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = SiteLayout(tmp_path)
    files.update_state(verify={"passed": True})
    synced: list[int] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr("os.fsync", recording_fsync)
    files.update_state(up={"seconds": 12.5})
    assert files.read_state() == {"verify": {"passed": True}, "up": {"seconds": 12.5}}
    assert len(synced) >= 2  # the file, then its directory (so the rename survives a crash)
    assert files.state_file.read_text(encoding="utf-8").endswith("}\n")


def test_a_failed_update_keeps_the_old_state_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = SiteLayout(tmp_path)
    files.update_state(verify={"passed": True})

    def disk_full(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.fsync", disk_full)
    with pytest.raises(OSError, match="disk full"):
        files.update_state(verify={"passed": False})
    assert files.read_state() == {"verify": {"passed": True}}
    assert [p.name for p in files.state_file.parent.iterdir()] == [files.state_file.name]
