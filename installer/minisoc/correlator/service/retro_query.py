"""The pushed-down retro-hunt's queries: new indicators -> batched `terms` (and a few `prefix`/`wildcard`)
clauses over the observable fields of each log type, as Elastic's indicator-match rules do. Pure.

The fields of a log type are the matcher's (matching.observables.spec_for); how each is searched comes from
sinks.log_fields, the table the log index template is made of, checked against the index's actual mapping
(`GET <indices>/_mapping/field/...`, as Elastic reads the mapping before choosing `terms`). A clause selects
a superset of the records the matcher can match: the matcher decides on every record fetched. What no
clause can narrow (an index made before template 3: no `names` subfield; intel.log values, typed by
another field) is fetched by `exists` on the field and matched client-side, never skipped.

Per observer (indicator kinds it matches): the clause.
- address (ip, cidr): `terms` (addresses and CIDRs) on an `ip` field; on a keyword field, `terms` of the
  addresses, IPv4 CIDRs as `prefix`es of their octets, IPv6 CIDRs as any value with a colon (`*:*`);
- name, HTTP Host, DNS answer (domain, hostname, ip, cidr): `terms` on `<field>.names` (the name and its
  parents, lower-cased), CIDRs as for a keyword field;
- X.509 subject (the same): `terms` on `<field>.cn` (CNs reversed), `prefix` `<reversed domain>.` for parents;
- HTTP uri (url): `terms` on `host.names` (the URL's host) or `id.resp_h` (an address host), or any uri not
  starting with `/`;
- hashes, JA3/JA3S/JA4, user agent, file name (their kinds): `terms` on the normalised keyword;
- e-mail (email): `terms` on `<field>.emails`; intel.log seen.indicator (any kind): `exists`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

from minisoc.correlator import model
from minisoc.correlator.matching import observables as obs
from minisoc.correlator.model import Indicator
from minisoc.correlator.sinks import log_fields

TERMS_PER_CLAUSE = 9000  # Elastic's items_per_search; far under index.max_terms_count (65536)
CLAUSES_PER_SEARCH = 500  # under indices.query.bool.max_clause_count (1024)

Clause = dict[str, Any]
FieldMapping = dict[str, dict[str, Any]]  # dotted field (or subfield) path -> its leaf mapping

_NAME_KINDS = (model.KIND_DOMAIN, model.KIND_HOSTNAME)
_HASH_KINDS = (model.KIND_MD5, model.KIND_SHA1, model.KIND_SHA256, model.KIND_X509_MD5, model.KIND_X509_SHA1,
               model.KIND_X509_SHA256)
_CERT_KINDS = (model.KIND_X509_MD5, model.KIND_X509_SHA1, model.KIND_X509_SHA256)
# observers whose values are looked up as they are (after the field's normalizer): the kinds they match
_PLAIN_KINDS: dict[str, tuple[str, ...]] = {
    obs.FILE_HASH: _HASH_KINDS, obs.CERT_HASH: _CERT_KINDS, obs.JA3: (model.KIND_JA3,),
    obs.JA3S: (model.KIND_JA3S,), obs.JA4: (model.KIND_JA4,), obs.USER_AGENT: (model.KIND_USER_AGENT,),
    obs.FILENAME: (model.KIND_FILENAME,),
}
_NAME_OBSERVERS = (obs.NAME, obs.HOST_HEADER, obs.DNS_ANSWER)
_URL_HOST_FIELD, _URL_ADDRESS_FIELD = obs.CONTEXT[obs.HTTP_URL]


class HuntValues:
    """The new indicators' values by kind, as the clauses need them."""

    def __init__(self, indicators: Iterable[Indicator]) -> None:
        by_kind: dict[str, dict[str, None]] = {}
        for indicator in indicators:
            by_kind.setdefault(indicator.kind, {})[indicator.value] = None
        self.by_kind = {kind: list(values) for kind, values in by_kind.items()}
        cidrs = [ipaddress.ip_network(value, strict=False) for value in self.of(model.KIND_CIDR)]
        self.v4_cidrs = [net for net in cidrs if isinstance(net, ipaddress.IPv4Network)]
        self.has_v6_cidrs = any(isinstance(net, ipaddress.IPv6Network) for net in cidrs)
        self.url_hosts: list[str] = []
        self.url_addresses: list[str] = []
        for url in self.of(model.KIND_URL):
            host = _url_host(url)
            if host is None:
                continue
            (self.url_addresses if _is_address(host) else self.url_hosts).append(host)

    def of(self, *kinds: str) -> list[str]:
        return [value for kind in kinds for value in self.by_kind.get(kind, ())]

    def __bool__(self) -> bool:
        return bool(self.by_kind)


