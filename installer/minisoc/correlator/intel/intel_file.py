"""One local intel file of any supported format, read by content, and its IntelSource.

Formats: MISP event JSON (any shape), Zeek intel files, freetext / CSV value lists.
"""

from __future__ import annotations

from itertools import chain
from pathlib import Path

import msgspec

from minisoc.correlator.intel import zeek_bulk
from minisoc.correlator.intel.convert import LoadCounts
from minisoc.correlator.intel.fetch import DEFAULT_MAX_BYTES, read_file_bytes, read_file_chunks
from minisoc.correlator.intel.misp_event import (
    add_event_rows,
    decode_event_document,
    document_indicators,
    event_indicators,
    looks_like_misp,
    misp_base_reference,
)
from minisoc.correlator.intel.value_list import parse_value_list
from minisoc.correlator.intel.value_list_bulk import add_value_list_rows
from minisoc.correlator.intel.zeek_intel import is_zeek_intel, parse_zeek_intel
from minisoc.correlator.matching.columns import IndicatorColumns
from minisoc.correlator.model import Indicator
from minisoc.correlator.typing import IntelUpdate
from minisoc.errors import IntelError

_HINT = ("give a MISP event/feed JSON, a Zeek intel file (#fields indicator indicator_type ...), one value"
         " per line, or a CSV whose header names its value column (value, indicator, ioc, url, dst_ip, ...)")


def parse_intel_bytes(data: bytes, where: str, source: str, counts: LoadCounts,
                      misp_base_url: str | None = None) -> list[Indicator]:
    """Indicators of one intel document, its format recognised from its content."""
    stripped = data.lstrip()
    if stripped[:1] in (b"{", b"["):
        events = decode_event_document(data)
        if events is not None:
            found: list[Indicator] = []
            for event in events:
                reference = misp_base_reference(misp_base_url, event.uuid)
                found.extend(event_indicators(event, source, counts, reference))
            return found
        try:
            document = msgspec.json.decode(data)
        except (msgspec.DecodeError, RecursionError) as error:  # RecursionError: nested too deeply
            raise IntelError(f"{where}: looks like JSON but does not parse ({error})", _HINT) from None
        if not looks_like_misp(document):
            raise IntelError(f"{where}: JSON, but not a MISP event, event list or search reply", _HINT)
        return document_indicators(document, source, counts, misp_base_url)
    text = data.decode("utf-8", errors="replace")
    if is_zeek_intel(text):
        return parse_zeek_intel(text, source, counts)
    before = counts.invalid.get("freetext", 0)
    listed = parse_value_list(text, source, counts)
    if not listed and counts.invalid.get("freetext", 0) > before:
        raise IntelError(f"{where}: no indicator recognised in this file", _HINT)
    return listed


def add_intel_file_rows(path: Path, counts: LoadCounts, columns: IndicatorColumns,
                        max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """`columns.extend(read_intel_file(path, counts))` without an Indicator per value for MISP event JSON
    and Zeek intel files (the bulk path of `minisoc hunt`: the same rows, contexts and counts)."""
    source = path.name
    chunks = read_file_chunks(path, zeek_bulk.BLOCK_BYTES, max_bytes)
    head = next(chunks, b"")
    if head.lstrip()[:1] not in (b"{", b"[") and is_zeek_intel(_head_text(head)):
        zeek_bulk.add_zeek_intel_rows(chain([head], chunks), source, counts, columns)  # never whole in memory
        return
    data = b"".join(chain([head], chunks))
    del head
    if data.lstrip()[:1] in (b"{", b"["):
        events = decode_event_document(data)
        if events is not None:
            for event in events:
                add_event_rows(event, source, counts, columns, misp_base_reference(None, event.uuid))
                columns.compact()
            return
        columns.extend(parse_intel_bytes(data, str(path), source, counts))
        return
    if is_zeek_intel(data.decode("utf-8", errors="replace")):  # its first 20 lines span more than a block
        zeek_bulk.add_zeek_intel_rows([data], source, counts, columns)
        return
    before, size = counts.invalid.get("freetext", 0), len(columns)
    add_value_list_rows(data.decode("utf-8", errors="replace"), source, counts, columns)
    if len(columns) == size and counts.invalid.get("freetext", 0) > before:
        raise IntelError(f"{path}: no indicator recognised in this file", _HINT)


def _head_text(head: bytes) -> str:
    """The first block of a file, decoded, for `is_zeek_intel` (which reads the first 20 lines): without
    20 whole lines in it, empty (the caller then reads the whole file)."""
    return head.decode("utf-8", errors="replace") if head.count(b"\n") > 20 else ""


def read_intel_file(path: Path, counts: LoadCounts, source: str | None = None,
                    max_bytes: int = DEFAULT_MAX_BYTES) -> list[Indicator]:
    return parse_intel_bytes(read_file_bytes(path, max_bytes), str(path), source or path.name, counts)


class IntelFileSource:
    """A local intel file as an IntelSource: re-read whole (complete update) when it changes."""

    def __init__(self, path: Path, name: str | None = None) -> None:
        self.path = path
        self.name = name or path.name
        self.last_counts = LoadCounts()
        self._seen: tuple[int, int] | None = None

    def sync(self) -> IntelUpdate:
        try:
            stat = self.path.stat()
        except OSError as error:
            raise IntelError(f"{self.path}: cannot read ({error.strerror or error})",
                             "check the intel file path in the correlator configuration") from None
        signature = (stat.st_mtime_ns, stat.st_size)
        if signature == self._seen:
            return IntelUpdate(source=self.name, added=[])
        counts = LoadCounts()
        indicators = read_intel_file(self.path, counts, self.name)
        self._seen, self.last_counts = signature, counts
        return IntelUpdate(source=self.name, added=indicators, complete=True)
