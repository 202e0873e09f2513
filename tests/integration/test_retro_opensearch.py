"""The retro-hunt pushed down to the log storage gives the alerts of the file rescan, on real Zeek logs stored
in a real OpenSearch: the same ids and the same documents, for indicators of every kind the matcher has
(addresses and ip|port, CIDRs, parent domains, host names in queries, SNI, Host headers, DNS answers and
certificate subjects, URLs, file hashes, certificate fingerprints, JA3, user agents, file names), with each
indicator's first-seen time, and only for events before it. And it fetches a fraction of the documents."""

from __future__ import annotations

import gzip
import ipaddress
import itertools
import json
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from opensearch_server import OpenSearchServer
from opensearchpy import OpenSearch

from minisoc.correlator.alerts import iso_utc
from minisoc.correlator.clients.opensearch import open_client
from minisoc.correlator.config import OpenSearchSinkConfig
from minisoc.correlator.model import Alert, Indicator, LogRecord
from minisoc.correlator.service.retro import IndexedLogs, retro_hunt
from minisoc.correlator.sinks.opensearch_logs import ZeekLogIndexer
from minisoc.correlator.values.canonical import canonical_url
from minisoc.correlator.zeek import read_logs

pytestmark = pytest.mark.integration
SAMPLES = ("zeek/json/zat", "zeek/tsv/zat")
LARGE = ("zeek/json/wrccdc-zeek6.2/dns.json.gz", "zeek/json/wrccdc-zeek6.2/ssl.json.gz",
         "zeek/json/wrccdc-zeek6.2/x509.json.gz", "zeek/json/wrccdc-zeek6.2/notice.json.gz")
LINES_OF_LARGE = 4000
DAYS = 36500


def log_dir_of(shared_data: Path, target: Path) -> Path:
    """The zat samples (JSON and TSV) and the head of the larger Zeek 6.2 captures, as one log directory."""
    for number, sample in enumerate(SAMPLES):
        for path in (shared_data / sample).glob("*.log"):
            shutil.copy(path, target / f"{path.stem}.{number}.log")  # conn.0.log: a rotated-looking name
    for name in LARGE:
        with gzip.open(shared_data / name, "rb") as source:
            head = b"".join(itertools.islice(source, LINES_OF_LARGE))
        (target / Path(name).name.replace(".json.gz", ".log")).write_bytes(head)
    return target


def pick(records: list[LogRecord], field: str, every: int = 3) -> list[str]:
    values = sorted({str(v) for r in records for v in _values(r.fields.get(field)) if v not in ("", "-")})
    return values[::every]


def _values(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, str) and "," in value:
        return value.split(",")
    return [] if value is None else [value]


def indicators_from(records: list[LogRecord]) -> list[Indicator]:
    """Indicators of every kind, drawn from the logs (so that each kind hits), plus misses."""
    found: list[tuple[str, str, str, int | None]] = []
    addresses = pick(records, "id.resp_h", 5)
    found += [(a, "ip", "ip-dst", None) for a in addresses if ":" not in a][:40]
    found += [(a, "ip", "ip-dst|port", 53) for a in pick(records, "id.resp_h", 7)[:10]]
    for a in pick(records, "id.orig_h", 9)[:6]:
        net = ipaddress.ip_network(f"{a}/{20 if ':' not in a else 64}", strict=False)
        found.append((str(net), "cidr", "ip-src", None))
    queries = [q.lower().rstrip(".") for q in pick(records, "query", 4) if "." in q]
    found += [(q.split(".", 1)[1], "domain", "domain", None) for q in queries[:60] if q.count(".") >= 2]
    found += [(q, "hostname", "hostname", None) for q in queries[60:90]]
    found += [(s.lower(), "domain", "domain", None) for s in pick(records, "server_name", 4)[:20]]
    found += [(a.lower(), "hostname", "hostname", None) for a in pick(records, "answers", 11)[:15]
              if not a[-1].isdigit() and " " not in a]
    found += [(h.lower().partition(":")[0], "domain", "domain", None) for h in pick(records, "host", 5)[:10]]
    http = [r for r in records if r.log_type == "http" and r.fields.get("host") and r.fields.get("uri")]
    for record in http[::9][:15]:
        url = canonical_url(f"http://{record.fields['host']}{record.fields['uri']}")
        if url is not None:
            found.append((url, "url", "url", None))
    for field, kind in (("md5", "md5"), ("sha1", "sha1"), ("sha256", "sha256"),
                        ("fingerprint", "x509-sha256"), ("ja3", "ja3"), ("ja3s", "ja3s"),
                        ("user_agent", "user-agent"),
                        ("filename", "filename")):
        found += [(v.lower() if kind not in ("user-agent", "filename") else v, kind, kind, None)
                  for v in pick(records, field, 4)[:12]]
    subjects = pick(records, "certificate.subject", 3) + pick(records, "subject", 3)
    for subject in subjects[:30]:
        cn = next((p.strip()[3:] for p in subject.split(",") if p.strip().upper().startswith("CN=")), "")
        if cn.count(".") >= 2 and "*" not in cn:
            found.append((cn.lower().split(".", 1)[1], "domain", "domain", None))
    found += [(f"miss-{n}.example", "domain", "domain", None) for n in range(200)]
    found += [(f"198.18.{n // 250}.{n % 250}", "ip", "ip-dst", None) for n in range(200)]
    unique = {(value, kind, port): (value, kind, misp_type, port) for value, kind, misp_type, port in found}
    return [Indicator(value=value, kind=kind, type=misp_type, source="retro-test", port=port)
            for value, kind, misp_type, port in unique.values()]