def _url_host(canonical_url: str) -> str | None:
    """`evil.example:8080/a?b` -> `evil.example`; `[2001:db8::1]:81/x` -> `2001:db8::1`."""
    netloc = canonical_url.split("/", 1)[0]
    if netloc.startswith("["):
        return netloc[1:netloc.find("]")] if "]" in netloc else None
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc or None


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def v4_prefixes(network: ipaddress.IPv4Network) -> list[str]:
    """The text prefixes of every address of `network`, cut at octet boundaries: `10.1.16.0/20` ->
    `10.1.16.` .. `10.1.31.` (16); at most 128 for any length; [''] for /0."""
    length = network.prefixlen
    if length == 0:
        return [""]
    octets = (length + 7) // 8
    first = network.network_address.packed[:octets]
    spread = 1 << (octets * 8 - length)
    prefixes = []
    for step in range(spread):
        head = [*first[:-1], first[-1] + step]
        prefixes.append(".".join(str(part) for part in head) + ("." if octets < 4 else ""))
    return prefixes


def _terms(field: str, values: Sequence[str]) -> list[Clause]:
    return [{"terms": {field: list(values[start:start + TERMS_PER_CLAUSE])}}
            for start in range(0, len(values), TERMS_PER_CLAUSE)]


def _exists(field: str) -> Clause:
    return {"exists": {"field": field}}


def _address_text_clauses(field: str, values: HuntValues, keyword_field: str) -> list[Clause]:
    """CIDRs on a field holding addresses as text: IPv4 as prefixes, IPv6 as any value with a colon."""
    clauses: list[Clause] = [{"prefix": {field: prefix}}
                             for net in values.v4_cidrs for prefix in v4_prefixes(net)]
    if values.has_v6_cidrs:
        clauses.append({"wildcard": {keyword_field: {"value": "*:*"}}})
    return clauses


def _ip_clauses(field: str, leaf: dict[str, Any], values: HuntValues) -> list[Clause]:
    addresses, cidrs = values.of(model.KIND_IP), values.of(model.KIND_CIDR)
    if not addresses and not cidrs:
        return []
    kind = leaf.get("type")
    if kind == "ip":
        return _terms(field, addresses + cidrs)
    if kind == "keyword" and not leaf.get("normalizer"):
        return _terms(field, addresses) + _address_text_clauses(field, values, field)
    return [_exists(field)]  # another type: every record with the field goes to the matcher


def _name_clauses(field: str, observer: str, mapping: FieldMapping, values: HuntValues) -> list[Clause]:
    names, addresses = values.of(*_NAME_KINDS), values.of(model.KIND_IP)
    if not names and not addresses and not values.v4_cidrs and not values.has_v6_cidrs:
        return []
    sub = log_fields.SUBFIELD[observer]
    subfield = f"{field}.{sub}"
    if subfield not in mapping:
        return [_exists(field)]  # an index made before template 3
    if sub == log_fields.CN:
        reverse = [value[::-1] for value in names + addresses]
        clauses = _terms(subfield, reverse)
        clauses += [{"prefix": {subfield: domain[::-1] + "."}} for domain in values.of(model.KIND_DOMAIN)]
        clauses += [{"wildcard": {subfield: {"value": "*" + prefix[::-1]}}}
                    for net in values.v4_cidrs for prefix in v4_prefixes(net)]
        if values.has_v6_cidrs:
            clauses.append({"wildcard": {subfield: {"value": "*:*"}}})
        return clauses
    return _terms(subfield, names + addresses) + _address_text_clauses(subfield, values, field)


