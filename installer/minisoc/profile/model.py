"""The site profile schema (`SITE_DIR/minisoc.yaml`), validated once by `minisoc.profile.load.load_profile`.

Every model forbids unknown keys; every field has a default except the few a site must choose (site name,
admin e-mail). Cross-field rules (heap vs RAM budget, port clashes, ...) live in `minisoc.profile.checks`.
Paths are POSIX paths relative to SITE_DIR (see `minisoc.render.site_paths` for the resolved locations).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated, Literal, get_args
from uuid import UUID

from pydantic import Field, HttpUrl

from minisoc.correlator.notice_filter import NOTICE_PATTERN
from minisoc.profile.inputs import Inputs
from minisoc.profile.strict import Strict as _Strict
from minisoc.profile.topology import Host, HostLinks, Topology
from minisoc.profile.types import (
    BindAddress,
    DurationSeconds,
    Email,
    HostOrSitePath,
    ImageRef,
    InterfaceName,
    Port,
    SiteId,
    SitePath,
    Slug,
)

SensorMode = Literal["live", "external", "off"]
ServiceName = Literal[
    "zeek",
    "misp-core",
    "misp-modules",
    "misp-db",
    "misp-cache",
    "opensearch",
    "dashboards",
    "correlator",
    "feedserver",
    "syslog",
    "netflow",
]
SERVICE_NAMES: tuple[ServiceName, ...] = get_args(ServiceName)  # compose order, as listed above


class Site(_Strict):
    name: Slug = Field(description="Short site name (slug); the compose project is `minisoc-<name>-<id>`.")
    id: SiteId | None = Field(
        None,
        description="Tells this site apart from every other one on the host (written by `minisoc init`; "
        "never change it: the data volumes carry it). Unset = the compose project is `minisoc-<name>`.",
    )
    admin_email: Email = Field(description="Who runs this SOC; MISP's admin account and certificate contact.")
    topology: Topology = Field(
        "single",
        description="single: every service on this host (one compose project); distributed: the hosts of "
        "`hosts:` by role (sensor, hub, storage), one bundle per host under SITE_DIR/hosts/ "
        "(docs/topology.md).",
    )
    host_links: HostLinks = Field(
        "ports",
        description="distributed only: how hosts reach each other's services. ports: published on each "
        "host's address (real hosts); docker-network: every host is its own compose project on one Docker "
        "engine, joined by the external network minisoc-<site>-link (CI, demos).",
    )


class ZeekIntel(_Strict):
    """How much of the correlator's intel Zeek itself gets (the export Zeek's intel framework loads)."""

    max_items: int = Field(
        200_000,
        ge=0,
        le=10_000_000,
        description="At most this many items in Zeek's intel file: Zeek holds ~1.25 kB per item in each Zeek "
        "process (200000 ~ 250 MB). 0 = none. minisoc's own matcher still matches every indicator.",
    )
    policy: Literal["threat_level", "newest", "zeek_only_types"] = Field(
        "threat_level",
        description="Which items stay when there are more: threat_level (MISP's highest first, then newest), "
        "newest, zeek_only_types (URLs and file names first: Zeek also sees them in Referer headers, mail "
        "bodies and SMB, which minisoc's logs do not carry).",
    )


class Sensor(_Strict):
    mode: SensorMode = Field(
        "live",
        description="live: Zeek captures on `interface` (AF_PACKET, the site's own fanout group); external: "
        "no sensor container, Zeek runs elsewhere and writes to `log_dir`; off: no Zeek logs. "
        "`minisoc replay` runs Zeek over pcaps into `log_dir` in live and external mode.",
    )
    interface: InterfaceName | None = Field("eth0", description="Capture interface (live mode only).")
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Zeek workers capturing on `interface` (live mode): more than 1 runs a Zeek cluster "
        "under Zeek's supervisor (manager, logger, proxy and this many workers in the site's AF_PACKET "
        "fanout group); the logger writes one set of logs into `log_dir`.",
    )
    cluster_port: int | None = Field(
        None,
        ge=1024,
        le=65535 - 67,
        description="First of the Zeek cluster's Broker ports on 127.0.0.1 (workers > 1; the sensor shares "
        "the host's network): manager, logger, proxy, then one per worker. Unset: derived from the site like "
        "its fanout group (20000-32767), so two sites on one host do not collide; `minisoc doctor` checks "
        "them.",
    )
    log_dir: HostOrSitePath = Field(
        PurePosixPath("logs/zeek"),
        description="Folder of Zeek logs the correlator reads (Zeek writes there in live mode). Relative to "
        "SITE_DIR; an absolute host path is allowed only in external mode.",
    )
    retention_days: int = Field(
        30,
        ge=1,
        le=3650,
        description="Rotated Zeek logs (`conn.<time>.log`) are gzipped once the correlator has read them and "
        "deleted this many days after their last write (live mode; the correlator does it).",
    )
    zeek_intel: ZeekIntel = ZeekIntel()


class SyncServer(_Strict):
    """A MISP this site's MISP pulls from (a community's central MISP), rendered as misp-docker's
    SYNCSERVERS_<n>_DATA: created at MISP's start with the admin key, when no server of that name exists."""

    name: str = Field(min_length=1, max_length=120, pattern=r"^[^'\n]+$", description="Its name in MISP.")
    url: HttpUrl = Field(description="The remote MISP's base URL.")
    remote_org_uuid: UUID = Field(description="The uuid of the remote MISP's own organisation.")
    key_file: SitePath = Field(
        description="File (relative to SITE_DIR, mode 0600) holding the key the remote MISP gave this site."
    )
    pull: bool = Field(True, description="Pull events from it (the scheduled pull, CRON_PULLALL).")
    push: bool = Field(False, description="Push this site's events to it.")
    pull_rules: dict[str, object] | None = Field(
        None, description="MISP pull rules (tags, orgs, type_attributes... as MISP's server form has them)."
    )


