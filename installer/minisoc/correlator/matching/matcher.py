"""The pure matcher: a LogRecord in, the Matches of its observables against an IndicatorIndex out.

No I/O; the same record always gives the same matches. The only state besides the read-only index is a
bounded memo, per kind of observation, of the observed values known to hit nothing (logs repeat addresses,
names, user agents and certificates a lot): it changes speed, never results.

Two ways in: `match_fields(log_type, fields)` over a record's dict, and `screen_for(log_type)` for a hunt
over JSON lines: a decoder that builds only the fields matching reads (matching.observed), and a match over
that Struct which first checks, in code generated from the log type's spec (matching.clean_check), whether
every value is absent or known clean. Both end in the same observers (matching.observers), so they give the
same matches.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import msgspec

from minisoc.correlator.matching import observables as obs
from minisoc.correlator.matching.clean_check import ObservedMatch, compile_observed_match
from minisoc.correlator.matching.index import IndicatorIndex
from minisoc.correlator.matching.observed import ObservedFields, attribute_name, observed_type
from minisoc.correlator.matching.observers import Fields, Found, Observers, SpecEntry
from minisoc.correlator.model import LogRecord, Match
from minisoc.correlator.typing import ScreenPlan


class _Plan(NamedTuple):
    """A log type's matching, compiled once per Matcher."""

    entries: tuple[SpecEntry, ...]  # its observables, then the connection's addresses (obs.spec_for)
    names: tuple[str, ...]  # the field of each entry
    screen: ScreenPlan  # JSON lines -> Structs of the fields matching reads -> their matches
    check_fields: Callable[[Fields], Found]  # the screen's check over a record's dict


class Matcher:
    """`match(record)` -> every (indicator, field, observed value) the record's observables hit."""

    def __init__(self, index: IndicatorIndex) -> None:
        self.index = index
        self._observers = Observers(index)
        self._plans: dict[str, _Plan] = {}

    def _plan(self, log_type: str) -> _Plan:
        """Compile and keep how to match a log type (callers look in `_plans` first): its observables, then
        the connection's addresses, and their readers."""
        spec = obs.spec_for(log_type)
        observers = self._observers
        entries = tuple(
            SpecEntry(field, observers.by_name[observer], port, field in obs.SET_FIELDS,
                      observers.memos.get(observer))
            for field, observer, port in spec)
        names = tuple(entry.field for entry in entries)
        read = operator.attrgetter(*(attribute_name(name) for name in names))

        def full(observed: ObservedFields) -> Found:
            return self._match_values(entries, read(observed), observed)

        decoder = msgspec.json.Decoder(observed_type(log_type))
        def full_fields(fields: Fields) -> Found:
            return self._match_values(entries, map(fields.get, names), fields)

        observer_names = tuple(observer for _, observer, _ in spec)
        check: ObservedMatch = compile_observed_match(entries, observer_names, full, observers.url_hosts)
        check_fields = compile_observed_match(entries, observer_names, full_fields, observers.url_hosts,
                                              from_dict=True)
        plan = self._plans[log_type] = _Plan(
            entries, names, ScreenPlan(decoder.decode, decoder.decode_lines, check), check_fields)
        return plan

    def match(self, record: LogRecord) -> list[Match]:
        return self.match_fields(record.log_type, record.fields)

    def match_fields(self, log_type: str, fields: Fields) -> list[Match]:
        """Matches of every observable of `spec_for(log_type)`, in that order; `fields` is only read."""
        plan = self._plans.get(log_type) or self._plan(log_type)
        return self._match_values(plan.entries, map(fields.get, plan.names), fields)

    def screen_for(self, log_type: str) -> ScreenPlan:
        """(decode, decode_lines, check) for JSON lines of `log_type` (a zeek.scan Screen):
        `check(decode(line))` == `match_fields` of the line's dict, for any line both decode (see
        matching.observed for the one difference, invalid UTF-8)."""
        plan = self._plans.get(log_type) or self._plan(log_type)
        return plan.screen

    def screen_fields(self, log_type: str) -> Callable[[Fields], Found]:
        """The screen's check over a record's dict: `match_fields(log_type, fields)`, answered [] without a
        call when every value is absent or known clean (generated code: ~5x cheaper than the loop)."""
        plan = self._plans.get(log_type) or self._plan(log_type)
        return plan.check_fields

    def _match_values(self, entries: tuple[SpecEntry, ...], values: Iterable[Any], fields: Fields,
                      ) -> list[Match]:
        found: Found = []
        for entry, raw in zip(entries, values, strict=True):
            if raw is None:
                continue
            memo = entry.memo
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

    @staticmethod
    def _observe(entry: SpecEntry, raw: Any, fields: Fields, found: Found) -> None:
        """Observe one field's value (text, `a,b` text of a TSV set, or a list); remember the clean ones."""
        values: Iterable[Any]
        if raw.__class__ is str:
            if not raw or raw == "-" or raw == "(empty)":
                return
            values = raw.split(",") if entry.is_set and "," in raw else (raw,)
        elif isinstance(raw, list | tuple):
            values = raw
        else:
            return
        observe, memo = entry.observe, entry.memo
        for value in values:
            if value.__class__ is not str or not value or (memo is not None and value in memo):
                continue
            if not observe(value, entry, fields, found) and memo is not None:
                memo.remember(value)
