"""Nothing in the log directory is ignored unsaid: Zeek logs under other tools' names are read (content
sniffed, plain or gzip), by the tailer and the retro-hunt alike; any other file is listed with its reason
in /healthz, /metrics and `minisoc status`."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

from minisoc.correlator import Alert
from minisoc.correlator.hunt import HuntRequest, run_hunt
from minisoc.correlator.intel import IntelFileSource
from minisoc.correlator.service.intel_set import IntelSet
from minisoc.correlator.service.loop import CorrelatorService, ServiceParts
from minisoc.correlator.service.metrics import ServiceMetrics
from minisoc.correlator.sinks import BufferedAlertSink, DurableBuffer, SqliteAlertSink
from minisoc.correlator.zeek import LogTailer
from minisoc.ops.prometheus import parse_metrics
from minisoc.ops.status import log_storage, log_storage_lines

INTEL = "#fields\tindicator\tindicator_type\tmeta.source\n10.18.20.8\tIntel::ADDR\tlab\n"


def make_site(tmp_path: Path, shared_data: Path) -> Path:
    logs = tmp_path / "logs"
    logs.mkdir()
    zat = shared_data / "zeek" / "json" / "zat"
    (logs / "conn.ndjson.gz").write_bytes(gzip.compress((zat / "conn.log").read_bytes()))
    shutil.copy(shared_data / "zeek" / "tsv" / "zat" / "dns.log", logs / "dns.log.labeled")
    shutil.copy(zat / "files.log", logs / "files.log.labeled")  # plain Zeek JSON: no _path, type from name
    (logs / "capture.pcap").write_bytes(b"\xd4\xc3\xb2\xa1" + bytes(60))
    (logs / "README.txt").write_text("drop Zeek logs here\n")
    (logs / "conn.ndjson.gz.partial").write_bytes(b"")
    (tmp_path / "lab.intel").write_text(INTEL)
    return tmp_path


def service_for(site: Path, store: SqliteAlertSink, state: str = "state") -> CorrelatorService:
    metrics = ServiceMetrics()
    return CorrelatorService(ServiceParts(
        site="lab",
        sources=[IntelFileSource(site / "lab.intel")],
        intel=IntelSet(site / state / "intel"),
        log_source=LogTailer(site / "logs", site / state / "tail", stats=metrics.read),
        alerts=BufferedAlertSink(store, DurableBuffer(site / state / "buffer", Alert)),
        log_dir=site / "logs",
        retro_on_first_load=False,
        metrics=metrics,
    ))


def test_zeek_logs_under_other_names_are_read_and_the_rest_is_listed(
    tmp_path: Path, shared_data: Path
) -> None:
    site = make_site(tmp_path, shared_data)
    store = SqliteAlertSink(site / "alerts.db")
    service = service_for(site, store)
    service.step()
    expected: list[Alert] = []
    named = [site / "logs" / name for name in ("conn.ndjson.gz", "dns.log.labeled", "files.log.labeled")]
    request = HuntRequest(logs=[str(path) for path in named], intel=[str(site / "lab.intel")])
    run_hunt(request, expected.extend)
    stored = store.list_alerts(limit=10_000)
    assert expected and sorted(doc["event"]["id"] for doc in stored) == sorted(a.id for a in expected)
    assert {doc["zeek"]["log_type"] for doc in stored} >= {"conn", "files"}
    body = service.health()[1]
    ignored = body["components"]["logs"]["ignored_files"]
    names = sorted(Path(path).name for path in ignored)
    assert names == ["README.txt", "capture.pcap", "conn.ndjson.gz.partial"]
    assert ignored[str(site / "logs" / "capture.pcap")].startswith("not a Zeek log")
    assert ignored[str(site / "logs" / "conn.ndjson.gz.partial")].startswith("empty")
    samples = parse_metrics(service.metrics.render())
    storage = log_storage(samples)
    assert sum(storage["files_ignored"].values()) == 3
    assert any(line.startswith("log files ignored: 3") for line in log_storage_lines(storage))


def test_the_retro_hunt_reads_the_same_files_as_the_tailer(tmp_path: Path, shared_data: Path) -> None:
    site = make_site(tmp_path, shared_data)
    (site / "lab.intel").write_text("#fields\tindicator\tindicator_type\tmeta.source\n")
    store = SqliteAlertSink(site / "alerts.db")
    service = service_for(site, store)
    service.step()
    assert store.count() == 0
    (site / "lab.intel").write_text(INTEL)
    service.sync_intel()  # the new indicator: owed a retro-hunt over what was read already
    live_store = SqliteAlertSink(site / "live.db")
    service_for(site, live_store, state="fresh").step()  # a fresh tail: every line read with the indicator
    retro_ids = sorted(doc["event"]["id"] for doc in store.list_alerts(limit=10_000))
    live_ids = sorted(doc["event"]["id"] for doc in live_store.list_alerts(limit=10_000))
    assert retro_ids and retro_ids == live_ids


def test_status_names_refused_records_per_type() -> None:
    metrics = ServiceMetrics()
    metrics.count_log_index({"conn": 10, "x509": 3}, {"x509": 2})
    storage = log_storage(parse_metrics(metrics.render()))
    assert storage == {"records_rejected": {"x509": 2}, "files_ignored": {}}
    assert log_storage_lines(storage)[0].startswith("log storage: 2 record(s) refused by OpenSearch (x509 2)")
