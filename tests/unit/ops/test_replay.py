"""`minisoc replay`: the docker argv (pure), its errors, and the whole path without Docker: replay with its
runner pointed at the Zeek stand-in (tests/standins/zeek) -> logs in the site's log folder -> the correlator
-> an alert for the indicator planted in the shared Zeek 8 pcaps."""

from __future__ import annotations

import csv
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from minisoc.cli.main import main
from minisoc.correlator.hunt import HuntRequest, run_hunt
from minisoc.errors import ExternalCommandError, ServiceError, UsageError
from minisoc.ops.replay import CommandRunner, ReplayMounts, replay, zeek_replay_argv
from minisoc.render import render_site
from render_support import fixed_secret, site_from_template
from standin_docker import STANDIN, FakeDocker

PLANTED = "192.168.56.1"  # ../shared/data/zeek/zeek8-pcaps.planted.intel: the sshguess client
NOW = datetime(2026, 12, 4, 17, 30, 0, tzinfo=UTC)


def test_the_docker_argv_is_zeek_dash_r_in_a_locked_down_container() -> None:
    mounts = ReplayMounts(Path("/s/logs/zeek"), Path("/s/config/zeek/local.zeek"),
                          Path("/s/config/zeek/replay-hold.zeek"), "minisoc-lab-abc123_intel")
    argv = zeek_replay_argv(image="zeek/zeek:8.0.10", mounts=mounts, pcap=Path("/caps/ssh guess.pcap"),
                            staging_name=".replay-x", user="1000:1000", project="minisoc-lab-abc123")
    assert argv == [
        "docker", "run", "--rm", "--network", "none", "--read-only", "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges:true", "--user", "1000:1000", "--tmpfs", "/tmp:size=64m",
        "--label", "io.minisoc.replay=minisoc-lab-abc123",
        "--mount", "type=bind,source=/s/logs/zeek,target=/logs/zeek",
        "--mount", "type=bind,source=/s/config/zeek/local.zeek,target=/etc/minisoc/zeek/local.zeek,readonly",
        "--mount",
        "type=bind,source=/s/config/zeek/replay-hold.zeek,target=/etc/minisoc/zeek/replay-hold.zeek,readonly",
        "--mount", "type=volume,source=minisoc-lab-abc123_intel,target=/intel,readonly",
        "--mount", "type=bind,source=/caps/ssh guess.pcap,target=/pcap/ssh_guess.pcap,readonly",
        "--workdir", "/logs/zeek/.replay-x",
        "zeek/zeek:8.0.10",  # no entrypoint in the official image: what follows is the whole command
        "/usr/local/zeek/bin/zeek", "-C", "-r", "/pcap/ssh_guess.pcap",
        "/etc/minisoc/zeek/local.zeek", "/etc/minisoc/zeek/replay-hold.zeek",
    ]


def test_a_comma_in_a_path_is_quoted_as_dockers_csv_mount_syntax_needs() -> None:
    mounts = ReplayMounts(Path("/a,b/logs"), Path("/l.zeek"), Path("/h.zeek"), None)
    argv = zeek_replay_argv(image="z", mounts=mounts, pcap=Path("/p.pcap"), staging_name=".r",
                            user="0:0", project="p")
    value = argv[argv.index("--mount") + 1]
    assert next(csv.reader([value])) == ["type=bind", "source=/a,b/logs", "target=/logs/zeek"]
    assert not any("type=volume" in part for part in argv)  # no intel volume: none mounted


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site, profile = site_from_template(tmp_path, "ci")  # external sensor, correlator, no MISP
    render_site(site, profile, secrets=fixed_secret)
    return site


def sshguess(shared_data: Path) -> Path:
    return shared_data / "pcaps" / "sshguess.pcap"


def hunt_site(site: Path, intel: Path) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    run_hunt(HuntRequest(logs=[str(site / "logs" / "zeek")], intel=[str(intel)]),
             lambda alerts: docs.extend(alert.doc for alert in alerts))
    return docs


def test_replay_to_logs_to_correlator_to_an_alert_for_the_planted_address(
    tmp_path: Path, site: Path, shared_data: Path
) -> None:
    planted = shared_data / "zeek" / "zeek8-pcaps.planted.intel"
    volume = tmp_path / "intel-volume"
    volume.mkdir()
    (volume / "minisoc.intel").write_bytes(planted.read_bytes())  # what the correlator's export holds
    docker = FakeDocker(tmp_path, shared_data / "zeek" / "json" / "zeek8-pcaps", volume=volume)
    report = replay(site, [sshguess(shared_data)], runner=CommandRunner(docker), now=lambda: NOW)
    (run,) = report.runs
    assert run.folder == site.resolve() / "logs" / "zeek" / "replay-20261204T173000Z-01-sshguess"
    assert {"conn.log", "ssh.log", "notice.log", "intel.log"} <= set(run.files)
    assert not any(p.name.startswith(".replay") for p in run.folder.parent.iterdir())  # staging renamed
    assert report.warnings == []
    run_argv = docker.calls[-1]
    assert "type=volume,source=minisoc-ci-g01d3n_intel,target=/intel,readonly" in run_argv
    docs = hunt_site(site, planted)
    # one alert per connection: its conn, ssh and intel.log records are listed in minisoc.records
    log_types = {record["log_type"] for doc in docs
                 if any(e["matched"]["atomic"] == PLANTED for e in doc["threat"]["enrichments"])
                 for record in doc["minisoc"]["records"]}
    assert {"conn", "ssh", "intel"} <= log_types
    assert all(doc["@timestamp"].startswith("2015-03-30") for doc in docs)  # the capture's own time


