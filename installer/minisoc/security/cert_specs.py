"""What certificates a site needs: one `ServiceCert` per TLS identity, and the manifest that remembers them.

The manifest (`SITE_DIR/pki/pki.json`) lets `minisoc certs renew` re-issue exactly what `minisoc render`
issued, without reading the profile again. It holds no secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from ipaddress import ip_address
from pathlib import Path
from typing import Any, Literal

from minisoc.errors import UsageError

KeyType = Literal["ec-p256", "rsa-3072"]
KEY_TYPES: tuple[KeyType, ...] = ("ec-p256", "rsa-3072")

CA_NAME = "ca"
MANIFEST_NAME = "pki.json"
OPENSEARCH_NODE = "opensearch-node"
OPENSEARCH_ADMIN = "opensearch-admin"
DASHBOARDS = "dashboards"
FEED_SERVER = "feedserver"
SYSLOG = "syslog"  # the syslog receiver's TLS listener (RFC 5425)
SYSLOG_UID = 10003  # minisoc/syslog runs rsyslog as uid 10003 (stacks/syslog/image)
MISP = "misp"  # misp-core's nginx (misp-docker makes a 365-day self-signed CN=localhost one without it)
OPENSEARCH_UID = 1000  # the official OpenSearch and Dashboards images run as uid 1000

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_DNS = re.compile(rf"^(?=.{{1,253}}$)(\*\.)?{_LABEL}(\.{_LABEL})*$")
_DN_VALUE = re.compile(r"^[A-Za-z0-9 ._-]{1,64}$")


@dataclass(frozen=True)
class ServiceCert:
    """One TLS identity: written as `pki/<name>.crt` (0644) and `pki/<name>.key` (0600).

    `server` adds the serverAuth usage (TLS server), `client` adds clientAuth (client certificate: the
    OpenSearch admin, and OpenSearch nodes, which are clients of each other on the transport layer).
    `owner_uid` is the container uid that must read the key (applied when minisoc runs as root).
    """

    name: str
    common_name: str
    organizational_unit: str = "services"
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()
    server: bool = True
    client: bool = False
    owner_uid: int | None = None

    def __post_init__(self) -> None:
        problems = _spec_problems(self)
        if problems:
            raise UsageError(
                f"certificate {self.name!r}: " + "; ".join(problems),
                hint="names are lowercase letters, digits, '-' and '_'; SANs are DNS names or IPs",
            )


def _spec_problems(spec: ServiceCert) -> list[str]:
    problems = []
    if not _NAME.match(spec.name) or spec.name == CA_NAME:
        problems.append(f"name {spec.name!r} is not a valid file stem (or is the reserved 'ca')")
    dn_parts = (("common_name", spec.common_name), ("organizational_unit", spec.organizational_unit))
    for label, value in dn_parts:
        if not _DN_VALUE.match(value):
            problems.append(f"{label} {value!r} must be 1-64 letters, digits, space, '.', '_' or '-'")
    problems += [f"DNS name {name!r} is invalid" for name in spec.dns_names if not _DNS.match(name)]
    for text in spec.ip_addresses:
        try:
            ip_address(text)
        except ValueError:
            problems.append(f"IP address {text!r} is invalid")
    if not (spec.server or spec.client):
        problems.append("a certificate must be for a server, a client or both")
    return problems


def default_service_certs(*, opensearch_nodes: Sequence[str] = ("opensearch",),
                          dashboards_host: str = "dashboards",
                          feed_host: str | None = "feedserver", misp_host: str | None = None,
                          syslog_host: str | None = None,
                          extra_names: Sequence[str] = ()) -> list[ServiceCert]:
    """The certificates of a standard site: each OpenSearch node (HTTP + transport), OpenSearch admin
    (securityadmin), Dashboards (its HTTPS UI), when the site serves MISP feeds locally the feed server, and
    when it runs MISP, MISP's web server (nginx in misp-core, which reads its key as root: no owner uid),
    and when it runs the syslog receiver, its TLS listener.

    `extra_names` (the profile's `security.tls.extra_names`: DNS names or IP addresses) are added to every
    server certificate, for sites that expose a port beyond 127.0.0.1 under a public name.
    """
    extra_dns, extra_ips = split_names(extra_names)

    def server(name: str, host: str, unit: str, *, client: bool, owner: int | None) -> ServiceCert:
        dns = tuple(dict.fromkeys((host, "localhost", *extra_dns)))
        ips = tuple(dict.fromkeys(("127.0.0.1", "::1", *extra_ips)))
        return ServiceCert(name, host, unit, dns, ips, server=True, client=client, owner_uid=owner)

    certs = [  # one per node: `opensearch-node` (CN opensearch), `opensearch-node-2` (CN opensearch-2), ...
        server(OPENSEARCH_NODE + node.removeprefix("opensearch"), node, "nodes", client=True,
               owner=OPENSEARCH_UID)
        for node in opensearch_nodes
    ]
    certs += [
        ServiceCert(OPENSEARCH_ADMIN, "minisoc-admin", "admins", server=False, client=True,
                    owner_uid=OPENSEARCH_UID),
        server(DASHBOARDS, dashboards_host, "services", client=False, owner=OPENSEARCH_UID),
    ]
    if feed_host:
        certs.append(server(FEED_SERVER, feed_host, "services", client=False, owner=None))
    if misp_host:
        certs.append(server(MISP, misp_host, "services", client=False, owner=None))
    if syslog_host:  # rsyslog reads its key as uid 10003
        certs.append(server(SYSLOG, syslog_host, "services", client=False, owner=SYSLOG_UID))
    return certs


def extra_name_problem(name: str) -> str | None:
    """Why `name` cannot be a subject alternative name (a DNS name or an IP address), or None when it can.

    The one rule for `security.tls.extra_names`: `minisoc profile check` reports it before any render.
    """
    try:
        ip_address(name)
    except ValueError:
        if not _DNS.match(name.lower().rstrip(".")):
            return f"{name!r} is neither a DNS name nor an IP address"
    return None


def split_names(names: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split host names from IP addresses (IPs normalised, DNS names lower-cased, order kept)."""
    dns: list[str] = []
    ips: list[str] = []
    for name in names:
        try:
            ips.append(str(ip_address(name)))
        except ValueError:
            dns.append(name.lower().rstrip("."))
    return tuple(dns), tuple(ips)


@dataclass(frozen=True)
class PkiManifest:
    """What was asked of the site PKI the last time: enough to renew without the profile."""

    organization: str
    validity_days: int
    ca_validity_days: int
    key_type: KeyType
    services: tuple[ServiceCert, ...] = field(default_factory=tuple)

    def to_json(self) -> bytes:
        data = asdict(self)
        return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def read(cls, path: Path) -> PkiManifest:
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
            services = tuple(
                ServiceCert(**{**item, "dns_names": tuple(item["dns_names"]),
                               "ip_addresses": tuple(item["ip_addresses"])})
                for item in data["services"]
            )
            key_type = data["key_type"]
            if key_type not in KEY_TYPES:
                raise ValueError(f"unknown key type {key_type!r}")
            return cls(str(data["organization"]), int(data["validity_days"]), int(data["ca_validity_days"]),
                       key_type, services)
        except FileNotFoundError:
            raise UsageError(f"{path}: no site PKI here", hint="run `minisoc render SITE_DIR` first") \
                from None
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise UsageError(f"{path}: unreadable PKI manifest ({type(error).__name__})",
                             hint="delete it and run `minisoc render SITE_DIR` to rebuild it") from None
