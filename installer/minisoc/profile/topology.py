"""The site topology part of the profile (issue 16): `site.topology`, `site.host_links` and `hosts:`.

`single` (the default) is one compose project on one host, as before. `distributed` renders one bundle per
host (`hosts/<name>/`, see `minisoc.topology`), each host running the services of its roles:

- sensor: Zeek, the syslog receiver, the flow collector, and the shipper that sends their logs to Kafka;
- hub: Kafka brokers, correlator replicas, MISP and the feed server;
- storage: OpenSearch nodes and Dashboards.

Cross-field rules (every role present, unique names, ...) live in `minisoc.topology.checks`.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field

from minisoc.profile.strict import Strict as _Strict
from minisoc.profile.types import Slug

Topology = Literal["single", "distributed"]
HostLinks = Literal["ports", "docker-network"]
Role = Literal["sensor", "hub", "storage"]
ROLES: tuple[Role, ...] = get_args(Role)

# a DNS name or an IP address (v4 or v6): what other hosts connect to
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST_ADDRESS_PATTERN = rf"^(?:{_LABEL}(?:\.{_LABEL})*|[0-9A-Fa-f:.]+)$"


class HostResources(_Strict):
    """What the host offers (checked by `minisoc doctor --host` and summed by `minisoc plan`)."""

    ram_gb: int | None = Field(None, ge=1, le=16384, description="RAM of the host; unset = not checked.")
    disk_gb: int | None = Field(None, ge=1, le=1_000_000, description="Disk for the site's data.")
    cpus: int | None = Field(None, ge=1, le=1024, description="CPU cores of the host.")


class Host(_Strict):
    """One machine of a distributed site."""

    name: Slug = Field(description="Short host name (slug): its bundle is SITE_DIR/hosts/<name>/.")
    address: str = Field(
        pattern=HOST_ADDRESS_PATTERN,
        max_length=253,
        description="The DNS name or IP address the other hosts use to reach this one (it is also put in "
        "the certificates of the services this host publishes).",
    )
    roles: list[Role] = Field(min_length=1, description="sensor, hub and/or storage.")
    resources: HostResources = HostResources()
