"""The correlator service loop on copies of the real logs: same alerts as the offline hunt, restart between
write and commit without loss or duplicates, sink down then up, retro-hunt on new intel, Zeek intel export,
and /healthz + /metrics over real HTTP, as `minisoc verify` reads them."""

from __future__ import annotations

import json
import shutil
import threading
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from minisoc.correlator import Alert, LogBatch, SinkUnavailable
from minisoc.correlator.hunt import HuntRequest, run_hunt
from minisoc.correlator.intel import IntelFileSource, Warninglists, load_warninglists
from minisoc.correlator.service.http import StatusServer
from minisoc.correlator.service.intel_set import IntelSet
from minisoc.correlator.service.loop import CorrelatorService, ServiceParts
from minisoc.correlator.service.metrics import ServiceMetrics
from minisoc.correlator.sinks import BufferedAlertSink, DurableBuffer, SqliteAlertSink
from minisoc.correlator.zeek import LogTailer
from minisoc.ops import Report, Site
from minisoc.ops.health import correlator_check, health_problems

FIELDS = "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url\n"
FIRST_INTEL = FIELDS + "69.147.64.34\tIntel::ADDR\tlab\taol\thttps://misp.example/events/view/1\n"
MORE_INTEL = FIRST_INTEL + "icemaiden.com\tIntel::DOMAIN\tlab\tlab domain\t-\n"


class CrashBeforeCommit(Exception):
    """Stands for the process dying after the alerts were written, before the checkpoint."""


class CrashingTailer:
    """The real tailer, but it dies at the first commit after alerts were stored: between write and commit."""

    def __init__(self, inner: LogTailer, store: SqliteAlertSink) -> None:
        self.inner = inner
        self.store = store

    def batches(self) -> Any:
        return self.inner.batches()

    def commit(self, checkpoint: dict[str, Any]) -> None:
        if self.store.count() > 0:
            raise CrashBeforeCommit
        self.inner.commit(checkpoint)


class FlakySink:
    """A real SQLite sink that refuses its first `failures` writes (as OpenSearch does while down)."""

    def __init__(self, inner: SqliteAlertSink, failures: int = 0) -> None:
        self.inner = inner
        self.failures = failures

    def write(self, alerts: Sequence[Alert]) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise SinkUnavailable("down for the test")
        self.inner.write(alerts)

    def close(self) -> None:
        self.inner.close()


class DyingOnRetroSink(FlakySink):
    """Dies (as the process would under a kill) when the first retro-hunt alerts reach it."""

    def write(self, alerts: Sequence[Alert]) -> None:
        if any(alert.doc["minisoc"]["retro"] for alert in alerts):
            raise CrashBeforeCommit
        self.inner.write(alerts)


@pytest.fixture()
def site(tmp_path: Path, shared_data: Path) -> Path:
    logs = tmp_path / "logs"
    logs.mkdir()
    for name in ("conn.log", "dns.log", "http.log"):
        shutil.copy(shared_data / "zeek" / "json" / "zat" / name, logs / name)
    (tmp_path / "lab.intel").write_text(FIRST_INTEL)
    return tmp_path


def make_service(
    site: Path,
    store: SqliteAlertSink,
    *,
    failures: int = 0,
    crash: bool = False,
    retro_on_first_load: bool = False,
    warninglists: Warninglists | None = None,
    die_on_retro: bool = False,
) -> CorrelatorService:
    metrics = ServiceMetrics()
    tailer = LogTailer(site / "logs", site / "state" / "tail", batch_lines=40, stats=metrics.read)
    parts = ServiceParts(
        site="lab",
        sources=[IntelFileSource(site / "lab.intel")],
        intel=IntelSet(site / "state" / "intel"),
        log_source=CrashingTailer(tailer, store) if crash else tailer,
        alerts=BufferedAlertSink(
            (DyingOnRetroSink if die_on_retro else FlakySink)(store, failures),
            DurableBuffer(site / "state" / "buffer", Alert),
        ),
        log_dir=site / "logs",
        export_path=site / "export" / "minisoc.intel",
        retro_hunt_days=7,
        retro_on_first_load=retro_on_first_load,
        metrics=metrics,
        warninglists=warninglists,
    )
    return CorrelatorService(parts)


