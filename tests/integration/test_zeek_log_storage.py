"""Log storage against a real OpenSearch: every record of every sample Zeek log is stored, per log type
(x509's string `id` next to conn's `id.orig_h` object included), and a refused record is counted, kept and
reported, never dropped unsaid."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from opensearch_server import OpenSearchServer
from opensearchpy import OpenSearch

from minisoc.correlator import LogRecord
from minisoc.correlator.clients.opensearch import open_client
from minisoc.correlator.config import OpenSearchSinkConfig
from minisoc.correlator.service.metrics import ServiceMetrics
from minisoc.correlator.sinks.opensearch_logs import ZeekLogIndexer
from minisoc.correlator.sinks.opensearch_templates import zeek_logs_template
from minisoc.correlator.zeek import read_logs

pytestmark = pytest.mark.integration


def client_for(server: OpenSearchServer) -> OpenSearch:
    return open_client(OpenSearchSinkConfig(url=server.url))


def test_every_record_of_every_sample_log_is_stored_per_type(
    opensearch: OpenSearchServer, shared_data: Path, tmp_path: Path
) -> None:
    client = client_for(opensearch)
    metrics = ServiceMetrics()
    indexer = ZeekLogIndexer(client, "allzeek", rejected_path=tmp_path / "rejected.jsonl",
                             on_counts=metrics.count_log_index)
    docs = indexer.documents(list(read_logs([shared_data / "zeek"])))
    ids_by_type: dict[str, set[str]] = defaultdict(set)
    for doc in docs:
        ids_by_type[doc.index.split("-")[1]].add(doc.id)  # identical lines are one document (same id)
    for start in range(0, len(docs), 5000):
        indexer.write(docs[start : start + 5000])
    assert {"x509", "conn", "files", "dns"} <= ids_by_type.keys()
    assert indexer.rejected == 0, (tmp_path / "rejected.jsonl").read_text()[:2000]
    client.indices.refresh(index="allzeek-*")
    stored = {
        log_type: int(client.count(index=f"allzeek-{log_type}-*")["count"]) for log_type in ids_by_type
    }
    assert stored == {log_type: len(ids) for log_type, ids in ids_by_type.items()}
    assert sum(metrics.log_docs_stored.values()) == len(docs) and not metrics.log_docs_rejected
    x509 = client.indices.get_mapping(index="allzeek-x509-*")
    assert any(m["mappings"]["properties"].get("id", {}).get("type") == "keyword" for m in x509.values())
    conn = client.indices.get_mapping(index="allzeek-conn-*")
    for mapping in conn.values():
        assert mapping["mappings"]["properties"]["id"]["properties"]["orig_h"]["type"] == "ip"


def test_a_refused_record_is_counted_kept_and_reported(
    opensearch: OpenSearchServer, shared_data: Path, tmp_path: Path
) -> None:
    """Within one log type a concrete `id` after an `id` object is still a conflict: it must show."""
    client = client_for(opensearch)
    metrics = ServiceMetrics()
    rejected = tmp_path / "rejected.jsonl"
    indexer = ZeekLogIndexer(client, "clash", rejected_path=rejected, on_counts=metrics.count_log_index)
    conn = list(read_logs([shared_data / "zeek" / "json" / "zat" / "conn.log"]))[:3]
    docs = indexer.documents(conn)
    clashing = docs[2].source | {"id": "a-string-id"}
    clashing = {key: value for key, value in clashing.items() if not key.startswith("id.")}
    indexer.write(docs[:2])
    indexer.write([type(docs[2])(docs[2].index, docs[2].id, clashing)])
    assert indexer.rejected == 1 and metrics.log_docs_rejected == {"conn": 1}
    assert "mapper_parsing_exception" in json.loads(rejected.read_text())["reason"]
    assert 'minisoc_log_documents_rejected_total{log_type="conn"} 1' in metrics.render()


def test_a_template_of_an_older_version_is_replaced(opensearch: OpenSearchServer) -> None:
    """A site upgraded in place: the correlator puts its newer template, the next index takes it."""
    client = client_for(opensearch)
    old = zeek_logs_template("tmplv")
    old["version"] = 1
    old["template"]["mappings"]["properties"]["id"] = {"properties": {"orig_h": {"type": "ip"}}}
    client.indices.put_index_template(name="tmplv-logs", body=old)
    indexer = ZeekLogIndexer(client, "tmplv")
    record = LogRecord(log_type="x509", fields={"id": "Fxyz"}, raw=b"x", path="/x", offset=0, ts=1.5e9)
    indexer.write(indexer.documents([record]))
    current = client.indices.get_index_template(name="tmplv-logs")["index_templates"][0]["index_template"]
    assert current["version"] == zeek_logs_template("tmplv")["version"] and indexer.rejected == 0
