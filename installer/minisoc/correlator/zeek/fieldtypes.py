"""The log type of a Zeek JSON record that does not say it (no `_path`) and whose file name does not either.

Plain LogAscii JSON has no `_path`: read from stdin (`--logs -`), or from a file named otherwise than by
its log type (`traffic.json`), such records were `unknown` (or `traffic`), and only the connection's
addresses were matched. Each log type below is told by fields only it has (Bro 2.x to Zeek 8); the first
rule that holds wins. A file name that is one of these types is trusted as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import repeat
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


# each field name's rule: the first rule naming it (a record's type is the rule of its lowest-ranked field)
_RANK: dict[str, int] = {}
for _rank, (_, _names) in enumerate(_RULES):
    for _name in sorted(_names):
        _RANK.setdefault(_name, _rank)
_NO_RANK = len(_RULES)
_TYPE_OF_RANK: tuple[str | None, ...] = (*(log_type for log_type, _ in _RULES), None)
# every rule field name, in rule order (zeek.chunkscreen finds them in raw lines)
RULE_FIELDS: tuple[str, ...] = tuple(sorted(_RANK, key=lambda name: (_RANK[name], name)))


def log_type_from_fields(fields: Mapping[str, Any] | Iterable[str]) -> str | None:
    """The log type the record's field names (a dict's keys, or the names) show, or None: one pass over the
    names (a dict lookup each, in C), the lowest rank wins. `log_type_by_rules` is its reference twin."""
    return _TYPE_OF_RANK[min(map(_RANK.get, fields, repeat(_NO_RANK)), default=_NO_RANK)]


def log_type_by_rules(fields: Mapping[str, Any]) -> str | None:
    """The reference: the first rule one of whose field names the record has."""
    for log_type, names in _RULES:
        if not names.isdisjoint(fields.keys()):
            return log_type
    return None


TOLD_BY_FIELDS = frozenset(log_type for log_type, _ in _RULES)


def infers_from_fields(log_type_hint: str | None) -> bool:
    """Whether a stream with this hint (its file name's type, None for stdin) has its records' types told by
    their fields when they have no `_path`: unless the name is a type those fields would tell."""
    return log_type_hint not in TOLD_BY_FIELDS