def test_without_an_intel_export_yet_zeek_replays_without_indicators_and_says_so(
    tmp_path: Path, site: Path, shared_data: Path
) -> None:
    docker = FakeDocker(tmp_path, shared_data / "zeek" / "json" / "zeek8-pcaps", volume=None)
    report = replay(site, [sshguess(shared_data)], runner=CommandRunner(docker), now=lambda: NOW)
    assert "intel.log" not in report.runs[0].files and "conn.log" in report.runs[0].files
    assert len(report.warnings) == 1 and "minisoc-ci-g01d3n_intel" in report.warnings[0]
    assert not any("type=volume" in part for part in docker.calls[-1])  # never creates the site's volume


def test_a_failed_zeek_run_leaves_nothing_in_the_log_folder(
    tmp_path: Path, site: Path, shared_data: Path
) -> None:
    docker = FakeDocker(tmp_path, tmp_path / "no-recorded-logs", volume=None)
    with pytest.raises(ExternalCommandError) as caught:
        replay(site, [sshguess(shared_data)], runner=CommandRunner(docker), now=lambda: NOW)
    assert "no recorded Zeek 8.0.10 logs" in caught.value.stderr and caught.value.exit_code == 3
    assert list((site / "logs" / "zeek").iterdir()) == []


def test_a_missing_image_is_named_with_a_hint(tmp_path: Path, site: Path, shared_data: Path) -> None:
    docker = FakeDocker(tmp_path, tmp_path, image=False)
    with pytest.raises(ServiceError) as caught:
        replay(site, [sshguess(shared_data)], runner=CommandRunner(docker))
    assert "zeek/zeek:8.0.10" in caught.value.message and caught.value.hint and caught.value.exit_code == 3


def test_an_unrendered_site_and_an_unwritable_log_folder_are_refused(
    tmp_path: Path, site: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docker = FakeDocker(tmp_path, tmp_path)
    (site / "config" / "zeek" / "replay-hold.zeek").unlink()
    with pytest.raises(UsageError, match="not rendered") as caught:
        replay(site, [sshguess(shared_data)], runner=CommandRunner(docker))
    assert caught.value.hint and "minisoc render" in caught.value.hint
    render_site(site, site_from_template(tmp_path / "again", "ci")[1], secrets=fixed_secret)
    monkeypatch.setattr("minisoc.ops.replay.os.access", lambda path, mode: False)  # tests may run as root
    with pytest.raises(UsageError, match="not writable") as caught:
        replay(site, [sshguess(shared_data)], runner=CommandRunner(docker))
    assert docker.calls == []  # refused before any docker call


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "absent.pcap", "no such pcap"),
        (lambda tmp: tmp, "a folder, not a pcap"),
        (lambda tmp: (tmp / "notes.txt").write_text("hello") and tmp / "notes.txt", "not a pcap"),
    ],
)
def test_bad_pcaps_are_one_line_errors_with_exit_2(
    tmp_path: Path, site: Path, capsys: pytest.CaptureFixture[str], make: Any, message: str
) -> None:
    code = main(["replay", str(site), str(make(tmp_path))])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0] and "; hint: " in err[0]


def test_the_stand_in_refuses_a_call_replay_would_not_make(tmp_path: Path, shared_data: Path) -> None:
    calls: Sequence[list[str]] = (
        ["-r", str(sshguess(shared_data)), "/x.zeek"],  # no -C
        ["-C", "-i", "af_packet::eth0", "/x.zeek"],  # live, not a replay
    )
    for args in calls:
        done = subprocess.run([str(STANDIN), *args], cwd=tmp_path, capture_output=True, text=True,
                              check=False)
        assert done.returncode == 1 and "zeek stand-in" in done.stderr


def test_two_replays_of_one_capture_in_the_same_second_keep_both(
    tmp_path: Path, site: Path, shared_data: Path
) -> None:
    docker = FakeDocker(tmp_path, shared_data / "zeek" / "json" / "zeek8-pcaps", volume=None)
    first = replay(site, [sshguess(shared_data)], runner=CommandRunner(docker), now=lambda: NOW)
    again = replay(site, [sshguess(shared_data)], runner=CommandRunner(docker), now=lambda: NOW)
    assert again.runs[0].folder == first.runs[0].folder.with_name(first.runs[0].folder.name + "-2")
    assert (first.runs[0].folder / "conn.log").is_file() and (again.runs[0].folder / "conn.log").is_file()
