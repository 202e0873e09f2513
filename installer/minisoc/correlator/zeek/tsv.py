"""Zeek TSV logs: the `#` header state machine and the data-line parser it configures.

Headers (`#separator`, `#set_separator`, `#empty_field`, `#unset_field`, `#path`, `#fields`, `#types`)
may appear anywhere (concatenated logs); each one reconfigures what follows. `#open`, `#close` and unknown
`#` lines are ignored. Data lines become flat dicts keyed by the `#fields` names: unset (`-`) columns are
left out, empty (`(empty)`) ones become `[]` for sets/vectors and `""` for strings; typed
columns are converted.
"""

from __future__ import annotations

from typing import Any

from minisoc.correlator.model import LogRecord
from minisoc.correlator.zeek.malformed import (
    REASON_BAD_HEADER,
    REASON_BAD_VALUE,
    REASON_COLUMN_COUNT,
    REASON_NO_HEADER,
    MalformedLine,
)
from minisoc.correlator.zeek.scopes import dotted_names
from minisoc.correlator.zeek.tsvvalues import (
    Converter,
    container_converter,
    is_container,
    scalar_converter,
    unescape,
)

_SEPARATOR_HEADER = b"#separator"
# `#separator` values other tools write for a tab (Zeek writes `\x09`; a C escape is as common elsewhere)
_SEPARATOR_SPELLINGS = {"\\t": "\t"}
_DETAIL_LIMIT = 200


class TsvParser:
    """Parses one TSV stream: feed header lines to `header`, data lines to `parse`."""

    def __init__(self, log_type_hint: str | None) -> None:
        self.log_type = log_type_hint or "unknown"
        self.separator = "\t"
        self.set_separator = ","
        self.empty_field = "(empty)"
        self.unset_field = "-"
        self.names: tuple[str, ...] | None = None
        self.types: tuple[str, ...] | None = None
        self._string_names: frozenset[str] = frozenset()
        self._container_names: frozenset[str] = frozenset()
        self._converters: tuple[tuple[str, Converter], ...] = ()

    # -- header state machine -------------------------------------------------------------------------------

    def header(self, line: bytes) -> None:
        """Apply one `#...` line; raises MalformedLine(bad_header) for a header it cannot use."""
        text = line.decode("utf-8", "backslashreplace")
        if line.startswith(_SEPARATOR_HEADER):
            value = text[len("#separator") + 1 :]  # one space (or, seen in the wild, one tab) then the value
            separator = _SEPARATOR_SPELLINGS.get(value) or unescape(value)
            if not separator:
                raise MalformedLine(REASON_BAD_HEADER, "#separator without a value")
            self.separator = separator
            return
        key, _, rest = text.partition(self.separator)
        values = rest.split(self.separator)
        if key == "#set_separator":
            self.set_separator = unescape(values[0]) or ","
        elif key == "#empty_field":
            self.empty_field = values[0]
        elif key == "#unset_field":
            self.unset_field = values[0]
        elif key == "#path":
            if values[0]:
                self.log_type = values[0]
        elif key == "#fields":
            self.names = dotted_names(tuple(values))  # `id_orig_h` (scope separator `_`): `id.orig_h`
            self.types = None
        elif key == "#types":
            if self.names is None or len(values) != len(self.names):
                self.types = None
                self._plan()
                raise MalformedLine(REASON_BAD_HEADER, "#types does not match #fields; columns kept as text")
            self.types = tuple(values)
        else:
            return  # #open, #close, comments
        self._plan()

    def _plan(self) -> None:
        """Precompute, once per header, what each column needs so that `parse` does as little as possible."""
        names = self.names or ()
        types = self.types or ("string",) * len(names)
        containers: list[str] = []
        strings: list[str] = []
        converters: list[tuple[str, Converter]] = []
        for name, zeek_type in zip(names, types, strict=True):
            if is_container(zeek_type):
                containers.append(name)
                convert = container_converter(zeek_type, self.set_separator, self.unset_field)
                converters.append((name, convert))
                continue
            converter = scalar_converter(zeek_type)
            if converter is None:
                strings.append(name)
            else:
                converters.append((name, converter))
        self._string_names = frozenset(strings)
        self._container_names = frozenset(containers)
        self._converters = tuple(converters)

    # -- data lines -----------------------------------------------------------------------------------------

    def parse(self, line: bytes, path: str | None = None, offset: int | None = None) -> LogRecord:
        """One data line as a LogRecord; raises MalformedLine."""
        names = self.names
        if names is None:
            raise MalformedLine(REASON_NO_HEADER, "TSV data line before any #fields header")
        text = line.decode("utf-8", "backslashreplace")
        columns = text.split(self.separator)
        if len(columns) != len(names):
            raise MalformedLine(REASON_COLUMN_COUNT, f"{len(columns)} columns, #fields has {len(names)}")
        fields: dict[str, Any] = dict(zip(names, columns, strict=True))
        if self.unset_field in columns:
            unset = self.unset_field
            for name, column in zip(names, columns, strict=True):
                if column == unset:
                    del fields[name]
        if self.empty_field in columns:
            empty = self.empty_field
            for name, column in zip(names, columns, strict=True):
                if column == empty:
                    fields[name] = [] if name in self._container_names else ""
        if "\\" in text:
            strings = self._string_names
            for name, column in zip(names, columns, strict=True):
                if name in strings and "\\" in column:
                    fields[name] = unescape(column)
        for name, convert in self._converters:
            value = fields.get(name)
            if value.__class__ is str:
                try:
                    fields[name] = convert(value)
                except (ValueError, OverflowError) as exc:
                    raise MalformedLine(REASON_BAD_VALUE, f"{name}: {exc}"[:_DETAIL_LIMIT]) from None
        ts = fields.get("ts")
        return LogRecord(self.log_type, fields, line, path, offset, ts if ts.__class__ is float else None)
