"""`minisoc status` shows the sensor: packets received and dropped (Zeek's stats.log, latest record), capture
loss (capture_loss.log), the interface, the log folder's disk use and the age of each log type's last write,
and the intel export's size with what its budget left out; in text and --json, for any sensor mode."""

from __future__ import annotations

import gzip
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from minisoc.cli.main import main
from minisoc.correlator.service.http import StatusServer
from minisoc.correlator.service.metrics import ServiceMetrics
from minisoc.ops.sensor_status import sensor_lines, sensor_status
from minisoc.ops.status import export_lines, intel_status
from minisoc.profile.model import Sensor
from minisoc.render import render_site
from render_support import fixed_secret, site_from_template

NOW = 1_765_000_000.0
TSV_HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t{path}\n"
    "#open\t2025-12-06-05-00-00\n#fields\t{fields}\n#types\t{types}\n"
)
STATS_FIELDS = ("ts", "peer", "mem", "pkts_proc", "bytes_recv", "pkts_dropped", "pkts_link", "pkt_lag",
                "pkts_filtered", "events_proc", "events_queued")
STATS_TYPES = ("time", "string", "count", "count", "count", "count", "count", "interval", "count", "count",
               "count")
LOSS_FIELDS = ("ts", "ts_delta", "peer", "gaps", "acks", "percent_lost")
LOSS_TYPES = ("time", "interval", "string", "count", "count", "double")