def _url_clauses(field: str, mapping: FieldMapping, values: HuntValues) -> list[Clause]:
    if not values.of(model.KIND_URL):
        return []
    host_names = f"{_URL_HOST_FIELD}.{log_fields.NAMES}"
    clauses: list[Clause] = [{"bool": {"filter": [_exists(field)], "must_not": [{"prefix": {field: "/"}}]}}]
    if host_names in mapping:
        clauses += _terms(host_names, values.url_hosts + values.url_addresses)
    elif _URL_HOST_FIELD in mapping:
        clauses.append(_exists(_URL_HOST_FIELD))
    if values.url_addresses and _URL_ADDRESS_FIELD in mapping:
        clauses += _terms(_URL_ADDRESS_FIELD, values.url_addresses)
    return clauses


def _plain_clauses(field: str, observer: str, leaf: dict[str, Any], values: HuntValues) -> list[Clause]:
    wanted = values.of(*_PLAIN_KINDS[observer])
    if not wanted:
        return []
    if leaf.get("type") == "keyword" and leaf.get("normalizer") == log_fields.NORMALIZER[observer]:
        return _terms(field, wanted)
    return [_exists(field)]


def clauses_for(log_type: str, mapping: FieldMapping, values: HuntValues) -> list[Clause]:
    """The clauses (any of which selects a record) that find every record of `log_type` in indices with
    `mapping` that the matcher could match to one of `values`' indicators."""
    clauses: dict[str, Clause] = {}
    for field, observer, _port in obs.spec_for(log_type):
        leaf = mapping.get(field)
        if leaf is None:
            continue  # no record of these indices has the field
        if observer == obs.IP:
            found = _ip_clauses(field, leaf, values)
        elif observer in _NAME_OBSERVERS or observer == obs.SUBJECT:
            found = _name_clauses(field, observer, mapping, values)
        elif observer == obs.HTTP_URL:
            found = _url_clauses(field, mapping, values)
        elif observer == obs.EMAIL:
            subfield = f"{field}.{log_fields.EMAILS}"
            emails = values.of(model.KIND_EMAIL)
            found = (_terms(subfield, emails) if subfield in mapping else [_exists(field)]) if emails else []
        elif observer in _PLAIN_KINDS:
            found = _plain_clauses(field, observer, leaf, values)
        else:  # intel.log's seen.indicator (typed by another field), and any observer added later
            found = [_exists(field)] if values else []
        for clause in found:
            clauses.setdefault(repr(clause), clause)
    return list(clauses.values())


def mapping_fields(log_type: str) -> list[str]:
    """The fields and subfields whose mapping `clauses_for` reads for `log_type`."""
    names: dict[str, None] = {}
    for field in (*obs.fields_read(log_type), _URL_HOST_FIELD, _URL_ADDRESS_FIELD):
        names[field] = None
        for sub in (log_fields.NAMES, log_fields.CN, log_fields.EMAILS):
            names[f"{field}.{sub}"] = None
    return list(names)


def searches(clauses: Sequence[Clause], time_filter: Clause) -> list[Clause]:
    """Query bodies of at most CLAUSES_PER_SEARCH clauses each, every one within `time_filter`."""
    return [
        {"bool": {"filter": [time_filter], "should": list(clauses[start:start + CLAUSES_PER_SEARCH]),
                  "minimum_should_match": 1}}
        for start in range(0, len(clauses), CLAUSES_PER_SEARCH)
    ]