def canonical(alerts: list[Alert]) -> dict[str, Any]:
    """Alert documents, with the parts a merge orders by arrival (records, enrichments, the first record's
    own fields) made order-free: two runs that read the records in another order compare equal."""
    out: dict[str, Any] = {}
    for alert in alerts:
        doc = json.loads(json.dumps(alert.doc))
        records = doc["minisoc"].pop("records")
        doc["minisoc"]["records"] = sorted(
            ({**ref, "matched": sorted(ref["matched"])} for ref in records), key=lambda ref: ref["id"])
        doc["threat"]["enrichments"] = sorted(doc["threat"]["enrichments"], key=json.dumps)
        doc["tags"] = sorted(doc["tags"])
        if len(records) > 1:  # which record came first: the file order or the index order
            for key in ("event", "log", "@timestamp", "zeek", "source", "destination"):
                doc.pop(key, None)
            doc["threat"].pop("indicator", None)
            doc["threat"].pop("feed", None)
        out[alert.id] = doc
    return out


def store(client: OpenSearch, prefix: str, log_dir: Path, tmp_path: Path) -> int:
    indexer = ZeekLogIndexer(client, prefix, rejected_path=tmp_path / "rejected.jsonl")
    docs = indexer.documents(list(read_logs([log_dir])))
    for start in range(0, len(docs), 5000):
        indexer.write(docs[start:start + 5000])
    assert indexer.rejected == 0
    client.indices.refresh(index=f"{prefix}-*")
    return len(docs)