def tsv(path: str, fields: tuple[str, ...], types: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    header = TSV_HEADER.format(path=path, fields="\t".join(fields), types="\t".join(types))
    return header + "".join("\t".join(str(cell) for cell in row) + "\n" for row in rows)


def stats_row(ts: float, proc: int, dropped: int, link: int, peer: str = "zeek") -> tuple[object, ...]:
    return (f"{ts:.6f}", peer, 180, proc, proc * 700, dropped, link, "0.001200", 0, proc * 9, proc * 9)


def put(path: Path, text: str | bytes, age_s: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    os.utime(path, (NOW - age_s, NOW - age_s))
    return path


def test_packets_and_loss_come_from_the_latest_records(tmp_path: Path) -> None:
    put(tmp_path / "stats.log", tsv("stats", STATS_FIELDS, STATS_TYPES, [
        stats_row(NOW - 700, 50_000, 900, 51_000), stats_row(NOW - 400, 61_000, 12, 61_100)]), 400)
    put(tmp_path / "capture_loss.log", tsv("capture_loss", LOSS_FIELDS, LOSS_TYPES, [
        (f"{NOW - 1000:.6f}", "900.0", "zeek", 7, 1000, "0.7"),
        (f"{NOW - 100:.6f}", "900.0", "zeek", 3, 12_000, "0.025")]), 100)
    status = sensor_status(Sensor(interface="eth1"), tmp_path, NOW)
    assert status["interface"] == "eth1" and status["retention_days"] == 30
    packets = status["packets"]
    assert (packets["received"], packets["dropped"], packets["link"]) == (61_000, 12, 61_100)
    assert packets["age_s"] == 400.0 and packets["peers"] == ["zeek"]
    assert packets["dropped_percent"] == round(100 * 12 / 61_100, 3)
    loss = status["capture_loss"]
    assert (loss["gaps"], loss["acks"], loss["age_s"]) == (3, 12_000, 100.0)
    text = "\n".join(sensor_lines(status))
    assert "sensor: live on eth1" in text
    assert "packets: 61000 received, 12 dropped (0.02% of the link's) in Zeek's last stats interval" in text
    assert "capture loss: 0.025% (3 gaps in 12000 ACKs)" in text


def test_json_stats_of_several_zeek_processes_are_added_up(tmp_path: Path) -> None:
    lines = [
        {"ts": NOW - 900, "peer": "worker-1", "mem": 200, "pkts_proc": 1, "bytes_recv": 1, "pkts_dropped": 1,
         "pkts_link": 2, "events_proc": 1, "events_queued": 1},  # the round before: not counted
        {"ts": NOW - 300, "peer": "worker-1", "mem": 200, "pkts_proc": 1000, "bytes_recv": 9,
         "pkts_dropped": 5, "pkts_link": 1005, "events_proc": 1, "events_queued": 1},
        {"ts": NOW - 299, "peer": "worker-2", "mem": 210, "pkts_proc": 2000, "bytes_recv": 9,
         "pkts_dropped": 0, "pkts_link": 2000, "events_proc": 1, "events_queued": 1},
    ]
    put(tmp_path / "stats.log", "".join(json.dumps(line) + "\n" for line in lines), 299)
    packets = sensor_status(Sensor(), tmp_path, NOW)["packets"]
    assert (packets["received"], packets["dropped"], packets["link"]) == (3000, 5, 3005)
    assert packets["peers"] == ["worker-1", "worker-2"] and packets["age_s"] == 299.0


def test_a_just_rotated_stats_log_is_read_from_its_archive(tmp_path: Path) -> None:
    rotated = tsv("stats", STATS_FIELDS, STATS_TYPES, [stats_row(NOW - 200, 777, 3, 780)]) + "#close\tx\n"
    put(tmp_path / "stats.2025-12-06-05-00-00.log.gz", gzip.compress(rotated.encode()), 60)
    put(tmp_path / "stats.log", tsv("stats", STATS_FIELDS, STATS_TYPES, []), 30)  # header only, so far
    packets = sensor_status(Sensor(), tmp_path, NOW)["packets"]
    assert (packets["received"], packets["dropped"]) == (777, 3)


def test_a_zeek_clusters_stats_rotated_into_log_queue_are_read_and_counted(tmp_path: Path) -> None:
    """sensor.workers > 1: the logger writes every node's stats.log records (`peer`) and rotates the file into
    log-queue/ under zeek-archiver's name (docs/operations.md, "Zeek cluster")."""
    rows = [
        {"ts": NOW - 200, "peer": peer, "mem": 300, "pkts_proc": count, "bytes_recv": 9, "pkts_dropped": 1,
         "pkts_link": count + 1, "events_proc": 1, "events_queued": 1}
        for peer, count in (("manager", 0), ("logger", 0), ("proxy", 0), ("worker-1", 500), ("worker-2", 700))
    ]
    (tmp_path / "log-queue").mkdir()
    name = "stats__2025-12-06-04-00-00__2025-12-06-05-00-00__.log"
    put(tmp_path / "log-queue" / name, "".join(json.dumps(row) + "\n" for row in rows), 120)
    put(tmp_path / "stats.log", "", 30)  # the new file, nothing in it yet
    status = sensor_status(Sensor(workers=2), tmp_path, NOW)
    packets = status["packets"]
    assert (packets["received"], packets["dropped"]) == (1200, 5)
    assert packets["peers"] == ["logger", "manager", "proxy", "worker-1", "worker-2"]
    assert status["disk"]["rotated_plain"] == 1 and "stats" in status["last_write_age_s"]


def test_disk_use_and_the_age_of_each_log_types_last_write(tmp_path: Path) -> None:
    put(tmp_path / "conn.log", "x" * 1000, 5)
    put(tmp_path / "conn.2025-12-06-04-00-00.log.gz", b"y" * 300, 3600)
    put(tmp_path / "dns.2025-12-06-04-00-00.log", "z" * 200, 3600)
    put(tmp_path / "dns.log", "z" * 10, 7200)  # older than its rotated file: dns has been quiet since
    put(tmp_path / "notes.txt", "n" * 5, 1)  # not a log, but it takes disk
    status = sensor_status(Sensor(mode="external", interface=None, log_dir="/srv/zeek"), tmp_path, NOW)
    assert status["interface"] is None and status["retention_days"] is None  # an external sensor's logs
    disk = status["disk"]
    assert (disk["bytes"], disk["files"], disk["rotated_gzip"], disk["rotated_plain"]) == (1515, 5, 1, 1)
    assert disk["filesystem_free_bytes"] > 0
    assert status["last_write_age_s"] == {"conn": 5.0, "dns": 3600.0}
    assert status["packets"] is None and status["capture_loss"] is None
    text = "\n".join(sensor_lines(status))
    assert "no stats.log record yet" in text and "last written: conn 5s ago, dns 3600s ago" in text


def test_a_missing_log_folder_is_said_plainly(tmp_path: Path) -> None:
    status = sensor_status(Sensor(mode="off"), tmp_path / "none", NOW)
    assert status["exists"] is False and sensor_lines(status)[-1] == "  log folder: not there yet"


def test_the_export_count_and_what_the_budget_left_out(tmp_path: Path) -> None:
    metrics = ServiceMetrics(export_indicators=200_000, export_left_out=4_441, rotated_compressed_total=3,
                             rotated_deleted_total=1)
    denied = "/logs/zeek/conn.2026-12-04-10-00-00.log: Permission denied"
    body = {"components": {"logs": {"housekeeping_error": denied}}}
    server = StatusServer("127.0.0.1", 0, lambda: (200, body), metrics.render)
    server.start()

    class Where:
        def correlator_url(self) -> str:
            return f"http://127.0.0.1:{server.port}"

    try:
        intel = intel_status(Where())  # type: ignore[arg-type]
    finally:
        server.stop()
    assert intel["zeek_intel_export"] == {"items": 200_000, "left_out_by_budget": 4_441}
    assert intel["rotated_logs"] == {"gzipped": 3, "deleted": 1}
    assert export_lines(intel) == [
        "zeek intel export: 200000 items, 4441 left out by sensor.zeek_intel.max_items",
        "rotated logs: 3 gzipped, 1 deleted past retention (since the correlator started)",
        f"rotated logs: not gzipped or pruned: {denied} (docs/operations.md, Retention: the correlator must "
        "be able to write the log folder)",
    ]


def test_status_json_has_the_sensor_even_with_nothing_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    site, profile = site_from_template(tmp_path, "small-site")
    render_site(site, profile, secrets=fixed_secret)
    put(site / "logs" / "zeek" / "stats.log", tsv("stats", STATS_FIELDS, STATS_TYPES, [
        stats_row(1_700_000_000, 42, 1, 43)]), 10)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text("#!/bin/sh\nexit 0\n")  # `compose ps`: nothing running
    docker.chmod(docker.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    assert main(["status", str(site), "--json"]) == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    sensor = document["sensor"]
    assert sensor["mode"] == "live" and sensor["interface"] == profile.sensor.interface
    assert sensor["packets"]["received"] == 42 and sensor["last_write_age_s"]["stats"] >= 0
    assert main(["status", str(site)]) == 0
    assert "packets: 42 received, 1 dropped" in capsys.readouterr().out


def test_the_rendered_sensor_writes_the_logs_status_reads(tmp_path: Path) -> None:
    """Without policy/misc/stats and capture-loss (zeekctl's local.zeek loads them; a plain zeek does not),
    a live sensor writes neither stats.log nor capture_loss.log and status has no packet figures."""
    site, profile = site_from_template(tmp_path, "small-site")
    render_site(site, profile, secrets=fixed_secret)
    local = (site / "config" / "zeek" / "local.zeek").read_text().splitlines()
    assert "@load policy/misc/stats" in local and "@load policy/misc/capture-loss" in local
