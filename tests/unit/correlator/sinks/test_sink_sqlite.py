"""The SQLite sink: idempotent, durable writes; list and ack; and the on-disk buffer in front of a sink."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from factories import conn_alerts, domain_indicator, ip_indicator
from minisoc.correlator import Alert, LogRecord, Match, SinkUnavailable
from minisoc.correlator.alerts import build_alerts
from minisoc.correlator.sinks import BufferedAlertSink, DurableBuffer, SqliteAlertSink
from minisoc.correlator.sinks.buffer import BufferFull
from minisoc.errors import UsageError

IND = ip_indicator()


def make_alerts(count: int, start: int = 0) -> list[Alert]:
    return conn_alerts(count, start, indicator=IND)


def test_write_twice_stores_once(tmp_path: Path) -> None:
    sink = SqliteAlertSink(tmp_path / "alerts.db")
    alerts = make_alerts(5)
    sink.write(alerts)
    sink.write(alerts + make_alerts(1, start=5))
    assert sink.count() == 6 and sink.written == 6 and sink.duplicates == 5
    sink.close()
    reopened = SqliteAlertSink(tmp_path / "alerts.db")  # durable: a new connection sees them all
    assert reopened.count() == 6
    assert reopened.get(alerts[0].id)["event"]["id"] == alerts[0].id


def test_a_record_alerted_again_for_a_new_indicator_is_updated_not_duplicated(tmp_path: Path) -> None:
    """Live alert for A, acknowledged; a retro-hunt later finds the same line matches new indicator B too:
    still one alert, now with both enrichments, its ack and first raise time kept."""
    record = LogRecord(log_type="dns", fields={"query": "x.evil.example", "id.resp_h": "198.51.100.7"},
                       raw=b"the line", path="/l/dns.log", offset=0, ts=1_600_000_000.0)
    new = domain_indicator(source="misp", attribute_uuid="u-b")
    sink = SqliteAlertSink(tmp_path / "alerts.db")
    [live] = build_alerts(record, [Match(IND, "id.resp_h", "198.51.100.7")], now=10.0)
    sink.write([live])
    sink.ack(live.id)
    [retro] = build_alerts(record, [Match(new, "query", "x.evil.example")], now=20.0, retro=True)
    sink.write([retro])
    sink.write([retro, live])  # a replay of both: nothing more to add
    assert sink.count() == 1 and (sink.written, sink.merged, sink.duplicates) == (1, 1, 2)
    stored = sink.get(live.id)
    names = [e["indicator"]["name"] for e in stored["threat"]["enrichments"]]
    assert names == ["198.51.100.7", "evil.example"]
    assert stored["minisoc"]["ack"]["state"] == "acknowledged" and stored["minisoc"]["retro"] is False
    assert stored["event"]["created"] == live.doc["event"]["created"] and "retro" in stored["tags"]
    assert sink.count_alerts() == 1 and sink.count_alerts(datetime.now(UTC) + timedelta(minutes=5)) == 0


def test_list_since_and_ack_by_prefix(tmp_path: Path) -> None:
    sink = SqliteAlertSink(tmp_path / "alerts.db")
    alerts = make_alerts(3)
    sink.write(alerts)
    listed = sink.list_alerts(since=datetime.now(UTC) - timedelta(minutes=5))
    assert sorted(doc["event"]["id"] for doc in listed) == sorted(a.id for a in alerts)
    assert sink.list_alerts(since=datetime.now(UTC) + timedelta(minutes=5)) == []
    assert len(sink.list_alerts(limit=2)) == 2
    acked = sink.ack(alerts[1].id[:10], false_positive=True)
    assert acked["minisoc"]["ack"]["state"] == "false_positive"
    assert sink.get(alerts[1].id)["minisoc"]["ack"]["state"] == "false_positive"
    assert sink.get(alerts[0].id)["minisoc"]["ack"]["state"] == "open"
    with pytest.raises(UsageError, match="not found") as missing:
        sink.ack("0" * 32)
    assert missing.value.hint == "list ids with `minisoc alerts list`"
    with pytest.raises(UsageError, match="not found") as short:  # a prefix too short to be taken as one
        sink.ack(alerts[1].id[:5])
    assert short.value.hint is not None and "8 characters or more" in short.value.hint


def test_opening_a_missing_store_for_reading_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no alert database"):
        SqliteAlertSink(tmp_path / "nope.db", create=False)


class FlakySink:
    """A real SQLite sink that refuses the first `failures` writes, as OpenSearch does while it is down."""

    def __init__(self, inner: SqliteAlertSink, failures: int) -> None:
        self.inner = inner
        self.failures = failures
        self.attempts = 0

    def write(self, alerts: Sequence[Alert]) -> None:
        self.attempts += 1
        if self.failures > 0:
            self.failures -= 1
            raise SinkUnavailable("down for the test")
        self.inner.write(alerts)

    def close(self) -> None:
        self.inner.close()


def test_buffer_keeps_batches_while_the_sink_is_down_and_delivers_them_once(tmp_path: Path) -> None:
    store = SqliteAlertSink(tmp_path / "alerts.db")
    flaky = FlakySink(store, failures=3)
    sink = BufferedAlertSink(flaky, DurableBuffer(tmp_path / "buffer", Alert))
    sink.write(make_alerts(2))  # fails: buffered
    sink.write(make_alerts(2, start=2))  # drain fails: buffered behind the first
    assert store.count() == 0 and sink.backlog == 4 and sink.last_error == "down for the test"
    # a restart in between: the buffer is on disk
    sink = BufferedAlertSink(flaky, DurableBuffer(tmp_path / "buffer", Alert))
    assert sink.backlog == 4
    sink.write(make_alerts(1, start=4))  # drain fails once more (3rd failure) -> buffered
    assert sink.drain() is True
    assert store.count() == 5 and sink.backlog == 0 and store.duplicates == 0
    assert list((tmp_path / "buffer").iterdir()) == []


def test_buffer_full_is_back_pressure(tmp_path: Path) -> None:
    buffer = DurableBuffer(tmp_path / "b", Alert, max_bytes=100)
    with pytest.raises(BufferFull):
        buffer.append(make_alerts(2))
    assert buffer.backlog == 0 and not buffer


def test_a_store_path_that_is_not_an_alert_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    other = tmp_path / "places.sqlite"
    with sqlite3.connect(other) as database:
        database.execute("CREATE TABLE moz_places (url TEXT)")
    database.close()
    not_sqlite = tmp_path / "notes.db"
    not_sqlite.write_bytes(b"just some text, not a database\n" * 10)
    for path, reason in ((other, "database of something else"), (not_sqlite, "file is not a database"),
                         (tmp_path, "unable to open")):
        before = sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir() if p.is_file())
        with pytest.raises(UsageError, match=reason) as raised:
            SqliteAlertSink(path)
        assert raised.value.hint is not None and "not changed" in raised.value.hint
        assert sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir() if p.is_file()) == before


def test_a_write_the_database_refuses_is_sink_unavailable_and_keeps_what_was_stored(tmp_path: Path) -> None:
    """Locked by another process past the timeout (or disk full): the caller buffers or stops cleanly."""
    sink = SqliteAlertSink(tmp_path / "alerts.db")
    sink.write(make_alerts(2))
    sink._db.execute("PRAGMA busy_timeout=50")
    holder = sqlite3.connect(tmp_path / "alerts.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    with pytest.raises(SinkUnavailable, match="database is locked"):
        sink.write(make_alerts(3, start=2))
    holder.execute("ROLLBACK")
    holder.close()
    assert sink.count() == 2
    sink.write(make_alerts(3, start=2))
    assert sink.count() == 5


def test_delete_alerts_removes_those_named_with_their_marks(tmp_path: Path) -> None:
    """`minisoc scenario reset`: the scenario's alerts go, acks with them; others and unknown ids are left."""
    sink = SqliteAlertSink(tmp_path / "alerts.db")
    alerts = make_alerts(4)
    sink.write(alerts)
    sink.ack(alerts[0].id, false_positive=True)
    assert sink.delete_alerts([alerts[0].id, alerts[1].id, "no-such-id"]) == 2
    assert sink.delete_alerts([]) == 0
    assert sorted(doc["event"]["id"] for doc in sink.list_alerts()) == sorted(a.id for a in alerts[2:])
    sink.write(alerts[:1])  # raised again: a new alert, open
    assert sink.get(alerts[0].id)["minisoc"]["ack"]["state"] == "open"
