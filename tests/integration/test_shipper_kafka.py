"""The sensor's shipper (rsyslog imfile + omkafka, the minisoc/shipper image) against a real Kafka broker:
real Zeek JSON lines from ../shared/data written the way Zeek writes them arrive on their topics unchanged,
through a log rotation, a shipper restart and a broker stop/start. Prints the lines/s shipped."""

from __future__ import annotations

import json
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from shipper_harness import (
    STOP_GRACE_S,
    Collector,
    TlsListener,
    create_topics,
    docker,
    ensure_shipper_image,
    free_port,
    kafka_image,
    kafka_run_argv,
    shipper_run_argv,
    wait_for_broker,
)

from log_lines import read_lines  # imfile skips empty lines: so does read_lines
from minisoc.render.shipper_config import (
    KafkaSecurity,
    ShipperSettings,
    render_shipper_config,
    shipper_cert_spec,
    shipper_topics,
)
from minisoc.security.cert_specs import ServiceCert
from minisoc.security.certs import ensure_site_pki

pytestmark = [pytest.mark.integration, pytest.mark.docker]
OUTAGE_S = 10
LOG_TYPES = ("conn", "dns", "http", "ssl", "x509", "files", "weird")


@dataclass
class Sensor:
    """The sensor's log folders (what the shipper reads) and what the test wrote, per topic."""

    root: Path
    written: Counter[tuple[str, bytes]]

    def folder(self, name: str) -> Path:
        return self.root / name

    def append(self, relative: str, topic: str, lines: list[bytes], chunk: int = 2000,
               pause_s: float = 0.0) -> None:
        """Append like Zeek: whole lines, flushed in chunks."""
        with (self.root / relative).open("ab") as handle:
            for start in range(0, len(lines), chunk):
                handle.write(b"".join(line + b"\n" for line in lines[start:start + chunk]))
                handle.flush()
                if pause_s:
                    time.sleep(pause_s)
        (self.root / relative).chmod(0o644)
        self.written.update((topic, line) for line in lines)


@dataclass
class Site:
    sensor: Sensor
    collector: Collector
    shipper: str
    kafka: str


