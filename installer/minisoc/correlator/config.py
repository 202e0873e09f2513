"""The correlator service's configuration file (`correlator.yaml`), rendered by `minisoc render`.

Paths are as the correlator sees them (inside its container, or on the host without Docker).
Secrets are never in this file: only paths to secret files (mounted, mode 0600).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field

from minisoc.correlator.notice_filter import NOTICE_PATTERN
from minisoc.errors import Problem, ProfileError, UsageError
from minisoc.site.layout import ALERTS_INDEX


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HousekeepingConfig(_Strict):
    """Rotated Zeek logs (`conn.<YYYY-MM-DD-HH-MM-SS>.log`, as a Zeek without zeekctl renames them) in the
    log directory: gzipped once the tail checkpoint shows them read to their end, deleted once read and not
    written for `retention_days`. Current logs and unread files are never touched."""

    retention_days: int = Field(30, ge=1, le=3650)
    compress: bool = True
    interval_s: float = Field(300.0, ge=1)  # how often the log directory is looked at


class LogsConfig(_Strict):
    dir: Path = Path("/logs/zeek")  # Zeek JSON/TSV logs, possibly rotated and gzipped
    poll_interval_s: float = Field(1.0, gt=0, le=60)
    batch_lines: int = Field(5000, ge=1, le=1_000_000)
    # None: the correlator only reads the log directory (a sensor it does not run writes it: external mode)
    housekeeping: HousekeepingConfig | None = None
    # Zeek notice types (`SSL::Invalid_Server_Cert`) or modules (`SSL::*`) not raised as alerts of their own
    ignore_notices: list[Annotated[str, Field(pattern=NOTICE_PATTERN.pattern)]] = []


class FeedConfig(_Strict):
    name: str
    url: str  # http(s)://.../ (a MISP feed: manifest.json + <uuid>.json) or a directory path


class MispApiConfig(_Strict):
    url: str
    key_file: Path  # the automation key, in a 0600 secret file
    verify_tls: bool = True  # chain and host name, against ca_file or the system store
    ca_file: Path | None = None  # a PEM CA bundle (e.g. a community MISP's private CA)
    # also take unpublished changes of events published once (MISP unpublishes an event at every change)
    include_unpublished_edits: bool = False
    overlap_s: float = Field(300.0, ge=0, le=86400)  # each sync re-reads this much before the cursor
    full_sync_interval_s: float = Field(86400.0, ge=60)  # a full pass: events deleted in MISP are removed


class IntelConfig(_Strict):
    feeds: list[FeedConfig] = []
    misp: MispApiConfig | None = None
    zeek_intel_files: list[Path] = []  # Zeek Intel framework files and plain CSV/freetext lists
    warninglists: list[Path] = []  # MISP warninglist JSON files or folders of them
    sync_interval_s: float = Field(60.0, gt=0)
    retro_hunt_days: int = Field(7, ge=0, le=365)


class OpenSearchSinkConfig(_Strict):
    url: str  # https://opensearch:9200
    # the cluster's other nodes: the client spreads requests over url and these, and fails over between them
    other_urls: list[str] = []
    username: str = "correlator"
    password_file: Path | None = None
    ca_file: Path | None = None
    verify_tls: bool = True
    alerts_index: str = ALERTS_INDEX
    logs_index_prefix: str = "zeek"  # zeek-<log type>-YYYY.MM.DD
    index_logs: bool = True


class SqliteSinkConfig(_Strict):
    path: Path = Path("/data/alerts.db")


class SinkConfig(_Strict):
    kind: Literal["opensearch", "sqlite"] = "sqlite"
    opensearch: OpenSearchSinkConfig | None = None
    sqlite: SqliteSinkConfig = SqliteSinkConfig()


class SightingsConfig(_Strict):
    enabled: bool = True
    source: str = "minisoc"  # the site name: MISP shows it as the sighting source


class ExportConfig(_Strict):
    zeek_intel_path: Path | None = Path("/intel/minisoc.intel")  # atomically replaced on every change
    # the budget: Zeek holds ~1.25 kB per item in each process; None = every exportable indicator
    max_items: int | None = Field(None, ge=0)
    # who stays over the budget (export.ExportBudget; not imported from there: export imports intel/)
    policy: Literal["threat_level", "newest", "zeek_only_types"] = "threat_level"


class HttpConfig(_Strict):
    bind: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)


class InputDirConfig(_Strict):
    """One input's log directory as the correlator sees it, written by a receiver minisoc runs (rsyslog for
    syslog, the flow collector for NetFlow/IPFIX): JSON lines, one file per UTC day, read like Zeek logs
    (checkpointed, rotation-safe). The record formats: docs/inputs.md."""

    dir: Path
    poll_interval_s: float = Field(1.0, gt=0, le=60)


class InputsConfig(_Strict):
    """Log sources next to Zeek (issue 15). None: that input is off."""

    syslog: InputDirConfig | None = None  # rendered as /logs/syslog
    netflow: InputDirConfig | None = None  # rendered as /logs/netflow


class KafkaConfig(_Strict):
    """Logs from Kafka instead of the log directory (issue 16, docs/kafka-consumer.md): this replica is a
    member of `group_id`; its intel comes from `intel_topic` (`leader`: it also syncs the sources of
    `intel` and publishes them there; `follower`: it only reads; `off`: it syncs `intel` itself)."""

    bootstrap_servers: list[str] = Field(min_length=1)  # host:port of the CLIENT listeners
    security_protocol: Literal["SASL_SSL", "PLAINTEXT"] = "SASL_SSL"  # PLAINTEXT: tests only
    username: str | None = "correlator"  # the SCRAM-SHA-512 user
    password_file: Path | None = None  # its password, in a 0600 secret file
    ca_file: Path | None = None  # the site CA (PEM) the brokers' certificates chain to
    group_id: str = "minisoc-correlators"
    client_id: str = "minisoc-correlator"
    # `^` starts a regular expression (librdkafka): new Zeek log type topics are picked up by themselves
    topics: list[str] = Field(default=["^minisoc\\.zeek\\..+", "minisoc.syslog", "minisoc.netflow"],
                              min_length=1)
    intel_topic: str = "minisoc.intel"
    intel_role: Literal["leader", "follower", "off"] = "follower"
    session_timeout_ms: int = Field(15000, ge=6000, le=300000)  # a dead replica's partitions move after this

    @pydantic.model_validator(mode="after")
    def _scram_needs_secrets(self) -> KafkaConfig:
        if self.security_protocol == "SASL_SSL" and (not self.username or self.password_file is None):
            raise ValueError("security_protocol SASL_SSL needs username and password_file")
        return self


class CorrelatorConfig(_Strict):
    site: str
    state_dir: Path = Path("/data/state")  # checkpoints, sync cursors, buffered alerts, dead letters
    logs: LogsConfig = LogsConfig()
    inputs: InputsConfig = InputsConfig()
    intel: IntelConfig = IntelConfig()
    sink: SinkConfig = SinkConfig()
    sightings: SightingsConfig = SightingsConfig()
    export: ExportConfig = ExportConfig()
    http: HttpConfig = HttpConfig()
    kafka: KafkaConfig | None = None  # None: logs from logs.dir (and inputs), intel synced here


def load_correlator_config(path: Path) -> CorrelatorConfig:
    """Read and validate a correlator.yaml; problems as `dotted.path: message` lines (exit 2)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(
            f"{path}: cannot read ({error.strerror or error})",
            "render the site first (`minisoc render SITE_DIR`) or pass --config",
        ) from None
    except yaml.YAMLError as error:
        raise UsageError(f"{path}: not valid YAML ({error})", "fix the file or render it again") from None
    try:
        return CorrelatorConfig.model_validate(document if document is not None else {})
    except pydantic.ValidationError as error:
        problems = [
            Problem(".".join(str(p) for p in item["loc"]) or "(root)", item["msg"]) for item in error.errors()
        ]
        raise ProfileError(problems, source=str(path)) from None
