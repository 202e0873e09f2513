"""The pure matcher: a LogRecord in, the Matches of its observables against an IndicatorIndex out.

No I/O; the same record always gives the same matches. The only state besides the read-only index is a
bounded memo of observed addresses and names known to hit nothing (logs repeat them a lot), which changes
speed, never results.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from typing import Any

from minisoc.correlator import model
from minisoc.correlator.intel.canonical import canonical_email, canonical_ip, canonical_url
from minisoc.correlator.matching import observables as obs
from minisoc.correlator.matching.index import IndicatorIndex, RowStore
from minisoc.correlator.model import LogRecord, Match

Fields = dict[str, Any]
Found = list[Match]
PortField = str | None
Observer = Callable[[str, str, PortField, Fields, Found], None]
SpecEntry = tuple[str, Observer, PortField, bool, "set[str] | None"]

_MEMO_LIMIT = 1 << 17  # clean observed values remembered per kind of observation, then forgotten at once
_NAME_KINDS = frozenset((model.KIND_DOMAIN, model.KIND_HOSTNAME))
_PARENT_KINDS = frozenset((model.KIND_DOMAIN,))
_IP_KINDS = frozenset((model.KIND_IP,))
_CIDR_KINDS = frozenset((model.KIND_CIDR,))
_URL_KINDS = frozenset((model.KIND_URL,))
_EMAIL_KINDS = frozenset((model.KIND_EMAIL,))
_FILE_HASH_KINDS = {32: frozenset((model.KIND_MD5,)), 40: frozenset((model.KIND_SHA1,)),
                    64: frozenset((model.KIND_SHA256,))}
_CERT_HASH_KINDS = {32: frozenset((model.KIND_X509_MD5,)), 40: frozenset((model.KIND_X509_SHA1,)),
                    64: frozenset((model.KIND_X509_SHA256,))}
_SIMPLE = {obs.JA3: (frozenset((model.KIND_JA3,)), True), obs.JA3S: (frozenset((model.KIND_JA3S,)), True),
           obs.JA4: (frozenset((model.KIND_JA4,)), False),
           obs.USER_AGENT: (frozenset((model.KIND_USER_AGENT,)), False),
           obs.FILENAME: (frozenset((model.KIND_FILENAME,)), False)}
_ORIG_FIELD, _RESP_FIELD = (field for field, _, _ in obs.CONNECTION)
_INTEL_TYPES = {"Intel::ADDR": obs.IP, "Intel::DOMAIN": obs.NAME, "Intel::URL": "url",
                "Intel::EMAIL": obs.EMAIL, "Intel::FILE_HASH": obs.FILE_HASH,
                "Intel::FILE_NAME": obs.FILENAME, "Intel::CERT_HASH": obs.CERT_HASH,
                "Intel::SOFTWARE": obs.USER_AGENT, "Intel::JA3": obs.JA3}


def port_of(fields: Fields, port_field: str | None) -> int:
    """The port that goes with an observation (0 when there is none)."""
    port = fields.get(port_field) if port_field else None
    if isinstance(port, int):
        return port
    return int(port) if isinstance(port, str) and port.isdigit() else 0


class Matcher:
    """`match(record)` -> every (indicator, field, observed value) the record's observables hit."""

    def __init__(self, index: IndicatorIndex) -> None:
        self.index = index
        self._strings = index.strings
        self._bitmap = index.strings.bitmap
        self._bitmap_mask = len(index.strings.bitmap) - 1
        self._v4_blocks = index.v4_blocks
        self._has_v6_cidrs = bool(index.v6_lengths)
        self._clean_ips: set[str] = set()
        self._clean_names: set[str] = set()
        self._observers: dict[str, Observer] = {
            obs.IP: self._ip, obs.NAME: self._name, obs.HOST_HEADER: self._host_header,
            obs.DNS_ANSWER: self._dns_answer, obs.HTTP_URL: self._http_url, obs.SUBJECT: self._subject,
            obs.FILE_HASH: self._file_hash, obs.CERT_HASH: self._cert_hash, obs.EMAIL: self._email,
            obs.INTEL_SEEN: self._intel_seen, "url": self._url_text,
            **{name: self._simple(name) for name in _SIMPLE},
        }
        self._specs: dict[str, tuple[SpecEntry, ...]] = {}
        # observers whose "nothing here" answers are memoised: checked inline, saving a call per repeat
        self._memo_of: dict[str, set[str]] = {obs.IP: self._clean_ips, obs.NAME: self._clean_names,
                                              obs.DNS_ANSWER: self._clean_names}
        (self._orig_entry, self._resp_entry) = (self._entry(*entry) for entry in obs.CONNECTION)

    def _compiled(self, log_type: str) -> tuple[SpecEntry, ...]:
        """The log type's own observables (the connection's addresses are handled in match_fields)."""
        spec = self._specs.get(log_type)
        if spec is None:
            spec = self._specs[log_type] = tuple(
                self._entry(field, observer, port)
                for field, observer, port in obs.PER_LOG_TYPE.get(log_type, ()))
        return spec

    def _entry(self, field: str, observer: str, port: PortField) -> SpecEntry:
        return (field, self._observers[observer], port, field in obs.SET_FIELDS, self._memo_of.get(observer))

    def match(self, record: LogRecord) -> list[Match]:
        return self.match_fields(record.log_type, record.fields)

    def match_fields(self, log_type: str, fields: Fields) -> list[Match]:
        """Matches of every observable of `spec_for(log_type)`, in that order; `fields` is only read."""
        found: Found = []
        spec = self._specs.get(log_type)
        if spec is None:
            spec = self._compiled(log_type)
        for entry in spec:
            raw = fields.get(entry[0])
            if raw is None:
                continue
            memo = entry[4]
            if memo is not None:
                if raw.__class__ is str:
                    if raw in memo:
                        continue
                elif raw.__class__ is list:
                    try:
                        if memo.issuperset(raw):  # every element known clean (or none at all)
                            continue
                    except TypeError:  # an unhashable element: _observe skips what is not text
                        pass
            self._observe(entry, raw, fields, found)
        # the connection's addresses (every log type): most are known clean, checked here without a call
        clean = self._clean_ips
        raw = fields.get(_ORIG_FIELD)
        if raw is not None and (raw.__class__ is not str or raw not in clean):
            self._observe(self._orig_entry, raw, fields, found)
        raw = fields.get(_RESP_FIELD)
        if raw is not None and (raw.__class__ is not str or raw not in clean):
            self._observe(self._resp_entry, raw, fields, found)
        return found

    def _observe(self, entry: SpecEntry, raw: Any, fields: Fields, found: Found) -> None:
        """Observe one field's value (text, `a,b` text of a TSV set, or a list), skipping known-clean ones."""
        field, observe, port_field, is_set, memo = entry
        if raw.__class__ is str:
            if not raw or raw == "-" or raw == "(empty)":
                return
            if is_set and "," in raw:
                for value in raw.split(","):
                    observe(field, value, port_field, fields, found)
            else:
                observe(field, raw, port_field, fields, found)
        elif isinstance(raw, list | tuple):
            for value in raw:
                if value.__class__ is str and value and (memo is None or value not in memo):
                    observe(field, value, port_field, fields, found)

    # -- hits ---------------------------------------------------------------------------------------------

    def _emit(self, rows_store: RowStore, rows: Sequence[int], kinds: frozenset[str], value: str,
              field: str, observed: str, port_field: PortField, fields: Fields, found: Found) -> None:
        index = self.index
        ports = rows_store.ports
        for row in rows:
            if index.context_kinds[rows_store.contexts[row]] not in kinds:
                continue
            if ports is not None and ports[row] and ports[row] != port_of(fields, port_field):
                continue
            indicator = index.indicator(rows_store, row, value)
            found.append(Match(indicator=indicator, field=field, observed=observed))

    def _lookup(self, value: str, kinds: frozenset[str], field: str, observed: str, port_field: str | None,
                fields: Fields, found: Found) -> bool:
        """Emit the hits of `value`; True when the table has rows for it (whatever their kind or port)."""
        key = hash(value)
        if not self._bitmap[(key >> 3) & self._bitmap_mask] & (1 << (key & 7)):
            return False
        rows = self._strings.find(key)
        if rows:
            self._emit(self.index.string_rows, rows, kinds, value, field, observed, port_field, fields, found)
        return bool(rows)

    # -- observers ---------------------------------------------------------------------------------------

    def _ip(self, field: str, value: str, port_field: PortField, fields: Fields, found: Found,
            observed: str | None = None) -> None:
        """An address; matches report `observed` (default: the value itself)."""
        if value in self._clean_ips:
            return
        if observed is None:
            observed = value
        canonical = canonical_ip(value) if ":" in value else value
        if canonical is None:
            return
        any_rows = self._lookup(canonical, _IP_KINDS, field, observed, port_field, fields, found)
        if ":" in canonical:
            if self._has_v6_cidrs:
                number = int.from_bytes(socket.inet_pton(socket.AF_INET6, canonical), "big")
                any_rows |= self._cidrs(6, number, field, observed, port_field, fields, found)
        elif self._v4_blocks is not None:
            try:
                number = int.from_bytes(socket.inet_aton(canonical), "big")
            except OSError:
                return
            if self._v4_blocks[number >> 11] & (1 << ((number >> 8) & 7)):
                any_rows |= self._cidrs(4, number, field, observed, port_field, fields, found)
        if not any_rows:
            if len(self._clean_ips) >= _MEMO_LIMIT:
                self._clean_ips.clear()
            self._clean_ips.add(value)

    def _cidrs(self, version: int, number: int, field: str, value: str, port_field: str | None,
               fields: Fields, found: Found) -> bool:
        hits = self.index.cidr_hits(version, number)
        for row, network in hits:
            self._emit(self.index.cidr_rows, (row,), _CIDR_KINDS, network, field, value, port_field, fields,
                       found)
        return bool(hits)

    def _name(self, field: str, value: str, port_field: PortField, fields: Fields, found: Found,
              observed: str | None = None) -> None:
        """A host name; matches report `observed` (default: the value; `host:port` for a Host header)."""
        if value in self._clean_names:
            return
        if observed is None:
            observed = value
        name = value.lower().rstrip(".")
        if not name:
            return
        if name[-1].isdigit() or name[0] == "[":
            address = canonical_ip(name[1:-1] if name[0] == "[" else name)
            if address is not None:
                self._ip(field, address, port_field, fields, found, observed)
                return
        any_rows = self._lookup(name, _NAME_KINDS, field, observed, port_field, fields, found)
        dot = name.find(".")
        while dot >= 0:
            parent = name[dot + 1:]
            any_rows |= self._lookup(parent, _PARENT_KINDS, field, observed, port_field, fields, found)
            dot = name.find(".", dot + 1)
        if not any_rows:
            if len(self._clean_names) >= _MEMO_LIMIT:
                self._clean_names.clear()
            self._clean_names.add(value)

    def _host_header(
        self, field: str, value: str, port_field: PortField, fields: Fields, found: Found,
    ) -> None:
        host = value
        if host.startswith("["):
            host = host[: host.find("]") + 1] if "]" in host else host
        elif host.count(":") == 1:
            host = host.partition(":")[0]
        self._name(field, host, port_field, fields, found, value)

    def _dns_answer(
        self, field: str, value: str, port_field: PortField, fields: Fields, found: Found,
    ) -> None:
        if value in self._clean_ips or value in self._clean_names or " " in value:  # TXT etc.: not matched
            return
        if (":" in value or value[-1].isdigit()) and canonical_ip(value) is not None:
            self._ip(field, value, None, fields, found)
            return
        self._name(field, value, None, fields, found)

    def _http_url(self, field: str, value: str, port_field: PortField, fields: Fields, found: Found) -> None:
        if value[0] == "/":
            host = fields.get("host") or fields.get("id.resp_h")
            if type(host) is not str or not host or host == "-":
                return
            observed = host + value
            host = host.lower().rstrip(".")
            if host.endswith(":80"):
                host = host[:-3]
            elif host.count(":") > 1 and not host.startswith("["):
                host = f"[{canonical_ip(host) or host}]"
            canonical: str | None = host + value.split("#", 1)[0]
        else:
            canonical, observed = canonical_url(value), value
        if canonical is not None:
            self._url(field, canonical, observed, fields, found)

    def _url(self, field: str, canonical: str, observed: str, fields: Fields, found: Found) -> None:
        self._lookup(canonical, _URL_KINDS, field, observed, None, fields, found)
        if "?" in canonical:
            self._lookup(canonical.split("?", 1)[0], _URL_KINDS, field, observed, None, fields, found)

    def _url_text(self, field: str, value: str, port_field: PortField, fields: Fields, found: Found) -> None:
        canonical = canonical_url(value)
        if canonical is not None:
            self._url(field, canonical, value, fields, found)

    def _subject(self, field: str, value: str, port_field: PortField, fields: Fields, found: Found) -> None:
        for part in value.replace("\\,", "\0").split(","):
            key, _, name = part.strip().partition("=")
            if key.upper() == "CN" and name:
                self._name(field, name.replace("\0", ","), None, fields, found)

    def _file_hash(self, field: str, value: str, port_field: PortField, fields: Fields, found: Found) -> None:
        text = value.lower()
        kinds = _FILE_HASH_KINDS.get(len(text))
        if kinds is not None:
            self._lookup(text, kinds, field, value, None, fields, found)

    def _cert_hash(self, field: str, value: str, port_field: PortField, fields: Fields, found: Found) -> None:
        text = value.lower().replace(":", "")
        kinds = _CERT_HASH_KINDS.get(len(text))
        if kinds is not None:
            self._lookup(text, kinds, field, value, None, fields, found)

    def _email(self, field: str, value: str, port_field: PortField, fields: Fields, found: Found) -> None:
        address = canonical_email(value)
        if address is not None:
            self._lookup(address, _EMAIL_KINDS, field, value, None, fields, found)

    def _simple(self, observer: str) -> Observer:
        kinds, lower = _SIMPLE[observer]

        def observe(field: str, value: str, port_field: PortField, fields: Fields, found: Found) -> None:
            text = value.strip()
            self._lookup(text.lower() if lower else text, kinds, field, value, None, fields, found)

        return observe

    def _intel_seen(
        self, field: str, value: str, port_field: PortField, fields: Fields, found: Found,
    ) -> None:
        observer = _INTEL_TYPES.get(str(fields.get("seen.indicator_type", "")))
        if observer is not None:
            self._observers[observer](field, value, None, fields, found)