def hunt_ids(site: Path, intel: Path, warninglists: Sequence[Path] = ()) -> list[str]:
    ids: list[str] = []
    run_hunt(
        HuntRequest(logs=[str(site / "logs")], intel=[str(intel)], warninglists=list(map(str, warninglists))),
        lambda alerts: ids.extend(a.id for a in alerts),
    )
    return ids


def stored_ids(store: SqliteAlertSink) -> list[str]:
    return sorted(doc["event"]["id"] for doc in store.list_alerts(limit=100_000))


def test_service_raises_the_same_alerts_as_the_offline_hunt(site: Path) -> None:
    store = SqliteAlertSink(site / "alerts.db")
    service = make_service(site, store)
    service.step()
    expected = hunt_ids(site, site / "lab.intel")
    assert expected and stored_ids(store) == sorted(expected)
    service.step()  # nothing new: nothing more
    assert store.count() == len(expected) and store.duplicates == 0
    assert service.metrics.alerts_total == len(expected)


def test_crash_between_write_and_commit_then_restart_no_loss_no_duplicates(site: Path) -> None:
    store = SqliteAlertSink(site / "alerts.db")
    crashing = make_service(site, store, crash=True)
    with pytest.raises(CrashBeforeCommit):
        crashing.step()
    written_before_crash = store.count()
    assert written_before_crash > 0  # the first batch's alerts were durable before the crash
    restarted = make_service(site, store)  # a new process: state from disk only
    restarted.step()
    expected = hunt_ids(site, site / "lab.intel")
    assert stored_ids(store) == sorted(expected)
    assert store.duplicates == written_before_crash  # re-delivered, and absorbed by the idempotent ids


def test_sink_down_then_up_delivers_everything_once(site: Path) -> None:
    store = SqliteAlertSink(site / "alerts.db")
    service = make_service(site, store, failures=1000)
    service.step()
    assert store.count() == 0 and service.parts.alerts.backlog > 0
    code, body = service.health()
    assert code == 200 and body["status"] == "degraded" and body["components"]["sink"]["state"] == "buffering"
    # the batches were committed (their alerts are durable in the buffer): a restart needs no re-read
    restarted = make_service(site, store)
    restarted.step()
    assert stored_ids(store) == sorted(hunt_ids(site, site / "lab.intel"))
    assert restarted.parts.alerts.backlog == 0 and store.duplicates == 0
    assert restarted.health()[1]["status"] == "ok"


def test_new_indicators_trigger_a_retro_hunt_and_the_export_follows(site: Path) -> None:
    store = SqliteAlertSink(site / "alerts.db")
    service = make_service(site, store)
    service.step()
    live = set(stored_ids(store))
    export = (site / "export" / "minisoc.intel").read_text()
    assert [line for line in export.splitlines() if not line.startswith("# ")] == [
        "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url\tmeta.do_notice",
        "69.147.64.34\tIntel::ADDR\tlab\taol\thttps://misp.example/events/view/1\tF",  # the line's own source
    ]
    (site / "lab.intel").write_text(MORE_INTEL)
    (site / "lab.intel").touch()
    service.parts.sync_interval_s = 0
    service._next_sync = 0
    service.sync_intel()
    retro = [doc for doc in store.list_alerts(limit=100_000) if doc["event"]["id"] not in live]
    assert retro and all(doc["minisoc"]["retro"] is True for doc in retro)
    assert {doc["threat"]["indicator"]["name"] for doc in retro} == {"icemaiden.com"}
    assert set(stored_ids(store)) == set(hunt_ids(site, site / "lab.intel"))
    assert (
        "icemaiden.com\tIntel::DOMAIN\tlab\tlab domain\t-\tF"
        in (site / "export" / "minisoc.intel").read_text()
    )
    assert service.metrics.retro_runs_total == 1