class MispSettings(_Strict):
    enabled: bool = Field(True, description="Use a MISP instance (the local stack, or `url`).")
    url: HttpUrl | None = Field(None, description="An existing MISP server; unset = run MISP in this stack.")
    verify_tls: bool = Field(
        True,
        description="Verify the external MISP's certificate: chain and host name, against `ca_file` or the "
        "system's CAs. false: encrypted but not authenticated (a warning in the log).",
    )
    ca_file: SitePath | None = Field(
        None,
        description="PEM CA bundle that signs the external MISP's certificate (e.g. a community's private "
        "CA), relative to SITE_DIR. Needs `url` and verify_tls: true.",
    )
    sync_servers: list[SyncServer] = Field(
        default_factory=list, description="MISPs the local MISP syncs with (e.g. a community's central MISP)."
    )
    include_unpublished_edits: bool = Field(
        False,
        description="MISP unpublishes an event at every change: false (default) takes a change, deletions "
        "included, when the event is republished; true takes changes of events published once at once.",
    )


class Feed(_Strict):
    name: Slug
    url: HttpUrl = Field(description="A MISP feed (manifest.json + <uuid>.json) over HTTP(S).")


class Intel(_Strict):
    misp: MispSettings = MispSettings()
    feeds: list[Feed] = Field(default_factory=list, description="MISP feeds the correlator syncs.")
    local_feed_dir: SitePath | None = Field(
        PurePosixPath("feeds/local"),
        description="A MISP feed folder inside SITE_DIR served by the `feedserver` service; "
        "null = no feed server.",
    )
    intel_files: list[SitePath] = Field(
        default_factory=list,
        description="Zeek Intel framework files or plain CSV/freetext lists inside SITE_DIR.",
    )
    warninglists: list[SitePath] = Field(
        default_factory=list, description="MISP warninglist JSON files or folders inside SITE_DIR."
    )
    sync_interval: DurationSeconds = Field(300, description="Intel sync period (seconds, 90s, 5m, 1h).")
    retro_hunt_days: int = Field(7, ge=0, le=365, description="Days of stored logs searched for new intel.")


class Dashboards(_Strict):
    enabled: bool = True