@contextmanager
def running_site(tmp_path: Path, *, tls: bool) -> Iterator[Site]:
    """A broker and the shipper on a network of their own; with `tls` the shipper connects with mutual TLS
    (its certificate and the broker's from a site CA made here by minisoc's PKI code), as on a real sensor."""
    image = kafka_image()
    if image is None:
        pytest.fail("no minisoc/kafka image: build it with `minisoc images build` (stacks/kafka)")
    shipper_image = ensure_shipper_image()
    prefix = f"mst-shipper-{uuid.uuid4().hex[:8]}"
    network, kafka, shipper, state = (f"{prefix}-{part}" for part in ("net", "kafka", "shipper", "state"))
    root = tmp_path / "sensor"
    for name in ("zeek", "syslog", "netflow"):
        (root / name).mkdir(parents=True)
        (root / name).chmod(0o755)
    listener, certs = _tls_files(tmp_path) if tls else (None, None)
    security = KafkaSecurity() if tls else KafkaSecurity(protocol="PLAINTEXT")
    settings = ShipperSettings(brokers=("kafka:9093",) if tls else ("kafka:9092",), zeek_log_types=LOG_TYPES,
                               syslog_dir="syslog", netflow_dir="netflow", security=security,
                               message_timeout_ms=OUTAGE_S * 1000 // 2, stats_interval_s=1)
    config = tmp_path / "rsyslog.conf"
    config.write_text(render_shipper_config(settings), encoding="utf-8")
    config.chmod(0o644)
    port = free_port()
    docker("network", "create", network)
    collector = Collector(f"127.0.0.1:{port}", list(shipper_topics(settings)))
    try:
        docker(*kafka_run_argv(image, kafka, network, port, listener))
        create_topics(wait_for_broker(collector.bootstrap), collector.topics)
        docker(*shipper_run_argv(shipper_image, shipper, network, config,
                                 {f"/logs/{name}": root / name for name in ("zeek", "syslog", "netflow")},
                                 state, certs))
        collector.start()
        yield Site(Sensor(root, Counter()), collector, shipper, kafka)
    finally:
        collector.stop()
        shown = docker("logs", shipper, check=False)
        counters = [line for line in shown.stdout.splitlines() if '"origin": "omkafka"' in line]
        print("\n".join(counters[-1:]), shown.stderr[-3000:], sep="\n")  # impstats; rsyslog's own messages
        docker("rm", "--force", "--volumes", shipper, kafka, check=False)
        docker("volume", "rm", "--force", state, check=False)
        docker("network", "rm", network, check=False)


def _tls_files(tmp_path: Path) -> tuple[TlsListener, dict[str, Path]]:
    """A site CA, the broker's certificate for the name `kafka` and the shipper's client certificate."""
    pki = tmp_path / "pki"
    ensure_site_pki(pki, services=[ServiceCert("kafka-1", "kafka", dns_names=("kafka",)),
                                   replace(shipper_cert_spec(), owner_uid=None)],
                    validity_days=2, now=datetime.now(UTC))
    broker = tmp_path / "broker"
    broker.mkdir(mode=0o755)
    pem = (pki / "kafka-1.key").read_bytes() + (pki / "kafka-1.crt").read_bytes()
    (broker / "kafka.pem").write_bytes(pem)
    shutil.copy(pki / "ca.crt", broker / "ca.crt")
    # test only: the broker (uid 1000) and the shipper (uid 10004) read their keys; a site hands them over
    for path in (broker / "kafka.pem", broker / "ca.crt", pki / "ca.crt", pki / "kafka-shipper.key"):
        path.chmod(0o644)
    return TlsListener(broker), {"/certs/ca.crt": pki / "ca.crt",
                                 "/certs/shipper.crt": pki / "kafka-shipper.crt",
                                 "/certs/shipper.key": pki / "kafka-shipper.key"}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with running_site(tmp_path, tls=False) as running:
        yield running


def _inputs_beside_zeek() -> tuple[list[bytes], list[bytes]]:
    """JSON lines as the syslog receiver and the flow collector write them (their formats: docs/inputs.md)."""
    syslog = [json.dumps({"minisoc_input": "syslog", "@timestamp": f"2026-12-05T12:00:{n:02d}Z",
                          "host": "gw1", "program": "sshd", "message": f"Failed password for root from "
                          f"203.0.113.{n} port 22 ssh2 ü"}, ensure_ascii=False).encode() for n in range(40)]
    flows = [json.dumps({"src_host": f"10.0.0.{n}", "dst_host": "198.51.100.7", "src_port": 40000 + n,
                         "dst_port": 443, "proto": "tcp", "packets": n + 1, "bytes": 60 * (n + 1)}).encode()
             for n in range(40)]
    return syslog, flows


def test_every_line_arrives_unchanged_through_rotation_restart_and_broker_outage(
    site: Site, shared_data: Path
) -> None:
    zat = shared_data / "zeek" / "json" / "zat"
    wrccdc = shared_data / "zeek" / "json" / "wrccdc-zeek6.2"
    sensor, collector = site.sensor, site.collector
    started = time.monotonic()

    # 1. several Zeek logs, the longest real line (x509, 3.4 kB) and a 200 kB one (maxMessageSize)
    for log_type in ("dns", "http", "files", "weird"):
        sensor.append(f"zeek/{log_type}.log", f"minisoc.zeek.{log_type}", read_lines(zat / f"{log_type}.log"))
    x509 = read_lines(wrccdc / "x509.json.gz")
    long_http = json.loads(read_lines(zat / "http.log")[0])
    long_http["uri"] = "/" + "a" * 200_000
    sensor.append("zeek/x509.log", "minisoc.zeek.x509", [*x509, *read_lines(zat / "x509.log")])
    sensor.append("zeek/http.log", "minisoc.zeek.http", [json.dumps(long_http).encode()])
    syslog, flows = _inputs_beside_zeek()
    sensor.append("syslog/syslog-2026-12-05.json", "minisoc.syslog", syslog[:20])
    sensor.append("syslog/syslog-2026-12-06.json", "minisoc.syslog", syslog[20:])
    sensor.append("netflow/flows-2026-12-05.json", "minisoc.netflow", flows)

    # 2. rotation as Zeek does it: conn.log renamed to conn.<time>.log, a new conn.log opened
    # (the last lines are written just before the rename, as Zeek flushes them, and are read after it)
    conn = read_lines(zat / "conn.log")
    sensor.append("zeek/conn.log", "minisoc.zeek.conn", conn[:20])
    collector.wait_total(sensor.written, timeout_s=30)
    sensor.append("zeek/conn.log", "minisoc.zeek.conn", conn[20:30])
    (sensor.root / "zeek" / "conn.log").rename(sensor.root / "zeek" / "conn.2026-12-05-12-00-00.log")
    sensor.append("zeek/conn.log", "minisoc.zeek.conn", conn[30:])
    collector.wait_total(sensor.written, timeout_s=30)

    # 3. the shipper restarted (docker restart: SIGTERM, queue and positions saved) while ssl.log grows
    ssl = read_lines(wrccdc / "ssl.json.gz")
    restart = threading.Thread(target=lambda: docker("restart", "-t", str(STOP_GRACE_S), site.shipper))
    writer = threading.Thread(target=sensor.append, args=("zeek/ssl.log", "minisoc.zeek.ssl", ssl),
                              kwargs={"chunk": 2500, "pause_s": 0.1})
    writer.start()
    time.sleep(0.5)
    restart.start()
    writer.join()
    restart.join()
    collector.wait_total(sensor.written, timeout_s=60)

    # 3b. Zeek rotates conn.log (into log-queue/, as its cluster does) while the shipper is stopped: the lines
    # written after the stop are in the rotated file, which the entry point's catch-up ships on the start
    zeek8 = sorted((shared_data / "zeek" / "json" / "zeek8-pcaps").glob("*/conn.log"))
    late = [line for path in zeek8 for line in read_lines(path)]
    stopping = time.monotonic()
    docker("stop", "-t", str(STOP_GRACE_S), site.shipper)
    stop_s = time.monotonic() - stopping
    sensor.append("zeek/conn.log", "minisoc.zeek.conn", late[:8])
    queue = sensor.root / "zeek" / "log-queue"
    queue.mkdir(mode=0o755)
    (sensor.root / "zeek" / "conn.log").rename(queue / "conn.2026-12-05-13-00-00.log")
    sensor.append("zeek/conn.log", "minisoc.zeek.conn", late[8:])
    docker("start", site.shipper)
    collector.wait_total(sensor.written, timeout_s=30)

    # 4. the broker stopped while weird.log grows, then started again
    docker("stop", site.kafka)
    outage = read_lines(wrccdc / "weird.json.gz")
    sensor.append("zeek/weird.log", "minisoc.zeek.weird", outage, chunk=4000, pause_s=0.2)
    time.sleep(OUTAGE_S)  # longer than librdkafka's message timeout: omkafka's resubmission is exercised
    docker("start", site.kafka)
    collector.wait_total(sensor.written, timeout_s=90)

    # 4b. the shipper restarted while the broker is down: what it had read is saved with its queue (or in
    # omkafka's failed-message file) and sent once the broker is back. rsyslog 8.2302 resumes a queue saved
    # on disk only when the next message is enqueued: on a live sensor at once, here with one more line
    docker("stop", site.kafka)
    sensor.append("zeek/files.log", "minisoc.zeek.files", read_lines(wrccdc / "notice.json.gz"))
    time.sleep(2)
    docker("restart", "-t", str(STOP_GRACE_S), site.shipper)
    time.sleep(2)
    docker("start", site.kafka)
    time.sleep(5)
    sensor.append("zeek/files.log", "minisoc.zeek.files", read_lines(zat / "files.log")[:1])
    collector.wait_total(sensor.written, timeout_s=90)

    # 5. throughput: 53,615 DNS lines written at once, timed until the consumer has them all
    dns = read_lines(wrccdc / "dns.json.gz")
    bulk_started = time.monotonic()
    sensor.append("zeek/dns.log", "minisoc.zeek.dns", dns, chunk=10_000)
    collector.wait_total(sensor.written, timeout_s=60)
    rate = len(dns) / (time.monotonic() - bulk_started)
    time.sleep(2)  # late duplicates, if any, show up too

    counts = collector.counts
    missing = {key: n - counts[key] for key, n in sensor.written.items() if counts[key] < n}
    unexpected = [key for key in counts if key not in sensor.written]
    extra: Counter[str] = Counter()
    for key, n in sensor.written.items():
        extra[key[0]] += max(0, counts[key] - n)
    extra = +extra
    per_topic = Counter(topic for topic, _ in sensor.written.elements())
    print(f"\nshipper: {sum(sensor.written.values())} lines on {len(per_topic)} topics in "
          f"{time.monotonic() - started:.1f} s; stop took {stop_s:.1f} s; "
          f"bulk {len(dns)} lines at {rate:.0f} lines/s; "
          f"duplicates per topic {dict(extra)}; per topic {dict(per_topic)}")
    assert not collector.errors, collector.errors[:3]
    assert not missing, f"{len(missing)} lines never arrived, e.g. {next(iter(missing))[1][:200]!r}"
    assert not unexpected, f"{len(unexpected)} messages nobody wrote, e.g. {unexpected[0][1][:200]!r}"
    # only a restart may duplicate (the shipper's: lines read but not yet acknowledged when it stopped; the
    # broker's: a batch written but not acknowledged before it went down is sent again), and only a few
    assert set(extra) <= {"minisoc.zeek.ssl", "minisoc.zeek.weird", "minisoc.zeek.files"}, extra
    assert sum(extra.values()) <= 0.01 * (len(ssl) + len(outage)) + 1, extra
    assert per_topic["minisoc.zeek.conn"] == 50 + len(late) and per_topic["minisoc.syslog"] == 40


def test_the_shipper_connects_with_mutual_tls_and_the_site_ca(tmp_path: Path, shared_data: Path) -> None:
    zat = shared_data / "zeek" / "json" / "zat"
    with running_site(tmp_path, tls=True) as running:
        for log_type in ("conn", "dns", "ssl", "x509"):
            running.sensor.append(f"zeek/{log_type}.log", f"minisoc.zeek.{log_type}",
                                  read_lines(zat / f"{log_type}.log"))
        running.collector.wait_total(running.sensor.written, timeout_s=60)
        time.sleep(1)
        assert running.collector.counts == running.sensor.written
