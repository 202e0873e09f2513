"""The pure matcher: a LogRecord in, the Matches of its observables against an IndicatorIndex out.

No I/O; the same record always gives the same matches. The only state besides the read-only index is a
bounded memo, per kind of observation, of the observed values known to hit nothing (logs repeat addresses,
names, user agents and certificates a lot): it changes speed, never results.

Two ways in: `match_fields(log_type, fields)` over a record's dict, and `screen_for(log_type)` for a hunt
over JSON lines: a decoder that builds only the fields matching reads (matching.observed), and a match over
that Struct which first checks, in code generated from the log type's spec, whether every value is absent or
known clean. Both end in the same observers, so they give the same matches.
"""

from __future__ import annotations

import operator
import socket
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import msgspec

from minisoc.correlator import model
from minisoc.correlator.matching import observables as obs
from minisoc.correlator.matching.index import IndicatorIndex, RowStore
from minisoc.correlator.matching.observed import ObservedFields, attribute_name, observed_type
from minisoc.correlator.model import LogRecord, Match
from minisoc.correlator.values.canonical import canonical_email, canonical_ip, canonical_url

Fields = dict[str, Any] | ObservedFields  # a record's fields: the whole dict, or what matching reads of them
Found = list[Match]
PortField = str | None
Observer = Callable[[str, str, PortField, Fields, Found], bool]  # True when the index has rows for the value
ObservedMatch = Callable[[ObservedFields], Found]


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


SpecEntry = tuple[str, Observer, PortField, bool, CleanValues | None]  # field, observer, port, is_set, memo


class _Plan(NamedTuple):
    """A log type's matching, compiled once per Matcher."""

    entries: tuple[SpecEntry, ...]  # its observables, then the connection's addresses (obs.spec_for)
    names: tuple[str, ...]  # the field of each entry
    decoder: msgspec.json.Decoder[ObservedFields]  # JSON lines -> Structs of the fields matching reads
    match: ObservedMatch  # such a Struct -> its matches


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
_INTEL_TYPES = {"Intel::ADDR": obs.IP, "Intel::DOMAIN": obs.NAME, "Intel::URL": "url",
                "Intel::EMAIL": obs.EMAIL, "Intel::FILE_HASH": obs.FILE_HASH,
                "Intel::FILE_NAME": obs.FILENAME, "Intel::CERT_HASH": obs.CERT_HASH,
                "Intel::SOFTWARE": obs.USER_AGENT, "Intel::JA3": obs.JA3}


def port_of(fields: Fields, port_field: str | None) -> int:
    """The port that goes with an observation (0 when there is none)."""
    port = fields.get(port_field) if port_field else None
    if isinstance(port, int):
        return port
    return int(port) if isinstance(port, str) and port.isdecimal() else 0  # not isdigit: '²'


def compile_observed_match(entries: tuple[SpecEntry, ...], observers: tuple[str, ...], full: ObservedMatch,
                           url_hosts: CleanValues) -> ObservedMatch:
    """`full`, behind a check of every entry's value, in code generated for these entries: when each value is
    absent, or text (or a list of text) its entry's memo knows to be clean, or a relative HTTP uri on a host
    `url_hosts` knows no URL indicator is on, the answer is [] without a call.

    The source holds only attribute names made from the observables spec and `memo_N` names; it is built
    once per log type and Matcher. A Python loop over the entries costs ~5x more per record.
    """
    namespace: dict[str, Any] = {"full": full, "str": str, "list": list, "url_hosts": url_hosts}
    body: list[str] = []
    for number, ((field, _, _, _, memo), observer) in enumerate(zip(entries, observers, strict=True)):
        body.append(f"value = observed.{attribute_name(field)}")
        if observer == obs.HTTP_URL:  # as Matcher._http_url reads it: the Host header, else the address
            host, address = (attribute_name(name) for name in obs.CONTEXT[obs.HTTP_URL])
            body += ["if value is not None:",
                     "    if value.__class__ is not str or value[:1] != '/': return full(observed)",
                     f"    host = observed.{host} or observed.{address}",
                     "    if host.__class__ is not str or host not in url_hosts: return full(observed)"]
            continue
        if memo is None:
            body.append("if value is not None: return full(observed)")
            continue
        namespace[f"memo_{number}"] = memo
        body += ["if value is not None:",
                 "    if value.__class__ is str:",
                 f"        if value not in memo_{number}: return full(observed)",
                 f"    elif value.__class__ is not list or not memo_{number}.issuperset(value):",
                 "        return full(observed)"]
    source = "\n".join(
        ["def match(observed):", "    try:", *(f"        {line}" for line in body),
         "    except TypeError:  # an unhashable list element: the full match skips it",
         "        return full(observed)", "    return []"])
    exec(source, namespace)  # noqa: S102 - generated from the spec above, no outside input
    match: ObservedMatch = namespace["match"]
    return match