class OpenSearch(_Strict):
    enabled: bool = Field(True, description="Run OpenSearch (alerts, Zeek logs); off = alerts go to SQLite.")
    heap_mb: int = Field(1024, ge=256, le=31744,
                         description="JVM heap; the container gets twice this, at least heap + 512 MB.")
    retention_days: int = Field(30, ge=1, le=3650, description="Indices older than this are deleted (ISM).")
    nodes: int = Field(
        1,
        ge=1,
        le=15,
        description="OpenSearch nodes: 1 = a single node; 2 or more = a cluster (services opensearch, "
        "opensearch-2, ...; each with heap_mb; the first 3 are cluster-manager-eligible; node N published on "
        "ports.opensearch.port + N - 1). See docs/opensearch-cluster.md.",
    )
    shards: int = Field(1, ge=1, le=64, description="Primary shards of each alert and log index.")
    replicas: int | None = Field(
        None,
        ge=0,
        le=14,
        description="Replica copies of each shard; unset = 0 with one node, 1 with a cluster (at least 1 "
        "there: a node that stops must not take data with it) and at most nodes - 1.",
    )
    dashboards: Dashboards = Dashboards()


class Correlator(_Strict):
    enabled: bool = True
    index_logs: bool = Field(True, description="Also index Zeek logs into OpenSearch (for retro-hunt).")
    ignore_notices: list[Annotated[str, Field(pattern=NOTICE_PATTERN.pattern)]] = Field(
        default_factory=list,
        description="Zeek notice types (SSL::Invalid_Server_Cert) or modules (SSL::*) not raised as alerts "
        "of their own; such a notice still alerts when an indicator matches it. Default: every notice "
        "alerts.",
    )
    replicas: int = Field(
        1,
        ge=1,
        le=64,
        description="Correlator processes (one Kafka consumer group), spread over the hub hosts; more than "
        "1 needs site.topology: distributed.",
    )


class ServiceLimits(_Strict):
    memory_mb: int | None = Field(None, ge=32, description="Memory limit; unset = the built-in default.")
    cpus: float | None = Field(None, gt=0, le=256, description="CPU limit; unset = the built-in default.")


class Resources(_Strict):
    ram_budget_mb: int = Field(8192, ge=1024, description="Memory all services together may use.")
    disk_budget_gb: int = Field(50, ge=1, description="Disk the site's data may use (checked by `doctor`).")
    limits: dict[ServiceName, ServiceLimits] = Field(
        default_factory=dict, description="Per-service overrides of the built-in memory/CPU limits."
    )


class PortBinding(_Strict):
    port: Port = Field(description="Host port.")
    bind: BindAddress = Field(
        "127.0.0.1",
        description="Host address to bind. An address beyond loopback needs expose: true; with expose: true "
        "and no bind, every address (0.0.0.0).",
    )
    expose: bool = Field(
        False,
        description="Reachable from the network: only for services served over TLS with a login (MISP; "
        "OpenSearch and Dashboards with security.tls.enabled); refused for the correlator and feed server.",
    )

    @property
    def host_address(self) -> str:
        """`bind` when the profile gives one (with expose too), else 0.0.0.0 when exposed, else loopback."""
        if self.expose and "bind" not in self.model_fields_set:
            return "0.0.0.0"  # noqa: S104 - only when the profile asks to expose
        return self.bind


class Ports(_Strict):
    misp: PortBinding | None = PortBinding(port=8443)
    opensearch: PortBinding | None = PortBinding(port=9200)
    dashboards: PortBinding | None = PortBinding(port=5601)
    correlator: PortBinding | None = PortBinding(port=8088)
    feedserver: PortBinding | None = None
    # the inputs' ports (published only when inputs.syslog / inputs.netflow is on); IANA's, UDP where noted
    syslog_udp: PortBinding | None = PortBinding(port=514)  # UDP, RFC 3164/5424; loopback only
    syslog_tcp: PortBinding | None = PortBinding(port=601)  # TCP (octet-counted or LF-framed); loopback only
    syslog_tls: PortBinding | None = PortBinding(port=6514)  # TLS, RFC 5425; may be exposed
    netflow: PortBinding | None = PortBinding(port=2055)  # UDP, NetFlow v5/v9
    ipfix: PortBinding | None = PortBinding(port=4739)  # UDP, IPFIX


