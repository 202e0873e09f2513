"""The observers: how each kind of observed value is looked up in an IndicatorIndex, and what it matches.

An observer takes one observed value (text), the `SpecEntry` it was seen under (its field, its port field, its
memo), the record's fields (ports and context: an HTTP uri's host, an intel.log value's type) and the list its
matches go to; it appends its Matches and says whether the index had rows for the value at all (whatever their
kind or port), so that a value without rows can be remembered clean (`CleanValues`). The observers also own
those memos, per kind of observation. Nothing is built per observation: the entry is compiled once per log
type, so the per-value cost stays one call.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from minisoc.correlator import model
from minisoc.correlator.matching import observables as obs
from minisoc.correlator.matching.index import IndicatorIndex, RowStore
from minisoc.correlator.matching.observed import ObservedFields
from minisoc.correlator.model import Match
from minisoc.correlator.values.canonical import canonical_email, canonical_ip, canonical_url

Fields = dict[str, Any] | ObservedFields  # a record's fields: the whole dict, or what matching reads of them
Found = list[Match]
PortField = str | None


class CleanValues(set[str]):
    """Values one observer saw hit nothing (no rows at all, whatever the port); forgotten at once when full.
    """

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def remember(self, value: str) -> None:
        if len(self) >= self.limit:
            self.clear()
        self.add(value)


class SpecEntry(NamedTuple):
    """One observable of a log type, as the Matcher reads it (from observables.spec_for)."""

    field: str  # where the value is, and the field its matches report
    observe: Observer
    port_field: PortField  # the field holding the port that goes with the value, for indicators with a port
    is_set: bool  # a set or vector: TSV text may hold several values, `a,b`
    memo: CleanValues | None  # the observer's clean values, when its result depends on the value alone


Observer = Callable[[str, SpecEntry, Fields, Found], bool]  # True when the index has rows for the value

# Observers whose result depends on the value alone can remember clean values (an HTTP uri's depends on the
# host, an intel.log value's on its type). Addresses and names repeat most: they get the larger memos.
_UNMEMOISED = frozenset((obs.HTTP_URL, obs.INTEL_SEEN))
_MEMO_LIMITS = {obs.IP: 1 << 17, obs.NAME: 1 << 17, obs.DNS_ANSWER: 1 << 17}
_MEMO_LIMIT = 1 << 15
_NAME_KINDS = frozenset((model.KIND_DOMAIN, model.KIND_HOSTNAME))
_PARENT_KINDS = frozenset((model.KIND_DOMAIN,))
_IP_KINDS = frozenset((model.KIND_IP,))
_CIDR_KINDS = frozenset((model.KIND_CIDR,))
_URL_KINDS = frozenset((model.KIND_URL,))
_EMAIL_KINDS = frozenset((model.KIND_EMAIL,))
_CERT_HASH_KINDS = {32: frozenset((model.KIND_X509_MD5,)), 40: frozenset((model.KIND_X509_SHA1,)),
                    64: frozenset((model.KIND_X509_SHA256,))}
# A certificate is a file too (files.log rows of source SSL): Zeek's intel framework matches Intel::CERT_HASH
# against the sha1 of certificate files, so a file hash also matches a fingerprint of the same length.
_FILE_HASH_KINDS = {32: frozenset((model.KIND_MD5, model.KIND_X509_MD5)),
                    40: frozenset((model.KIND_SHA1, model.KIND_X509_SHA1)),
                    64: frozenset((model.KIND_SHA256, model.KIND_X509_SHA256))}
_SIMPLE = {obs.JA3: (frozenset((model.KIND_JA3,)), True), obs.JA3S: (frozenset((model.KIND_JA3S,)), True),
           obs.JA4: (frozenset((model.KIND_JA4,)), False),
           obs.USER_AGENT: (frozenset((model.KIND_USER_AGENT,)), False),
           obs.FILENAME: (frozenset((model.KIND_FILENAME,)), False)}
_URL_HOST_FIELD, _URL_ADDRESS_FIELD = obs.CONTEXT[obs.HTTP_URL]
(_INTEL_TYPE_FIELD,) = obs.CONTEXT[obs.INTEL_SEEN]
_INTEL_TYPES = {"Intel::ADDR": obs.IP, "Intel::DOMAIN": obs.NAME, "Intel::URL": obs.URL,
                "Intel::EMAIL": obs.EMAIL, "Intel::FILE_HASH": obs.FILE_HASH,
                "Intel::FILE_NAME": obs.FILENAME, "Intel::CERT_HASH": obs.CERT_HASH,
                "Intel::SOFTWARE": obs.USER_AGENT, "Intel::JA3": obs.JA3}


def port_of(fields: Fields, port_field: str | None) -> int:
    """The port that goes with an observation (0 when there is none)."""
    port = fields.get(port_field) if port_field else None
    if isinstance(port, int):
        return port
    return int(port) if isinstance(port, str) and port.isdecimal() else 0  # not isdigit: '²'


class Observers:
    """The observers over one index (`by_name`: observables' observer names, and "url" for intel.log), and
    their memos of clean values (`memos`, per observer name; `url_hosts`: Host header (or address) values of
    HTTP requests on hosts that no URL indicator is on)."""

    def __init__(self, index: IndicatorIndex) -> None:
        self.index = index
        self._strings = index.strings
        self._bitmap = index.strings.bitmap
        self._bitmap_mask = len(index.strings.bitmap) - 1
        self._v4_blocks = index.v4_blocks
        self._has_v6_cidrs = bool(index.v6_lengths)
        self.by_name: dict[str, Observer] = {
            obs.IP: self._ip, obs.NAME: self._name, obs.HOST_HEADER: self._host_header,
            obs.DNS_ANSWER: self._dns_answer, obs.HTTP_URL: self._http_url, obs.SUBJECT: self._subject,
            obs.FILE_HASH: self._file_hash, obs.CERT_HASH: self._cert_hash, obs.EMAIL: self._email,
            obs.INTEL_SEEN: self._intel_seen, obs.URL: self._url_text,
            **{name: self._simple(name) for name in _SIMPLE},
        }
        self.memos = {name: CleanValues(_MEMO_LIMITS.get(name, _MEMO_LIMIT))
                      for name in self.by_name if name not in _UNMEMOISED}
        self.url_hosts = CleanValues(_MEMO_LIMIT)

    # -- hits ---------------------------------------------------------------------------------------------

    def _emit(self, rows_store: RowStore, rows: Sequence[int], kinds: frozenset[str], value: str,
              observed: str, entry: SpecEntry, fields: Fields, found: Found) -> None:
        """Matches of the `rows` of `rows_store` (found under `value`) of one of `kinds` and the right port,
        reporting `observed`."""
        index = self.index
        ports = rows_store.ports
        for row in rows:
            if index.context_kinds[rows_store.contexts[row]] not in kinds:
                continue
            if ports is not None and ports[row] and ports[row] != port_of(fields, entry.port_field):
                continue
            indicator = index.indicator(rows_store, row, value)
            found.append(Match(indicator=indicator, field=entry.field, observed=observed))

    def _lookup(self, value: str, kinds: frozenset[str], observed: str, entry: SpecEntry, fields: Fields,
                found: Found) -> bool:
        """Emit the hits of `value`; True when the table has rows for it (whatever their kind or port)."""
        key = hash(value)
        if not self._bitmap[(key >> 3) & self._bitmap_mask] & (1 << (key & 7)):
            return False
        rows = self._strings.find(key)
        if rows:
            self._emit(self.index.string_rows, rows, kinds, value, observed, entry, fields, found)
        return bool(rows)

    def _cidrs(self, version: int, number: int, observed: str, entry: SpecEntry, fields: Fields,
               found: Found) -> bool:
        hits = self.index.cidr_hits(version, number)
        for row, network in hits:
            self._emit(self.index.cidr_rows, (row,), _CIDR_KINDS, network, observed, entry, fields, found)
        return bool(hits)

    # -- observers ----------------------------------------------------------------------------------------

    def _ip(self, value: str, entry: SpecEntry, fields: Fields, found: Found,
            observed: str | None = None) -> bool:
        """An address; matches report `observed` (default: the value itself)."""
        if observed is None:
            observed = value
        canonical = canonical_ip(value) if ":" in value else value
        if canonical is None:
            return False
        any_rows = self._lookup(canonical, _IP_KINDS, observed, entry, fields, found)
        if ":" in canonical:
            if self._has_v6_cidrs:
                number = int.from_bytes(socket.inet_pton(socket.AF_INET6, canonical), "big")
                any_rows |= self._cidrs(6, number, observed, entry, fields, found)
        elif self._v4_blocks is not None:
            try:
                number = int.from_bytes(socket.inet_aton(canonical), "big")
            except (OSError, ValueError):  # not an address (ValueError: a NUL, a lone surrogate)
                return any_rows
            if self._v4_blocks[number >> 11] & (1 << ((number >> 8) & 7)):
                any_rows |= self._cidrs(4, number, observed, entry, fields, found)
        return any_rows

    def _name(self, value: str, entry: SpecEntry, fields: Fields, found: Found,
              observed: str | None = None) -> bool:
        """A host name; matches report `observed` (default: the value; `host:port` for a Host header)."""
        if observed is None:
            observed = value
        name = value.lower().rstrip(".")
        if not name:
            return False
        if name[-1].isdigit() or name[0] == "[":
            address = canonical_ip(name[1:-1] if name[0] == "[" else name)
            if address is not None:
                return self._ip(address, entry, fields, found, observed)
        any_rows = self._lookup(name, _NAME_KINDS, observed, entry, fields, found)
        dot = name.find(".")
        while dot >= 0:
            parent = name[dot + 1:]
            any_rows |= self._lookup(parent, _PARENT_KINDS, observed, entry, fields, found)
            dot = name.find(".", dot + 1)
        return any_rows

    def _host_header(self, value: str, entry: SpecEntry, fields: Fields, found: Found) -> bool:
        host = value
        if host.startswith("["):
            host = host[: host.find("]") + 1] if "]" in host else host
        elif host.count(":") == 1:
            host = host.partition(":")[0]
        return self._name(host, entry, fields, found, value)

    def _dns_answer(self, value: str, entry: SpecEntry, fields: Fields, found: Found) -> bool:
        if " " in value:  # TXT and other answers that are neither an address nor a name: not matched
            return False
        if (":" in value or value[-1].isdigit()) and canonical_ip(value) is not None:
            # an address: what the IP observer answers, so its memo is shared (clients connect to answers)
            clean_ips = self.memos[obs.IP]
            if value in clean_ips:
                return False
            if self._ip(value, entry, fields, found):
                return True
            clean_ips.remember(value)
            return False
        return self._name(value, entry, fields, found)

    def _http_url(self, value: str, entry: SpecEntry, fields: Fields, found: Found) -> bool:
        if value[0] == "/":
            given = fields.get(_URL_HOST_FIELD) or fields.get(_URL_ADDRESS_FIELD)
            if type(given) is not str or not given or given == "-":
                return False
            observed = given + value
            host = given.lower().rstrip(".")
            if host.endswith(":80"):
                host = host[:-3]
            elif host.count(":") > 1 and not host.startswith("["):
                host = f"[{canonical_ip(host) or host}]"
            if not self.index.may_have_url_host(host.partition("/")[0]):
                self.url_hosts.remember(given)  # no relative uri on this host can match
                return False
            canonical: str | None = host + value.split("#", 1)[0]
        else:
            canonical, observed = canonical_url(value), value
        return canonical is not None and self._url(canonical, observed, entry, fields, found)

    def _url(self, canonical: str, observed: str, entry: SpecEntry, fields: Fields, found: Found) -> bool:
        any_rows = self._lookup(canonical, _URL_KINDS, observed, entry, fields, found)
        if "?" in canonical:
            any_rows |= self._lookup(canonical.split("?", 1)[0], _URL_KINDS, observed, entry, fields, found)
        return any_rows

    def _url_text(self, value: str, entry: SpecEntry, fields: Fields, found: Found) -> bool:
        canonical = canonical_url(value)
        return canonical is not None and self._url(canonical, value, entry, fields, found)

    def _subject(self, value: str, entry: SpecEntry, fields: Fields, found: Found) -> bool:
        any_rows = False
        for part in value.replace("\\,", "\0").split(","):
            key, _, name = part.strip().partition("=")
            if key.upper() == "CN" and name:
                any_rows |= self._name(name.replace("\0", ","), entry, fields, found)
        return any_rows

    def _file_hash(self, value: str, entry: SpecEntry, fields: Fields, found: Found) -> bool:
        text = value.lower()
        kinds = _FILE_HASH_KINDS.get(len(text))
        return kinds is not None and self._lookup(text, kinds, value, entry, fields, found)

    def _cert_hash(self, value: str, entry: SpecEntry, fields: Fields, found: Found) -> bool:
        text = value.lower().replace(":", "")
        kinds = _CERT_HASH_KINDS.get(len(text))
        return kinds is not None and self._lookup(text, kinds, value, entry, fields, found)

    def _email(self, value: str, entry: SpecEntry, fields: Fields, found: Found) -> bool:
        address = canonical_email(value)
        return address is not None and self._lookup(address, _EMAIL_KINDS, value, entry, fields, found)

    def _simple(self, name: str) -> Observer:
        kinds, lower = _SIMPLE[name]

        def observe(value: str, entry: SpecEntry, fields: Fields, found: Found) -> bool:
            text = value.strip()
            return self._lookup(text.lower() if lower else text, kinds, value, entry, fields, found)

        return observe

    def _intel_seen(self, value: str, entry: SpecEntry, fields: Fields, found: Found) -> bool:
        observer = _INTEL_TYPES.get(str(fields.get(_INTEL_TYPE_FIELD, "")))
        return observer is not None and self.by_name[observer](value, entry, fields, found)
