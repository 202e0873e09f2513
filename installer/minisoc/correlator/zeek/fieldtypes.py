"""The log type of a Zeek JSON record that says neither (no `_path`) nor comes from a named file.

Plain LogAscii JSON has no `_path`: read from stdin (`--logs -`), or from a file whose name is not a log
type, such records were all `unknown`, and only the connection's addresses were matched. Each log type is
told by fields only it has (Bro 2.x to Zeek 7); the first rule that holds wins.
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
        ("weird", "addl peer"),
        ("conn", "conn_state"),
    )
)


def log_type_from_fields(fields: Mapping[str, Any]) -> str | None:
    """The log type the record's field names show, or None."""
    for log_type, names in _RULES:
        if not names.isdisjoint(fields.keys()):
            return log_type
    return None
