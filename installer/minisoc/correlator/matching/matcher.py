"""The pure matcher: a LogRecord in, the Matches of its observables against an IndicatorIndex out.

No I/O and no state besides the (read-only) index: the same record always gives the same matches.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from minisoc.correlator import model
from minisoc.correlator.intel.canonical import canonical_email, canonical_ip, canonical_url
from minisoc.correlator.matching import observables as obs
from minisoc.correlator.matching.index import IndicatorIndex, RowStore
from minisoc.correlator.model import LogRecord, Match

_NAME_KINDS = frozenset((model.KIND_DOMAIN, model.KIND_HOSTNAME))
_PARENT_KINDS = frozenset((model.KIND_DOMAIN,))
_IP_KINDS = frozenset((model.KIND_IP,))
_CIDR_KINDS = frozenset((model.KIND_CIDR,))
_EMAIL_KINDS = frozenset((model.KIND_EMAIL,))
_URL_KINDS = frozenset((model.KIND_URL,))
_FILE_HASH_KINDS = {32: frozenset((model.KIND_MD5,)), 40: frozenset((model.KIND_SHA1,)),
                    64: frozenset((model.KIND_SHA256,))}
_CERT_HASH_KINDS = {32: frozenset((model.KIND_X509_MD5,)), 40: frozenset((model.KIND_X509_SHA1,)),
                    64: frozenset((model.KIND_X509_SHA256,))}
_SIMPLE = {obs.JA3: (frozenset((model.KIND_JA3,)), True), obs.JA3S: (frozenset((model.KIND_JA3S,)), True),
           obs.JA4: (frozenset((model.KIND_JA4,)), False),
           obs.USER_AGENT: (frozenset((model.KIND_USER_AGENT,)), False),
           obs.FILENAME: (frozenset((model.KIND_FILENAME,)), False)}
_INTEL_TYPES = {"Intel::ADDR": obs.IP, "Intel::DOMAIN": obs.NAME, "Intel::URL": "url",
                "Intel::EMAIL": obs.EMAIL, "Intel::FILE_HASH": obs.FILE_HASH,
                "Intel::FILE_NAME": obs.FILENAME,
                "Intel::CERT_HASH": obs.CERT_HASH, "Intel::SOFTWARE": obs.USER_AGENT, "Intel::JA3": obs.JA3}
_SET_FIELDS_SEPARATOR = ","
Fields = dict[str, Any]
_HEX = frozenset("0123456789abcdef")


def _port_of(fields: dict[str, Any], port_field: str | None) -> int:
    if port_field is None:
        return 0
    port = fields.get(port_field)
    if isinstance(port, int):
        return port
    return int(port) if isinstance(port, str) and port.isdigit() else 0


def _values(raw: Any, is_set: bool) -> list[str]:
    """A field's values: JSON arrays, TSV set text (`a,b`), or one scalar."""
    if isinstance(raw, str):
        if not raw or raw == "-" or raw == "(empty)":
            return []
        return raw.split(_SET_FIELDS_SEPARATOR) if is_set else [raw]
    if isinstance(raw, list | tuple | set | frozenset):
        return [v for v in raw if isinstance(v, str) and v]
    return []