def test_a_retro_hunt_cut_by_a_crash_is_resumed_after_the_restart(site: Path) -> None:
    """The intel set is on disk as soon as the new indicators arrive: a restart must still owe them the
    retro-hunt, or the lines read (and committed) before they arrived never alert."""
    store = SqliteAlertSink(site / "alerts.db")
    make_service(site, store, die_on_retro=True).step()
    live = set(stored_ids(store))
    (site / "lab.intel").write_text(MORE_INTEL)
    dying = make_service(site, store, die_on_retro=True)
    with pytest.raises(CrashBeforeCommit):
        dying.sync_intel()
    assert set(stored_ids(store)) == live  # the retro alerts died with the process
    restarted = make_service(site, store)  # a new process: state from disk only
    restarted.step()
    assert set(stored_ids(store)) == set(hunt_ids(site, site / "lab.intel")) > live
    assert store.duplicates == 0 and restarted.metrics.retro_runs_total == 1
    restarted.step()  # the debt is paid: no second hunt
    assert restarted.metrics.retro_runs_total == 1


def test_unreachable_source_keeps_the_last_good_set(site: Path) -> None:
    store = SqliteAlertSink(site / "alerts.db")
    service = make_service(site, store)
    service.step()
    (site / "lab.intel").unlink()
    service.sync_intel()
    assert len(service.parts.intel) == 1
    code, body = service.health()
    source = body["components"]["intel"]["sources"]["lab.intel"]
    assert code == 200 and source["state"] == "error" and "IntelError" in source["last_error"]
    assert 'minisoc_intel_sync_ok{source="lab.intel"} 0' in service.metrics.render()


def test_healthz_and_metrics_over_http(site: Path) -> None:
    store = SqliteAlertSink(site / "alerts.db")
    service = make_service(site, store)
    service.step()
    server = StatusServer("127.0.0.1", 0, service.health, service.metrics.render)
    server.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz", timeout=5) as reply:
            assert reply.status == 200
            health = json.load(reply)
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=5) as reply:
            metrics = reply.read().decode()
    finally:
        server.stop()
    assert health["status"] == "ok" and health["components"]["intel"]["indicators"] == 1
    assert 'minisoc_lines_read_total{log_type="conn"} 50' in metrics
    assert 'minisoc_lines_read_total{log_type="http"} 28' in metrics
    assert f"minisoc_alerts_total {store.count()}" in metrics
    assert (
        'minisoc_indicators{type="ip-dst"} 1' in metrics or 'minisoc_indicators{type="ip-src"} 1' in metrics
    )
    assert 'minisoc_sink_backlog{sink="alerts"} 0' in metrics
    assert "minisoc_lag_seconds " in metrics and "minisoc_intel_sync_age_seconds{source=" in metrics


def test_stuck_loop_is_503(site: Path) -> None:
    service = make_service(site, SqliteAlertSink(site / "alerts.db"))
    service.metrics.last_loop -= 10_000
    code, body = service.health()
    assert code == 503 and body["status"] == "failing"


def test_pending_batch_is_retried_before_reading_on(site: Path) -> None:
    """Back-pressure: a batch the sinks refuse stays in hand, uncommitted, and goes first next time."""
    store = SqliteAlertSink(site / "alerts.db")
    service = make_service(site, store)
    refused: list[LogBatch] = []
    original = service._handle

    def refuse_once(batch: LogBatch) -> bool:
        if not refused:
            refused.append(batch)
            return False
        return original(batch)

    service._handle = refuse_once  # type: ignore[method-assign]
    service.step()
    assert store.count() == 0 and service._pending is refused[0]
    service.step()
    assert stored_ids(store) == sorted(hunt_ids(site, site / "lab.intel"))


class CorrelatorAt:
    """The one thing `correlator_check` asks of a Site: where the correlator listens."""

    def __init__(self, port: int) -> None:
        self.port = port

    def correlator_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def test_verify_reads_what_each_health_body_says_is_wrong(site: Path) -> None:
    store = SqliteAlertSink(site / "alerts.db")
    service = make_service(site, store)
    assert health_problems(service.health()[1]) == (["intel source lab.intel: first sync not finished"], True)
    service.step()
    assert health_problems(service.health()[1]) == ([], False)
    (site / "lab.intel").unlink()
    service.sync_intel()
    problems, pending_only = health_problems(service.health()[1])
    assert len(problems) == 1 and not pending_only
    assert problems[0].startswith("intel source lab.intel: IntelError")
    fresh = site / "fresh"  # a site whose logs are not read yet, with its sink down
    shutil.copytree(site / "logs", fresh / "logs")
    (fresh / "lab.intel").write_text(FIRST_INTEL)
    down = make_service(fresh, SqliteAlertSink(fresh / "alerts.db"), failures=1000)
    down.step()
    problems, pending_only = health_problems(down.health()[1])
    backlog = down.parts.alerts.backlog
    assert backlog > 0 and not pending_only
    assert problems == [f"alert sink buffering: {down.parts.alerts.last_error} ({backlog} waiting)"]
    down.metrics.last_loop -= 10_000
    assert health_problems(down.health()[1])[0][0].startswith("loop stuck")