def test_pushed_down_retro_hunt_gives_the_file_rescans_alerts(
    opensearch: OpenSearchServer, shared_data: Path, tmp_path: Path
) -> None:
    client = open_client(OpenSearchSinkConfig(url=opensearch.url), timeout_s=60)
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    log_dir_of(shared_data, log_dir)
    records = list(read_logs([log_dir]))
    prefix = f"retro{uuid.uuid4().hex[:8]}"
    stored = store(client, prefix, log_dir, tmp_path)
    indicators = indicators_from(records)
    times = sorted(r.ts for r in records if r.ts is not None)
    middle = times[len(times) // 2]
    # every third indicator was first seen in the middle of the captures: only the events before it count
    first_seen = [middle if number % 3 == 0 else 2e9 for number in range(len(indicators))]
    now = time.time()  # the files were just written: within the window

    def hunt(source: Path | IndexedLogs) -> list[Alert]:
        return [alert for batch in retro_hunt(indicators, source, DAYS, site="s", first_seen=first_seen,
                                              now=now, batch_alerts=10**6) for alert in batch]

    from_files = hunt(log_dir)
    indexed = IndexedLogs(client, prefix)
    from_cluster = hunt(indexed)
    assert canonical(from_cluster) == canonical(from_files)
    fields = {e["matched"]["field"] for a in from_files for e in a.doc["threat"]["enrichments"]}
    assert {"id.resp_h", "id.orig_h", "query", "server_name", "answers", "host", "uri", "md5", "sha1",
            "fingerprint", "user_agent", "subject", "certificate.subject", "san.dns",
            "cert_chain_fps"} <= fields, fields
    kinds = {e["indicator"]["misp"]["type"] for a in from_files for e in a.doc["threat"]["enrichments"]}
    assert {"ip-dst", "ip-dst|port", "ip-src", "domain", "hostname", "url", "md5", "sha1", "sha256",
            "x509-sha256", "user-agent", "filename"} <= kinds, kinds
    assert all(e["indicator"]["first_seen"] for a in from_cluster for e in a.doc["threat"]["enrichments"])
    stats = indexed.stats
    # the queries fetch little beyond what matches (ip|port: the address's other ports)
    assert stats.unreadable == 0 and stats.fetched - stats.matched <= stats.matched // 20, (stats, stored)
    misses = [i for i in indicators if i.value.startswith(("miss-", "198.18."))]
    quiet = IndexedLogs(client, prefix)
    assert not list(retro_hunt(misses, quiet, DAYS, site="s", now=now)) and quiet.stats.fetched == 0
    # the first-seen cut: an event raises an indicator's enrichment only when it happened before it
    single = [a for a in from_cluster if len(a.doc["minisoc"]["records"]) == 1]
    assert len(single) > 50
    assert all(a.doc["@timestamp"] < e["indicator"]["first_seen"] for a in single
               for e in a.doc["threat"]["enrichments"])
    seen_early = {e["matched"]["id"] for a in from_cluster for e in a.doc["threat"]["enrichments"]
                  if e["indicator"]["first_seen"] == iso_utc(middle)}
    assert seen_early, "some indicators first seen in the middle still match earlier events"


def test_the_service_hunts_on_the_log_storage_when_logs_are_indexed(
    opensearch: OpenSearchServer, tmp_path: Path, shared_data: Path
) -> None:
    """A new indicator's retro-hunt runs on the cluster: it finds the events of a log file that is gone
    from the log directory (rotated out, pruned) while its records are stored."""
    from minisoc.correlator import CorrelatorConfig
    from minisoc.correlator.service.build import build_parts
    from minisoc.correlator.service.loop import CorrelatorService

    logs = tmp_path / "logs"
    logs.mkdir()
    shutil.copy(shared_data / "zeek/json/zat/http.log", logs / "http.log")
    intel = tmp_path / "lab.intel"
    intel.write_text("#fields\tindicator\tindicator_type\tmeta.source\n69.147.64.34\tIntel::ADDR\tlab\n")
    prefix = f"svcretro{uuid.uuid4().hex[:8]}"
    config = CorrelatorConfig.model_validate({
        "site": "lab", "state_dir": str(tmp_path / "state"), "logs": {"dir": str(logs)},
        "intel": {"zeek_intel_files": [str(intel)]},
        "sink": {"kind": "opensearch", "opensearch": {
            "url": opensearch.url, "alerts_index": f"{prefix}-alerts", "logs_index_prefix": prefix}},
        "sightings": {"enabled": False}, "export": {"zeek_intel_path": None},
    })
    parts = build_parts(config)
    service = CorrelatorService(parts)
    service.step()  # the first load, then the log read, matched and stored
    client = open_client(OpenSearchSinkConfig(url=opensearch.url))
    client.indices.refresh(index=f"{prefix}-*")
    assert int(client.count(index=f"{prefix}-http-*")["count"]) == 28
    new = Indicator(value="wensa.at", kind="domain", type="domain", source="lab")
    expected = {a.id for batch in retro_hunt([new], logs, 7, site="lab") for a in batch}
    (logs / "http.log").unlink()  # the file is gone; its records are in the log storage
    with intel.open("a") as out:
        out.write("wensa.at\tIntel::DOMAIN\tlab\n")  # the host of lines 15-28
    before = time.time()
    service.sync_intel()
    client.indices.refresh(index=f"{prefix}-alerts")
    query = {"size": 100, "query": {"term": {"minisoc.retro": True}}}
    hits = client.search(index=f"{prefix}-alerts", body=query)
    retro = [hit["_source"] for hit in hits["hits"]["hits"]]
    assert {doc["event"]["id"] for doc in retro} == expected and len(expected) == 15
    assert parts.metrics.retro_alerts_total == 15
    for doc in retro:
        (enrichment,) = doc["threat"]["enrichments"]
        assert enrichment["matched"]["atomic"].endswith(".wensa.at")
        assert iso_utc(before - 5) < enrichment["indicator"]["first_seen"] < iso_utc(time.time() + 5)
