"""The correlator's value types, shared by sources, the matcher and sinks.

msgspec Structs: cheap to create (the hot path makes many) and trivially serialisable.
"""

from __future__ import annotations

from typing import Any

import msgspec

# Matching classes: what an indicator is compared against in the logs (see docs/alerts.md).
KIND_IP = "ip"  # exact IPv4/IPv6 address, canonical (compressed, lower-case) text
KIND_CIDR = "cidr"  # IPv4/IPv6 network, canonical `net/len`
KIND_DOMAIN = "domain"  # the name and every name below it (evil.example matches a.b.evil.example)
KIND_HOSTNAME = "hostname"  # that exact name only
KIND_URL = "url"  # normalised host+path[?query], no scheme
KIND_MD5 = "md5"
KIND_SHA1 = "sha1"
KIND_SHA256 = "sha256"
KIND_JA3 = "ja3"
KIND_JA3S = "ja3s"
KIND_JA4 = "ja4"
KIND_X509_MD5 = "x509-md5"
KIND_X509_SHA1 = "x509-sha1"
KIND_X509_SHA256 = "x509-sha256"
KIND_EMAIL = "email"
KIND_USER_AGENT = "user-agent"
KIND_FILENAME = "filename"

ALL_KINDS = (
    KIND_IP, KIND_CIDR, KIND_DOMAIN, KIND_HOSTNAME, KIND_URL, KIND_MD5, KIND_SHA1, KIND_SHA256, KIND_JA3,
    KIND_JA3S, KIND_JA4, KIND_X509_MD5, KIND_X509_SHA1, KIND_X509_SHA256, KIND_EMAIL, KIND_USER_AGENT,
    KIND_FILENAME,
)


class Indicator(msgspec.Struct, frozen=True, gc=False):
    """One matchable indicator, from any intel source. `value` is canonical for its `kind`."""

    value: str
    kind: str  # one of ALL_KINDS
    type: str  # the MISP attribute type (or `Intel::ADDR`-style type mapped to its MISP equivalent)
    source: str  # provider: feed name, MISP server, intel file name
    event_uuid: str | None = None
    event_info: str | None = None
    attribute_uuid: str | None = None
    reference: str | None = None  # URL back to the MISP event (or the intel file's meta.url)
    tags: tuple[str, ...] = ()
    threat_level: int | None = None  # MISP threat_level_id: 1 high .. 4 undefined
    comment: str | None = None
    port: int | None = None  # from composite types such as ip-dst|port: match only this port
    timestamp: int | None = None  # attribute timestamp (epoch s), drives incremental sync

    def key(self) -> tuple[str, str, str]:
        """Identity of the indicator within its source (for removal and de-duplication)."""
        return (self.source, self.kind, self.value if self.attribute_uuid is None else self.attribute_uuid)


class Suppressed(msgspec.Struct, frozen=True):
    """An indicator not loaded because a warninglist names it as benign: reported, never silently dropped."""

    indicator: Indicator
    warninglist: str
    matched_entry: str


class LogRecord(msgspec.Struct, gc=False):
    """One parsed Zeek log line: `fields` keeps Zeek's flat dotted names (`id.orig_h`)."""

    log_type: str  # conn, dns, http, ssl, x509, files, ...
    fields: dict[str, Any]
    raw: bytes  # the line as read (without newline): the alert id is derived from it
    path: str | None = None  # the file it came from (None for stdin)
    offset: int | None = None  # byte offset of the line start in the (decompressed) file
    ts: float | None = None  # epoch seconds, whatever the file's timestamp format


class Match(msgspec.Struct, frozen=True, gc=False):
    """The matcher's output: this record's `field` held `observed`, which `indicator` names."""

    indicator: Indicator
    field: str
    observed: str


class Alert(msgspec.Struct, frozen=True):
    """An alert as written to sinks: `doc` is the ECS-aligned document (schema in docs/alerts.md)."""

    id: str
    doc: dict[str, Any]


class Sighting(msgspec.Struct, frozen=True):
    """A sighting for MISP: `type` 0 = seen, 1 = false positive."""

    value: str
    source: str
    timestamp: int
    type: int = 0
    attribute_uuid: str | None = None
