"""An Indicator as ECS `threat.indicator` / `threat.enrichments[].indicator` fields (see docs/alerts.md).

ECS names the indicator's type with STIX 2 Cyber Observable names (`ipv4-addr`, `domain-name`, `file`...);
the MISP attribute type it came from stays under `misp.type`, with the MISP event and attribute.
"""

from __future__ import annotations

import hashlib
from typing import Any

from minisoc.correlator import model
from minisoc.correlator.model import Indicator

# ECS threat.indicator.type per matching kind (addresses and networks: by IP version, see ecs_type).
_ECS_TYPE_BY_KIND: dict[str, str] = {
    model.KIND_DOMAIN: "domain-name",
    model.KIND_HOSTNAME: "domain-name",
    model.KIND_URL: "url",
    model.KIND_MD5: "file",
    model.KIND_SHA1: "file",
    model.KIND_SHA256: "file",
    model.KIND_FILENAME: "file",
    model.KIND_X509_MD5: "x509-certificate",
    model.KIND_X509_SHA1: "x509-certificate",
    model.KIND_X509_SHA256: "x509-certificate",
    model.KIND_EMAIL: "email-addr",
    # STIX has no observable for a user agent or a TLS client/server fingerprint: both name the software
    model.KIND_USER_AGENT: "software",
    model.KIND_JA3: "software",
    model.KIND_JA3S: "software",
    model.KIND_JA4: "software",
}
_FILE_HASH_KINDS = {model.KIND_MD5: "md5", model.KIND_SHA1: "sha1", model.KIND_SHA256: "sha256"}

# ECS threat.indicator.marking.tlp values, least to most restrictive (TLP 1.0 WHITE = TLP 2.0 CLEAR)
_TLP_ORDER = ("WHITE", "CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")


def ecs_type(indicator: Indicator) -> str:
    """The ECS (STIX 2) observable type of an indicator: `ipv4-addr`, `domain-name`, `file`, ..."""
    if indicator.kind in (model.KIND_IP, model.KIND_CIDR):
        return "ipv6-addr" if ":" in indicator.value else "ipv4-addr"
    return _ECS_TYPE_BY_KIND.get(indicator.kind, indicator.kind)


def tlp_marking(tags: tuple[str, ...]) -> str | None:
    """ECS `marking.tlp` from MISP `tlp:` tags (`tlp:amber+strict` -> `AMBER+STRICT`); the most
    restrictive when there are several; None without one ECS knows (`tlp:ex:chr` is not a TLP colour)."""
    found = [tag.partition(":")[2].strip().upper() for tag in tags if tag[:4].lower() == "tlp:"]
    known = [value for value in found if value in _TLP_ORDER]
    return max(known, key=_TLP_ORDER.index) if known else None


def indicator_id(indicator: Indicator) -> str:
    """`matched.id`: the MISP attribute uuid, else a digest of (MISP type, value, provider) (an intel file
    or list has no ids), so that the same indicator always has the same id."""
    if indicator.attribute_uuid:
        return indicator.attribute_uuid
    material = "\x1f".join((indicator.type, indicator.value, indicator.source))
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def indicator_doc(indicator: Indicator) -> dict[str, Any]:
    """ECS `threat.indicator` fields for one indicator (the alert's and each enrichment's)."""
    doc: dict[str, Any] = {
        "type": ecs_type(indicator),
        "name": indicator.value,
        "provider": indicator.source,
    }
    kind, value = indicator.kind, indicator.value
    if kind == model.KIND_IP:
        doc["ip"] = value
    elif kind == model.KIND_URL:
        doc["url"] = {"full": value}
    elif kind == model.KIND_EMAIL:
        doc["email"] = {"address": value}
    elif kind == model.KIND_FILENAME:
        doc["file"] = {"name": value}
    elif kind in _FILE_HASH_KINDS:
        doc["file"] = {"hash": {_FILE_HASH_KINDS[kind]: value}}
    if indicator.port is not None:
        doc["port"] = indicator.port
    if indicator.reference:
        doc["reference"] = indicator.reference
    description = indicator.event_info or indicator.comment
    if description:
        doc["description"] = description
    tlp = tlp_marking(indicator.tags)
    if tlp is not None:
        doc["marking"] = {"tlp": tlp}
    misp: dict[str, Any] = {"type": indicator.type}
    for name, known in (("event_uuid", indicator.event_uuid), ("attribute_uuid", indicator.attribute_uuid),
                        ("threat_level", indicator.threat_level)):
        if known is not None:
            misp[name] = known
    if indicator.tags:
        misp["tags"] = list(indicator.tags)
    doc["misp"] = misp
    return doc
