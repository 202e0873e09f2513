"""The log type of a Zeek JSON record that does not say it (no `_path`) and whose file name does not either.

Plain LogAscii JSON has no `_path`: read from stdin (`--logs -`), or from a file named otherwise than by
its log type (`traffic.json`), such records were `unknown` (or `traffic`), and only the connection's
addresses were matched. Each log type below is told by fields only it has (Bro 2.x to Zeek 8); the first
rule that holds wins. A file name that is one of these types is trusted as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_RULES: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (log_type, frozenset(fields.split()))
    for log_type, fields in (
        ("intel", "seen.indicator seen.indicator_type"),
        ("notice", "note"),
        ("dhcp", "msg_types assigned_addr assigned_ip lease_time requested_addr"),  # Bro 2.5's has trans_id
        ("dns", "qtype qtype_name qclass rcode_name trans_id AA RD RA"),
        ("http", "method status_code request_body_len response_body_len"),
        ("x509", "certificate.subject certificate.version certificate.serial"),
        ("ssl", "cipher curve ssl_history resumed"),
        ("quic", "client_initial_dcid client_protocol"),
        ("files", "seen_bytes total_bytes missing_bytes"),
        ("smtp", "mailfrom rcptto helo"),
        ("ssh", "auth_success auth_attempts hassh host_key"),
        ("software", "software_type unparsed_version"),
        ("known_services", "port_proto"),
        ("known_certs", "issuer_subject"),
        ("weird", "addl peer"),
        ("reporter", "level location"),
        ("packet_filter", "init failure_reason"),  # Zeek 8's packet_filter: ts node filter init success
        ("conn", "conn_state"),
    )
)


def log_type_from_fields(fields: Mapping[str, Any]) -> str | None:
    """The log type the record's field names show, or None."""
    for log_type, names in _RULES:
        if not names.isdisjoint(fields.keys()):
            return log_type
    return None


TOLD_BY_FIELDS = frozenset(log_type for log_type, _ in _RULES)


def infers_from_fields(log_type_hint: str | None) -> bool:
    """Whether a stream with this hint (its file name's type, None for stdin) has its records' types told by
    their fields when they have no `_path`: unless the name is a type those fields would tell."""
    return log_type_hint not in TOLD_BY_FIELDS
