"""Zeek intel export: the current indicator set as a Zeek Intel framework file, replaced atomically.

Zeek's intel framework (`Intel::read_files`, re-read on change) then matches in the sensor itself; each line
carries meta.source (the provider), meta.desc (the MISP event info or comment) and meta.url (back to the
MISP event). Kinds Zeek cannot express (JA3/JA4, CIDR-with-port, user agents...) are counted, not written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from minisoc.correlator import model
from minisoc.correlator.model import Indicator
from minisoc.durable import write_atomic

HEADER = "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url\n"
ZEEK_TYPE_BY_KIND = {
    model.KIND_IP: "Intel::ADDR",
    model.KIND_CIDR: "Intel::SUBNET",
    model.KIND_DOMAIN: "Intel::DOMAIN",
    model.KIND_HOSTNAME: "Intel::DOMAIN",
    model.KIND_URL: "Intel::URL",
    model.KIND_MD5: "Intel::FILE_HASH",
    model.KIND_SHA1: "Intel::FILE_HASH",
    model.KIND_SHA256: "Intel::FILE_HASH",
    model.KIND_X509_SHA1: "Intel::CERT_HASH",
    model.KIND_EMAIL: "Intel::EMAIL",
    model.KIND_FILENAME: "Intel::FILE_NAME",
    model.KIND_USER_AGENT: "Intel::SOFTWARE",
}


@dataclass
class ExportResult:
    written: int = 0
    skipped_by_kind: dict[str, int] = field(default_factory=dict)


def _cell(text: str | None) -> str:
    """A Zeek intel column: no tabs or newlines, `-` for unset, `(empty)` never produced."""
    if not text:
        return "-"
    cleaned = " ".join(text.replace("\t", " ").split())
    return cleaned or "-"


def render_zeek_intel(indicators: Iterable[Indicator]) -> tuple[str, ExportResult]:
    """The file text (sorted; one line per (value, Zeek type), first provider wins) and what was left out."""
    result = ExportResult()
    lines: dict[tuple[str, str], str] = {}
    for indicator in sorted(indicators, key=lambda i: (i.value, i.kind, i.source, i.attribute_uuid or "")):
        zeek_type = ZEEK_TYPE_BY_KIND.get(indicator.kind)
        if (
            zeek_type is None
            or indicator.port is not None
            or "\t" in indicator.value
            or "\n" in indicator.value
        ):
            result.skipped_by_kind[indicator.kind] = result.skipped_by_kind.get(indicator.kind, 0) + 1
            continue
        key = (indicator.value, zeek_type)
        if key in lines:
            continue
        description = indicator.event_info or indicator.comment
        lines[key] = "\t".join(
            (
                indicator.value,
                zeek_type,
                _cell(indicator.source),
                _cell(description),
                _cell(indicator.reference),
            )
        )
    result.written = len(lines)
    return HEADER + "".join(line + "\n" for line in lines.values()), result


def export_zeek_intel(indicators: Iterable[Indicator], path: Path) -> ExportResult:
    """Write the Zeek intel file at `path` atomically (readers see the old file or the new, never a mix)."""
    text, result = render_zeek_intel(indicators)
    write_atomic(path, text.encode("utf-8"), mode=0o644)
    return result
