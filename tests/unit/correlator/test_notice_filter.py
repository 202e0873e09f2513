"""Zeek notice types a site is not alerted on (`--ignore-notice`, `correlator.ignore_notices`), on the real
Zeek 8.0.10 notice.log of the shared pcaps: heartbleed-success (three notices, no indicator of ours) and
sshguess (SSH::Password_Guessing from the planted address)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from minisoc.cli.main import main
from minisoc.correlator.config import load_correlator_config
from minisoc.correlator.hunt import HuntRequest, run_hunt
from minisoc.correlator.intel.intel_file import IntelFileSource
from minisoc.correlator.model import Alert
from minisoc.correlator.notice_filter import NOTICE_PATTERN, notice_ignored
from minisoc.correlator.service.intel_set import IntelSet
from minisoc.correlator.service.loop import CorrelatorService, ServiceParts
from minisoc.correlator.sinks.buffer import BufferedAlertSink, DurableBuffer
from minisoc.correlator.sinks.sqlite import SqliteAlertSink
from minisoc.correlator.zeek.tail import LogTailer
from minisoc.errors import UsageError


def notes(docs: list[dict[str, Any]]) -> list[str]:
    return sorted(d["rule"]["name"] for d in docs if d.get("rule", {}).get("ruleset") == "zeek-notice")


def hunt(shared_data: Path, *ignore: str) -> tuple[list[dict[str, Any]], int]:
    folder = shared_data / "zeek" / "json" / "zeek8-pcaps"
    docs: list[dict[str, Any]] = []
    summary = run_hunt(
        HuntRequest(logs=[str(folder / "heartbleed-success"), str(folder / "sshguess")],
                    intel=[str(shared_data / "zeek" / "zeek8-pcaps.planted.intel")], ignore_notices=ignore),
        lambda alerts: docs.extend(alert.doc for alert in alerts),
    )
    assert summary.alerts == len(docs)
    return docs, summary.notices_ignored


def test_patterns_name_a_notice_type_or_a_whole_module() -> None:
    assert notice_ignored("SSL::Invalid_Server_Cert", ["SSL::*"])
    assert notice_ignored("SSL::Invalid_Server_Cert", ["SSL::Invalid_Server_Cert"])
    assert not notice_ignored("SSL::Invalid_Server_Cert", ["SSH::*", "SSL::Invalid"])
    assert not notice_ignored("SSLX::Thing", ["SSL::*"])
    candidates = ("SSL::*", "A::B::C", "SSL", "*", "SSL::", "SSL::Bad Name")
    assert [p for p in candidates if NOTICE_PATTERN.match(p)] == ["SSL::*", "A::B::C"]


def test_every_notice_alerts_unless_ignored_and_an_indicators_match_still_alerts(shared_data: Path) -> None:
    every, ignored = hunt(shared_data)
    assert ignored == 0
    assert notes(every) == ["Heartbleed::SSL_Heartbeat_Attack", "Heartbleed::SSL_Heartbeat_Attack_Success",
                            "SSH::Password_Guessing", "SSL::Invalid_Server_Cert"]
    fewer, ignored = hunt(shared_data, "Heartbleed::*", "SSL::Invalid_Server_Cert", "SSH::Password_Guessing")
    # the SSH notice names the planted address: it alerts for the indicator, not as a finding of its own
    assert notes(fewer) == ["SSH::Password_Guessing"] and ignored == 3
    assert len(fewer) == len(every) - 3


def test_a_bad_pattern_is_refused_before_the_hunt(shared_data: Path) -> None:
    with pytest.raises(UsageError, match="--ignore-notice: 'SSL' is not a Zeek notice type"):
        hunt(shared_data, "SSL")


def test_the_cli_says_how_many_notices_it_did_not_raise(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = shared_data / "zeek" / "json" / "zeek8-pcaps" / "heartbleed-success"
    intel = shared_data / "zeek" / "zeek8-pcaps.planted.intel"
    code = main(["hunt", "--logs", str(folder), "--intel", str(intel), "--ignore-notice", "Heartbleed::*",
                 "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert summary["notices_ignored"] == 2


def test_the_service_drops_ignored_notices_from_what_it_tails(tmp_path: Path, shared_data: Path) -> None:
    logs = tmp_path / "logs"
    shutil.copytree(shared_data / "zeek" / "json" / "zeek8-pcaps" / "heartbleed-success", logs)
    store = SqliteAlertSink(tmp_path / "alerts.db")
    tailer = LogTailer(logs, tmp_path / "state" / "tail")
    parts = ServiceParts(
        site="lab", sources=[IntelFileSource(shared_data / "zeek" / "zeek8-pcaps.planted.intel")],
        intel=IntelSet(tmp_path / "state" / "intel"), log_source=tailer,
        alerts=BufferedAlertSink(store, DurableBuffer(tmp_path / "state" / "buffer", Alert)), log_dir=logs,
        retro_on_first_load=False, ignore_notices=("Heartbleed::*",),
    )
    CorrelatorService(parts).step()
    assert notes(store.list_alerts()) == ["SSL::Invalid_Server_Cert"]


def test_the_profile_setting_reaches_the_correlator(tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert main(["init", str(site), "--template", "small-site", "--non-interactive",
                 "--set", 'correlator.ignore_notices=["SSL::*"]']) == 0
    assert main(["render", str(site)]) == 0
    config = load_correlator_config(site / "config" / "correlator" / "correlator.yaml")
    assert config.logs.ignore_notices == ["SSL::*"]
    assert main(["init", str(tmp_path / "bad"), "--template", "small-site", "--non-interactive",
                 "--set", 'correlator.ignore_notices=["SSL"]']) == 2
