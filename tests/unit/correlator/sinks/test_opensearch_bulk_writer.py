"""The one bulk writer both OpenSearch sinks (alerts, log storage) write through: retries of busy documents,
rejected documents kept once in the rejected-documents file, each sink's template rule, applied once.
A scripted stand-in plays the cluster (the real one: tests/integration/test_opensearch_sink.py and
test_zeek_log_storage.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import NotFoundError
from opensearchpy.serializer import JSONSerializer

from minisoc.correlator.model import Alert
from minisoc.correlator.sinks.opensearch import OpenSearchAlertSink
from minisoc.correlator.sinks.opensearch_bulk import BulkDoc, BulkWriter, IndexTemplate, bulk_body
from minisoc.correlator.sinks.opensearch_input_templates import input_logs_templates
from minisoc.correlator.sinks.opensearch_logs import ZeekLogIndexer
from minisoc.correlator.typing import SinkUnavailable


class _Indices:
    def __init__(self, templates: dict[str, dict[str, Any]]) -> None:
        self.templates = templates
        self.puts: list[str] = []

    def exists_index_template(self, name: str) -> bool:
        return name in self.templates

    def get_index_template(self, name: str) -> dict[str, Any]:
        if name not in self.templates:
            raise NotFoundError(404, "index_template_missing_exception", {})
        return {"index_templates": [{"name": name, "index_template": self.templates[name]}]}

    def put_index_template(self, name: str, body: dict[str, Any]) -> None:
        self.puts.append(name)
        self.templates[name] = body


class _Cluster:
    """`bulk` answers each document with the next status scripted for its id (201 when none is left)."""

    def __init__(self, statuses: dict[str, list[int]], templates: dict[str, dict[str, Any]] | None = None,
                 mget: Callable[[], dict[str, Any]] | None = None) -> None:
        self.statuses = statuses
        self.indices = _Indices(templates or {})
        self.bulks: list[list[str]] = []
        self._mget = mget

    def bulk(self, body: bytes) -> dict[str, Any]:
        """`body`: the NDJSON bytes opensearch-py sends as they are (a create line, then the source)."""
        assert body.endswith(b"\n")
        lines = [json.loads(line) for line in body.splitlines()]
        ids = [line["create"]["_id"] for line in lines[::2]]
        assert all("create" not in source for source in lines[1::2])
        self.bulks.append(ids)
        items = []
        for doc_id in ids:
            script = self.statuses.get(doc_id) or [201]
            status = script.pop(0) if len(script) > 1 else script[0]
            error = {"error": {"type": "mapper_parsing_exception"}} if status == 400 else {}
            items.append({"create": {"_id": doc_id, "status": status, **error}})
        return {"items": items}

    def mget(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        assert self._mget is not None
        return self._mget()


def _docs(*ids: str) -> list[BulkDoc]:
    return [BulkDoc("idx", doc_id, {"n": doc_id}) for doc_id in ids]


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_busy_documents_are_retried_refused_ones_kept_and_replays_counted(tmp_path: Path) -> None:
    cluster = _Cluster({"busy": [429, 503, 201], "bad": [400], "old": [409]})
    slept: list[float] = []
    writer = BulkWriter(cluster, IndexTemplate("idx", {"version": 1}),  # type: ignore[arg-type]
                        rejected_path=tmp_path / "rejected.jsonl", attempts=4, backoff_s=0.5,
                        sleep=slept.append)
    outcome = writer.write(_docs("new", "busy", "bad", "old"))
    assert (outcome.created, outcome.duplicates, [doc.id for doc in outcome.existing]) == (2, 1, ["old"])
    assert cluster.bulks == [["new", "busy", "bad", "old"], ["busy"], ["busy"]]  # only the busy one again
    assert slept == [0.5, 1.0]
    kept = _lines(tmp_path / "rejected.jsonl")
    assert [(line["id"], line["source"]) for line in kept] == [("bad", {"n": "bad"})]


def test_a_document_busy_past_every_attempt_makes_the_sink_unavailable(tmp_path: Path) -> None:
    cluster = _Cluster({"busy": [429]})
    writer = BulkWriter(cluster, IndexTemplate("idx", {}), attempts=3, backoff_s=0.1,  # type: ignore[arg-type]
                        sleep=lambda _s: None)
    with pytest.raises(SinkUnavailable, match=r"refused 1 document\(s\) with 429/5xx after 3 attempts"):
        writer.write(_docs("busy"))


def test_the_template_is_put_once_and_each_sinks_rule_holds() -> None:
    """Alerts: a template only where there is none (`minisoc up` may have provisioned its own); log storage
    (Zeek's, and the syslog and flow records' templates): also over an older version, never over the same."""
    provisioned = {"minisoc-alerts": {"version": 0}, "zeek-logs": {"version": 0},
                   "zeek-netflow-logs": input_logs_templates("zeek")["zeek-netflow-logs"]}
    cluster = _Cluster({}, templates=provisioned)
    alerts = OpenSearchAlertSink(cluster, "minisoc-alerts")  # type: ignore[arg-type]
    logs = ZeekLogIndexer(cluster, "zeek")  # type: ignore[arg-type]
    for _ in range(2):
        alerts.writer.write(_docs("a"))
        logs.write(_docs("b"))
    assert cluster.indices.puts == ["zeek-syslog-logs", "zeek-logs"]
    assert cluster.indices.templates["minisoc-alerts"] == {"version": 0}


def _alert(alert_id: str) -> Alert:
    return Alert(id=alert_id, doc={"event": {"id": alert_id}})


def test_the_alert_sink_keeps_a_rejected_alert_once_when_its_merge_is_retried_later(tmp_path: Path) -> None:
    """A merge that cannot finish (the cluster went away) leaves the batch to the buffer and the rejected
    file untouched: the replay adds the rejected alert to it once, and counts it once."""
    answers: list[dict[str, Any]] = []

    def mget() -> dict[str, Any]:
        if not answers:
            raise OpenSearchConnectionError("N/A", "refused", None)
        return answers.pop(0)

    cluster = _Cluster({"bad": [400], "old": [409]}, mget=mget)
    sink = OpenSearchAlertSink(cluster, "alerts", rejected_path=tmp_path / "rejected.jsonl",  # type: ignore[arg-type]
                               attempts=2, backoff_s=0.1, sleep=lambda _s: None)
    with pytest.raises(SinkUnavailable):
        sink.write([_alert("bad"), _alert("old")])
    assert _lines(tmp_path / "rejected.jsonl") == [] and sink.rejected == 0
    answers.append({"docs": [{"found": True, "_source": {"event": {"id": "old"}}, "_seq_no": 1,
                              "_primary_term": 1}]})
    sink.write([_alert("bad"), _alert("old")])  # the replay from the buffer
    assert [line["id"] for line in _lines(tmp_path / "rejected.jsonl")] == ["bad"]
    assert (sink.rejected, sink.duplicates, sink.merged) == (1, 1, 0)


def test_the_bulk_body_holds_what_opensearch_pys_own_encoding_would_have_sent() -> None:
    """bulk_body encodes with msgspec instead of opensearch-py's serializer: the same JSON values, line by
    line (control characters, quotes, non-ASCII and U+2028 inside strings never split a line)."""
    docs = [BulkDoc("zeek-conn-2026.12.06", "a" * 32, {"ts": 1733472000.123456, "id.orig_h": "10.0.0.1",
                                                      "id.orig_p": 2**53, "ok": True, "none": None}),
            BulkDoc("zeek-http-2026.12.06", "b" * 32, {"user_agent": 'é "x"\n\r\t\u2028\u0000 \\',
                                                      "nested": {"list": [1, 2.5, "z"]}})]
    body = bulk_body(docs)
    reference = [JSONSerializer().dumps(part) for doc in docs
                 for part in ({"create": {"_index": doc.index, "_id": doc.id}}, doc.source)]
    assert body.endswith(b"\n") and body.count(b"\n") == len(reference) == 4
    assert [json.loads(line) for line in body.splitlines()] == [json.loads(line) for line in reference]