def test_verify_waits_for_the_first_sync_then_passes(site: Path) -> None:
    service = make_service(site, SqliteAlertSink(site / "alerts.db"))
    server = StatusServer("127.0.0.1", 0, service.health, service.metrics.render)
    server.start()
    first_sync = threading.Timer(0.6, service.step)
    first_sync.start()
    try:
        check = correlator_check(cast(Site, CorrelatorAt(server.port)), first_sync_wait_s=30, poll_s=0.2)
    finally:
        first_sync.join()
        server.stop()
    assert check.ok and check.detail == "HTTP 200 ok" and check.seconds is not None and check.seconds >= 0.6


def test_verify_fails_with_the_reason_when_the_correlator_is_degraded(site: Path) -> None:
    service = make_service(site, SqliteAlertSink(site / "alerts.db"), failures=1000)
    service.step()
    server = StatusServer("127.0.0.1", 0, service.health, service.metrics.render)
    server.start()
    try:
        check = correlator_check(cast(Site, CorrelatorAt(server.port)), first_sync_wait_s=30, poll_s=0.2)
    finally:
        server.stop()
    assert not check.ok and not check.warning  # FAIL: `verify` exits 1, never "all checks passed"
    assert not Report("verify", [check]).ok
    assert check.detail.startswith("HTTP 200 degraded: alert sink buffering: ") and "waiting)" in check.detail
    assert check.seconds is not None and check.seconds < 5  # not a first sync: nothing to wait for


def test_the_service_applies_warninglists_as_the_offline_hunt_does(site: Path) -> None:
    """The service once ignored intel.warninglists: a value a list calls benign alerted and was exported."""
    listed = site / "benign.json"
    listed.write_text(json.dumps({"name": "Lab CDN", "type": "cidr", "list": ["69.147.64.0/24"],
                                  "matching_attributes": ["ip-src", "ip-dst"], "version": 1}))
    store = SqliteAlertSink(site / "alerts.db")
    service = make_service(site, store, warninglists=load_warninglists([listed]))
    service.step()
    assert store.count() == 0 and hunt_ids(site, site / "lab.intel", [listed]) == []
    body = service.health()[1]["components"]["intel"]
    assert body["indicators"] == 0 and body["suppressed_by_warninglist"] == {"Lab CDN": 1}
    assert 'minisoc_indicators_suppressed{warninglist="Lab CDN"} 1' in service.metrics.render()
    assert "69.147.64.34" not in (site / "export" / "minisoc.intel").read_text()
    (site / "lab.intel").write_text(MORE_INTEL)  # a new indicator not on the list: matched, retro-hunted
    service.parts.sync_interval_s = 0
    service._next_sync = 0
    service.sync_intel()
    kept = {doc["threat"]["indicator"]["name"] for doc in store.list_alerts(limit=100_000)}
    assert kept == {"icemaiden.com"}
    assert set(stored_ids(store)) == set(hunt_ids(site, site / "lab.intel", [listed]))


def test_an_unchanged_intel_set_is_rewritten_before_zeek_expires_it(site: Path) -> None:
    """Zeek re-reads the export only when its inode or mtime changes, and drops items Intel::item_expiration
    after their last insert: an unchanged set must still be rewritten every export_refresh_s."""
    service = make_service(site, SqliteAlertSink(site / "alerts.db"))
    now = [1000.0]
    service.parts.clock = lambda: now[0]
    export = site / "export" / "minisoc.intel"
    service.step()
    first = export.stat().st_ino
    now[0] += 120  # an intel sync finds nothing new: the file stays as it is
    service.step()
    assert export.stat().st_ino == first
    now[0] += service.parts.export_refresh_s
    service.step()
    assert export.stat().st_ino != first and "69.147.64.34" in export.read_text()