class Matcher:
    """`match(record)` -> every (indicator, field, observed value) the record's observables hit."""

    def __init__(self, index: IndicatorIndex) -> None:
        self.index = index
        self._observers: dict[str, Callable[[str, str, int, dict[str, Any], list[Match]], None]] = {
            obs.IP: self._ip, obs.NAME: self._name, obs.HOST_HEADER: self._host_header,
            obs.DNS_ANSWER: self._dns_answer, obs.HTTP_URL: self._http_url, obs.SUBJECT: self._subject,
            obs.FILE_HASH: self._file_hash, obs.CERT_HASH: self._cert_hash, obs.EMAIL: self._email,
            obs.INTEL_SEEN: self._intel_seen, "url": self._url,
            **{name: self._simple(name) for name in _SIMPLE},
        }
        self._specs: dict[str, tuple[tuple[str, Callable[..., None], str | None], ...]] = {}

    def _compiled(self, log_type: str) -> tuple[tuple[str, Callable[..., None], str | None], ...]:
        spec = self._specs.get(log_type)
        if spec is None:
            spec = self._specs[log_type] = tuple(
                (field, self._observers[observer], port) for field, observer, port in obs.spec_for(log_type))
        return spec

    def match(self, record: LogRecord) -> list[Match]:
        return self.match_fields(record.log_type, record.fields)

    def match_fields(self, log_type: str, fields: dict[str, Any]) -> list[Match]:
        found: list[Match] = []
        for field, observe, port_field in self._compiled(log_type):
            raw = fields.get(field)
            if raw is None:
                continue
            port = _port_of(fields, port_field) if port_field else 0
            if type(raw) is str and field not in obs.SET_FIELDS:
                if raw and raw != "-" and raw != "(empty)":
                    observe(field, raw, port, fields, found)
                continue
            for value in _values(raw, field in obs.SET_FIELDS):
                observe(field, value, port, fields, found)
        return found

    # -- hits --------------------------------------------------------------------------------------------

    def _emit(self, rows_store: RowStore, rows: range | list[int], kinds: frozenset[str], value: str,
              field: str, observed: str, port: int, found: list[Match]) -> None:
        index = self.index
        for row in rows:
            if index.context_kinds[rows_store.contexts[row]] not in kinds:
                continue
            if rows_store.ports is not None and rows_store.ports[row] and rows_store.ports[row] != port:
                continue
            indicator = index.indicator(rows_store, row, value)
            found.append(Match(indicator=indicator, field=field, observed=observed))

    def _lookup(self, value: str, kinds: frozenset[str], field: str, observed: str, port: int,
                found: list[Match]) -> None:
        rows = self.index.strings.find(hash(value))
        if rows:
            self._emit(self.index.string_rows, rows, kinds, value, field, observed, port, found)

    # -- observers ---------------------------------------------------------------------------------------

    def _ip(self, field: str, value: str, port: int, fields: Fields, found: list[Match]) -> None:
        if ":" in value:
            canonical = canonical_ip(value)
            if canonical is None:
                return
        else:
            canonical = value
        self._lookup(canonical, _IP_KINDS, field, value, port, found)
        index = self.index
        if not len(index.cidrs):
            return
        try:
            if ":" in canonical:
                version, number = 6, int.from_bytes(socket.inet_pton(socket.AF_INET6, canonical), "big")
            else:
                version, number = 4, int.from_bytes(socket.inet_aton(canonical), "big")
        except OSError:
            return
        for row, network in index.cidr_hits(version, number):
            self._emit(index.cidr_rows, [row], _CIDR_KINDS, network, field, value, port, found)

    def _name(self, field: str, value: str, port: int, fields: Fields, found: list[Match]) -> None:
        name = value.lower().rstrip(".")
        if not name:
            return
        if name[-1].isdigit() or name.startswith("["):
            address = canonical_ip(name)
            if address is not None:
                self._ip(field, address, port, fields, found)
                return
        strings, rows_store = self.index.strings, self.index.string_rows
        rows = strings.find(hash(name))
        if rows:
            self._emit(rows_store, rows, _NAME_KINDS, name, field, value, port, found)
        dot = name.find(".")
        while dot >= 0:
            parent = name[dot + 1:]
            rows = strings.find(hash(parent))
            if rows:
                self._emit(rows_store, rows, _PARENT_KINDS, parent, field, value, port, found)
            dot = name.find(".", dot + 1)

    def _host_header(self, field: str, value: str, port: int, fields: Fields, found: list[Match]) -> None:
        host = value
        if host.startswith("["):
            host = host[1:host.find("]")] if "]" in host else host
        elif host.count(":") == 1:
            host = host.partition(":")[0]
        self._name(field, host, port, fields, found)

    def _dns_answer(self, field: str, value: str, port: int, fields: Fields, found: list[Match]) -> None:
        if " " in value:  # TXT and other non-address answers
            return
        if ":" in value or value[-1:].isdigit():
            address = canonical_ip(value)
            if address is not None:
                self._ip(field, value, 0, fields, found)
                return
        self._name(field, value, 0, fields, found)

    def _http_url(self, field: str, value: str, port: int, fields: Fields, found: list[Match]) -> None:
        if value.startswith(("http://", "https://")) or not value.startswith("/"):
            canonical = canonical_url(value)
            observed = value
        else:
            host = fields.get("host") or fields.get("id.resp_h")
            if not isinstance(host, str) or not host or host == "-":
                return
            observed = host + value
            host = host.lower().rstrip(".")
            if host.endswith(":80"):
                host = host[:-3]
            if ":" in host and not host.startswith("[") and host.count(":") > 1:
                host = f"[{canonical_ip(host) or host}]"
            canonical = host + value.split("#", 1)[0]
        if canonical is None:
            return
        self._url(field, canonical, port, fields, found, observed)

    def _url(self, field: str, canonical: str, port: int, fields: dict[str, Any], found: list[Match],
             observed: str | None = None) -> None:
        shown = observed if observed is not None else canonical
        self._lookup(canonical, _URL_KINDS, field, shown, port, found)
        if "?" in canonical:
            self._lookup(canonical.split("?", 1)[0], _URL_KINDS, field, shown, port, found)

    def _subject(self, field: str, value: str, port: int, fields: Fields, found: list[Match]) -> None:
        for part in value.replace("\\,", "\0").split(","):
            key, _, name = part.strip().partition("=")
            if key.upper() == "CN" and name:
                self._name(field, name.replace("\0", ","), 0, fields, found)

    def _file_hash(self, field: str, value: str, port: int, fields: Fields, found: list[Match]) -> None:
        text = value.lower()
        kinds = _FILE_HASH_KINDS.get(len(text))
        if kinds is not None:
            self._lookup(text, kinds, field, value, port, found)

    def _cert_hash(self, field: str, value: str, port: int, fields: Fields, found: list[Match]) -> None:
        text = value.lower().replace(":", "")
        kinds = _CERT_HASH_KINDS.get(len(text))
        if kinds is not None:
            self._lookup(text, kinds, field, value, port, found)

    def _email(self, field: str, value: str, port: int, fields: Fields, found: list[Match]) -> None:
        address = canonical_email(value)
        if address is not None:
            self._lookup(address, _EMAIL_KINDS, field, value, port, found)

    def _simple(self, observer: str) -> Callable[[str, str, int, dict[str, Any], list[Match]], None]:
        kinds, lower = _SIMPLE[observer]

        def observe(field: str, value: str, port: int, fields: Fields, found: list[Match]) -> None:
            text = value.strip()
            self._lookup(text.lower() if lower else text, kinds, field, value, port, found)

        return observe

    def _intel_seen(self, field: str, value: str, port: int, fields: Fields, found: list[Match]) -> None:
        observer = _INTEL_TYPES.get(str(fields.get("seen.indicator_type", "")))
        if observer == "url":
            canonical = canonical_url(value)
            if canonical is not None:
                self._url(field, canonical, 0, fields, found, value)
        elif observer is not None:
            self._observers[observer](field, value, 0, fields, found)