class Matcher:
    """`match(record)` -> every (indicator, field, observed value) the record's observables hit."""

    def __init__(self, index: IndicatorIndex) -> None:
        self.index = index
        self._strings = index.strings
        self._bitmap = index.strings.bitmap
        self._bitmap_mask = len(index.strings.bitmap) - 1
        self._v4_blocks = index.v4_blocks
        self._has_v6_cidrs = bool(index.v6_lengths)
        self._observers: dict[str, Observer] = {
            obs.IP: self._ip, obs.NAME: self._name, obs.HOST_HEADER: self._host_header,
            obs.DNS_ANSWER: self._dns_answer, obs.HTTP_URL: self._http_url, obs.SUBJECT: self._subject,
            obs.FILE_HASH: self._file_hash, obs.CERT_HASH: self._cert_hash, obs.EMAIL: self._email,
            obs.INTEL_SEEN: self._intel_seen, "url": self._url_text,
            **{name: self._simple(name) for name in _SIMPLE},
        }
        self._memos = {observer: CleanValues(_MEMO_LIMITS.get(observer, _MEMO_LIMIT))
                       for observer in self._observers if observer not in _UNMEMOISED}
        # Host header (or address) values of HTTP requests on hosts that no URL indicator is on
        self._url_hosts = CleanValues(_MEMO_LIMIT)
        self._plans: dict[str, _Plan] = {}

    def _plan(self, log_type: str) -> _Plan:
        """Compile and keep how to match a log type (callers look in `_plans` first): its observables, then
        the connection's addresses, and their readers."""
        spec = obs.spec_for(log_type)
        entries = tuple(
            (field, self._observers[observer], port, field in obs.SET_FIELDS, self._memos.get(observer))
            for field, observer, port in spec)
        names = tuple(entry[0] for entry in entries)
        read = operator.attrgetter(*(attribute_name(name) for name in names))

        def full(observed: ObservedFields) -> Found:
            return self._match_values(entries, read(observed), observed)

        plan = self._plans[log_type] = _Plan(
            entries, names, msgspec.json.Decoder(observed_type(log_type)),
            compile_observed_match(entries, tuple(observer for _, observer, _ in spec), full,
                                   self._url_hosts))
        return plan

    def match(self, record: LogRecord) -> list[Match]:
        return self.match_fields(record.log_type, record.fields)

    def match_fields(self, log_type: str, fields: Fields) -> list[Match]:
        """Matches of every observable of `spec_for(log_type)`, in that order; `fields` is only read."""
        plan = self._plans.get(log_type) or self._plan(log_type)
        return self._match_values(plan.entries, map(fields.get, plan.names), fields)

    def screen_for(self, log_type: str) -> tuple[Callable[[bytes], ObservedFields],
                                                  Callable[[bytes], list[ObservedFields]], ObservedMatch]:
        """(decode, decode_lines, match) for JSON lines of `log_type` (a zeek.scan Screen):
        `match(decode(line))` == `match_fields` of the line's dict, for any line both decode (see
        matching.observed for the one difference, invalid UTF-8)."""
        plan = self._plans.get(log_type) or self._plan(log_type)
        return plan.decoder.decode, plan.decoder.decode_lines, plan.match

    def _match_values(self, entries: tuple[SpecEntry, ...], values: Iterable[Any], fields: Fields,
                      ) -> list[Match]:
        found: Found = []
        for entry, raw in zip(entries, values, strict=True):
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
        return found

    def _observe(self, entry: SpecEntry, raw: Any, fields: Fields, found: Found) -> None:
        """Observe one field's value (text, `a,b` text of a TSV set, or a list); remember the clean ones."""
        field, observe, port_field, is_set, memo = entry
        values: Iterable[Any]
        if raw.__class__ is str:
            if not raw or raw == "-" or raw == "(empty)":
                return
            values = raw.split(",") if is_set and "," in raw else (raw,)
        elif isinstance(raw, list | tuple):
            values = raw
        else:
            return
        for value in values:
            if value.__class__ is not str or not value or (memo is not None and value in memo):
                continue
            if not observe(field, value, port_field, fields, found) and memo is not None:
                memo.remember(value)

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

    # -- observers: each emits its matches, and says whether the index had rows for the value ---------------

    def _ip(self, field: str, value: str, port_field: PortField, fields: Fields, found: Found,
            observed: str | None = None) -> bool:
        """An address; matches report `observed` (default: the value itself)."""
        if observed is None:
            observed = value
        canonical = canonical_ip(value) if ":" in value else value
        if canonical is None:
            return False
        any_rows = self._lookup(canonical, _IP_KINDS, field, observed, port_field, fields, found)
        if ":" in canonical:
            if self._has_v6_cidrs:
                number = int.from_bytes(socket.inet_pton(socket.AF_INET6, canonical), "big")
                any_rows |= self._cidrs(6, number, field, observed, port_field, fields, found)
        elif self._v4_blocks is not None:
            try:
                number = int.from_bytes(socket.inet_aton(canonical), "big")
            except (OSError, ValueError):  # not an address (ValueError: a NUL, a lone surrogate)
                return any_rows
            if self._v4_blocks[number >> 11] & (1 << ((number >> 8) & 7)):
                any_rows |= self._cidrs(4, number, field, observed, port_field, fields, found)
        return any_rows

    def _cidrs(self, version: int, number: int, field: str, value: str, port_field: str | None,
               fields: Fields, found: Found) -> bool:
        hits = self.index.cidr_hits(version, number)
        for row, network in hits:
            self._emit(self.index.cidr_rows, (row,), _CIDR_KINDS, network, field, value, port_field, fields,
                       found)
        return bool(hits)

    def _name(self, field: str, value: str, port_field: PortField, fields: Fields, found: Found,
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
                return self._ip(field, address, port_field, fields, found, observed)
        any_rows = self._lookup(name, _NAME_KINDS, field, observed, port_field, fields, found)
        dot = name.find(".")
        while dot >= 0:
            parent = name[dot + 1:]
            any_rows |= self._lookup(parent, _PARENT_KINDS, field, observed, port_field, fields, found)
            dot = name.find(".", dot + 1)
        return any_rows

    def _host_header(
        self, field: str, value: str, port_field: PortField, fields: Fields, found: Found,
    ) -> bool:
        host = value
        if host.startswith("["):
            host = host[: host.find("]") + 1] if "]" in host else host
        elif host.count(":") == 1:
            host = host.partition(":")[0]
        return self._name(field, host, port_field, fields, found, value)

    def _dns_answer(
        self, field: str, value: str, port_field: PortField, fields: Fields, found: Found,
    ) -> bool:
        if " " in value:  # TXT and other answers that are neither an address nor a name: not matched
            return False
        if (":" in value or value[-1].isdigit()) and canonical_ip(value) is not None:
            # an address: what the IP observer answers, so its memo is shared (clients connect to answers)
            clean_ips = self._memos[obs.IP]
            if value in clean_ips:
                return False
            if self._ip(field, value, None, fields, found):
                return True
            clean_ips.remember(value)
            return False
        return self._name(field, value, None, fields, found)

    def _http_url(self, field: str, value: str, port_field: PortField, fields: Fields, found: Found) -> bool:
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
                self._url_hosts.remember(given)  # no relative uri on this host can match
                return False
            canonical: str | None = host + value.split("#", 1)[0]
        else:
            canonical, observed = canonical_url(value), value
        return canonical is not None and self._url(field, canonical, observed, fields, found)

    def _url(self, field: str, canonical: str, observed: str, fields: Fields, found: Found) -> bool:
        any_rows = self._lookup(canonical, _URL_KINDS, field, observed, None, fields, found)
        if "?" in canonical:
            any_rows |= self._lookup(canonical.split("?", 1)[0], _URL_KINDS, field, observed, None, fields,
                                     found)
        return any_rows

    def _url_text(self, field: str, value: str, port_field: PortField, fields: Fields, found: Found) -> bool:
        canonical = canonical_url(value)
        return canonical is not None and self._url(field, canonical, value, fields, found)

    def _subject(self, field: str, value: str, port_field: PortField, fields: Fields, found: Found) -> bool:
        any_rows = False
        for part in value.replace("\\,", "\0").split(","):
            key, _, name = part.strip().partition("=")
            if key.upper() == "CN" and name:
                any_rows |= self._name(field, name.replace("\0", ","), None, fields, found)
        return any_rows

    def _file_hash(self, field: str, value: str, port_field: PortField, fields: Fields, found: Found) -> bool:
        text = value.lower()
        kinds = _FILE_HASH_KINDS.get(len(text))
        return kinds is not None and self._lookup(text, kinds, field, value, None, fields, found)

    def _cert_hash(self, field: str, value: str, port_field: PortField, fields: Fields, found: Found) -> bool:
        text = value.lower().replace(":", "")
        kinds = _CERT_HASH_KINDS.get(len(text))
        return kinds is not None and self._lookup(text, kinds, field, value, None, fields, found)

    def _email(self, field: str, value: str, port_field: PortField, fields: Fields, found: Found) -> bool:
        address = canonical_email(value)
        return address is not None and self._lookup(address, _EMAIL_KINDS, field, value, None, fields, found)

    def _simple(self, observer: str) -> Observer:
        kinds, lower = _SIMPLE[observer]

        def observe(field: str, value: str, port_field: PortField, fields: Fields, found: Found) -> bool:
            text = value.strip()
            return self._lookup(text.lower() if lower else text, kinds, field, value, None, fields, found)

        return observe

    def _intel_seen(
        self, field: str, value: str, port_field: PortField, fields: Fields, found: Found,
    ) -> bool:
        observer = _INTEL_TYPES.get(str(fields.get(_INTEL_TYPE_FIELD, "")))
        return observer is not None and self._observers[observer](field, value, None, fields, found)
