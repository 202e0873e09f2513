"""Real Zeek JSON logs from ../shared/data as Kafka messages (one line each, topic per log type), and the
intel that hits them: what the Kafka integration tests and bench/kafka_consumers.py feed the correlators."""

from __future__ import annotations

from pathlib import Path

from log_lines import log_type_of, read_lines
from minisoc.correlator.kafka.topics import ZEEK_TOPIC_PREFIX

# small (zat, Zeek 8 captures) and large (WRCCDC 2018: 53k DNS, 49k TLS, 24k weird lines) JSON logs
SMALL = ("zeek/json/zat", "zeek/json/zeek8-pcaps")
LARGE = ("zeek/json/wrccdc-zeek6.2",)
FIELDS = "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n"
INTEL = FIELDS + "\n".join((
    "192.168.56.1\tIntel::ADDR\tplanted\tsshguess client",  # zeek8-pcaps sshguess
    "10.18.20.97\tIntel::ADDR\tlab\tzat host",               # zat conn/dns/...
    "videosearch.ubuntu.com\tIntel::DOMAIN\tlab\twrccdc dns",
    "snozberry.oompa.loompa\tIntel::DOMAIN\tlab\twrccdc dns",
)) + "\n"


def log_files(data: Path, folders: tuple[str, ...]) -> list[Path]:
    found: list[Path] = []
    for folder in folders:
        found += sorted(p for p in (data / folder).rglob("*") if p.is_file()
                        and (p.name.endswith((".log", ".json.gz"))))
    return found


def messages_by_topic(files: list[Path]) -> dict[str, list[bytes]]:
    """topic -> the lines of every file of that log type, in file order."""
    topics: dict[str, list[bytes]] = {}
    for path in files:
        topics.setdefault(ZEEK_TOPIC_PREFIX + log_type_of(path), []).extend(read_lines(path))
    return topics
