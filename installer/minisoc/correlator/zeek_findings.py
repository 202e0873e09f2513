"""Zeek's own findings: intel.log (Zeek's Intel framework matched) and notice.log (a Zeek policy fired).

Every record of these two log types becomes (part of) an alert, whether or not minisoc's own indicators match
it: Zeek may see what minisoc does not (a location minisoc does not observe, intel loaded into Zeek from
elsewhere, a notice such as `SSH::Password_Guessing` that no indicator names). Field names as Zeek 8 logs
them (`Intel::Info`: `seen.indicator`, `seen.indicator_type`, `seen.where`, `seen.node`, `matched`, `sources`,
`uid`, `fuid`; `Notice::Info`: `note`, `msg`, `sub`, `src`, `dst`, `p`, `n`, `uid`, `id.*`). See
docs/alerts.md.
"""

from __future__ import annotations

from typing import Any

from minisoc.correlator.intel.misp_types import MISP_TYPE_PARTS, zeek_type_to_misp
from minisoc.correlator.model import KIND_IP, Indicator, Match
from minisoc.correlator.threat_indicator import indicator_doc, indicator_id

INTEL_LOG = "intel"
NOTICE_LOG = "notice"
FINDING_LOG_TYPES = frozenset({INTEL_LOG, NOTICE_LOG})
ZEEK_INTEL_MATCH = "zeek_intel"  # matched.type of an enrichment only Zeek's intel.log gives
ZEEK_PROVIDER = "zeek"  # provider of such an enrichment when Zeek names no source
_SEEN = "seen.indicator"


class ZeekFinding(list[Match]):
    """minisoc's matches on an intel.log or notice.log record: a finding even when empty (truthy)."""

    def __bool__(self) -> bool:
        return True


def _text(value: Any) -> str | None:
    if isinstance(value, list | tuple):
        value = ",".join(str(item) for item in value if item not in (None, "", "-")) or None
    return value if isinstance(value, str) and value not in ("", "-") else None


def _sources(fields: dict[str, Any]) -> list[str]:
    value = fields.get("sources")
    items = value if isinstance(value, list | tuple) else [value]
    return sorted({item for item in items if isinstance(item, str) and item not in ("", "-")})


def intel_corroboration(fields: dict[str, Any]) -> dict[str, Any] | None:
    """`zeek.intel[]` entry of an intel.log record: what Zeek matched, where, from which sources."""
    indicator = _text(fields.get(_SEEN))
    if indicator is None:
        return None
    entry: dict[str, Any] = {"indicator": indicator, "sources": _sources(fields)}
    named = (("seen.indicator_type", "indicator_type"), ("seen.where", "where"), ("seen.node", "node"))
    for name, key in named:
        value = _text(fields.get(name))
        if value is not None:
            entry[key] = value
    return entry


def corroboration_key(entry: dict[str, Any]) -> tuple[str, ...]:
    """Two `zeek.intel` entries are the same when indicator, type, where and sources are."""
    return (str(entry.get("indicator")), str(entry.get("indicator_type")), str(entry.get("where")),
            ",".join(entry.get("sources") or ()))


def zeek_intel_enrichment(fields: dict[str, Any], occurred: str) -> dict[str, Any] | None:
    """The enrichment of an intel.log match that minisoc's own indicators do not name: the indicator as
    Zeek logged it (provider: Zeek's `sources`), `matched.type` `zeek_intel`."""
    entry = intel_corroboration(fields)
    if entry is None:
        return None
    value = entry["indicator"]
    misp_type = zeek_type_to_misp(str(entry.get("indicator_type", "")), value) or "other"
    kind = (MISP_TYPE_PARTS.get(misp_type) or (None,))[0] or misp_type
    provider = ",".join(entry["sources"]) or ZEEK_PROVIDER
    indicator = Indicator(value=value, kind=KIND_IP if misp_type == "ip-dst" else kind, type=misp_type,
                          source=provider)
    matched = {"atomic": value, "field": _SEEN, "id": indicator_id(indicator), "occurred": occurred,
               "type": ZEEK_INTEL_MATCH}
    return {"indicator": indicator_doc(indicator), "matched": matched}


def notice_fields(fields: dict[str, Any]) -> tuple[dict[str, Any], str | None, dict[str, Any]]:
    """(ECS `rule`, `message`, `zeek.notice`) of a notice.log record: `rule.name` is the notice type
    (`SSH::Password_Guessing`), `rule.category` its module (`SSH`), `message` Zeek's `msg`."""
    note = _text(fields.get("note")) or "unknown"
    rule: dict[str, Any] = {"name": note, "ruleset": "zeek-notice"}
    if "::" in note:
        rule["category"] = note.split("::", 1)[0]
    notice: dict[str, Any] = {"note": note}
    sub = _text(fields.get("sub"))
    if sub is not None:
        notice["sub"] = sub
    count = fields.get("n")
    if isinstance(count, int) and not isinstance(count, bool):
        notice["n"] = count
    return rule, _text(fields.get("msg")), notice