class Images(_Strict):
    """Image overrides (local mirror, air-gapped site, locally built image); unset = the pinned default."""

    zeek: ImageRef | None = None
    misp_core: ImageRef | None = Field(None, alias="misp-core")
    misp_modules: ImageRef | None = Field(None, alias="misp-modules")
    misp_db: ImageRef | None = Field(None, alias="misp-db")
    misp_cache: ImageRef | None = Field(None, alias="misp-cache")
    opensearch: ImageRef | None = None
    dashboards: ImageRef | None = None
    correlator: ImageRef | None = None
    feedserver: ImageRef | None = None
    syslog: ImageRef | None = None
    netflow: ImageRef | None = None
    kafka: ImageRef | None = None  # distributed sites: the brokers (default apache/kafka, stacks/images.yaml)
    shipper: ImageRef | None = None  # distributed sites: the sensors' shipper

    def for_service(self, service: ServiceName) -> str | None:
        value = getattr(self, service.replace("-", "_"))
        return value if isinstance(value, str) else None


class Tls(_Strict):
    enabled: bool = Field(True, description="TLS on OpenSearch (HTTP, transport), Dashboards, exposed ports.")
    cert_validity_days: int = Field(397, ge=1, le=3650, description="Validity of service certificates.")
    ca_validity_days: int = Field(3650, ge=30, le=36500, description="Validity of the site CA.")
    extra_names: list[str] = Field(default_factory=list, description="Extra DNS names/IPs in certificates.")


class Security(_Strict):
    tls: Tls = Tls()


class Kafka(_Strict):
    """Kafka between sensors and hubs (distributed sites; docs/kafka.md). Brokers are combined
    broker+controller nodes (KRaft); replication factor min(3, brokers)."""

    brokers: int = Field(1, ge=1, le=9, description="Kafka nodes (each broker and KRaft controller).")
    partitions: int = Field(6, ge=1, le=256, description="Partitions of each log topic (caps correlators).")
    retention_hours: int = Field(72, ge=1, le=8760, description="Hours a log line stays in Kafka.")
    heap_mb: int = Field(512, ge=256, le=31744,
                         description="JVM heap of each broker (container: twice, at least heap + 512 MB).")


class SiteProfile(_Strict):
    """The whole `minisoc.yaml`."""

    version: Literal[1] = Field(1, description="Profile format version.")
    site: Site
    sensor: Sensor = Sensor()
    intel: Intel = Intel()
    opensearch: OpenSearch = OpenSearch()
    correlator: Correlator = Correlator()
    inputs: Inputs = Inputs()
    resources: Resources = Resources()
    ports: Ports = Ports()
    images: Images = Images()
    security: Security = Security()
    kafka: Kafka = Kafka()
    hosts: list[Host] = Field(
        default_factory=list,
        description="site.topology: distributed only: the machines and their roles (docs/topology.md).",
    )

    @property
    def project_name(self) -> str:
        """Unique per site (name plus id), so two sites on one host never share containers or volumes."""
        if self.site.id is None:
            return f"minisoc-{self.site.name}"  # a profile written by hand, or before sites had ids
        return f"minisoc-{self.site.name}-{self.site.id}"

    @property
    def runs_local_misp(self) -> bool:
        return self.intel.misp.enabled and self.intel.misp.url is None

    def enabled_services(self) -> tuple[ServiceName, ...]:
        """The compose services this profile runs, in a stable order."""
        wanted: dict[ServiceName, bool] = {
            "zeek": self.sensor.mode == "live",
            "misp-core": self.runs_local_misp,
            "misp-modules": self.runs_local_misp,
            "misp-db": self.runs_local_misp,
            "misp-cache": self.runs_local_misp,
            "opensearch": self.opensearch.enabled,
            "dashboards": self.opensearch.enabled and self.opensearch.dashboards.enabled,
            "correlator": self.correlator.enabled,
            "feedserver": self.intel.local_feed_dir is not None,
            "syslog": self.inputs.syslog.enabled,
            "netflow": self.inputs.netflow.enabled,
        }
        return tuple(name for name in SERVICE_NAMES if wanted[name])
