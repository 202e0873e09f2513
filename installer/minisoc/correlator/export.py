"""Zeek intel export: the current indicator set as a Zeek Intel framework file, replaced atomically.

Zeek's intel framework (`Intel::read_files`, re-read on change) then matches in the sensor itself; each line
carries meta.source (the provider, or the meta.source of the Zeek intel line it came from), meta.desc (the
MISP event info or comment), meta.url (back to the MISP event) and meta.do_notice (kept from a Zeek intel
source). Kinds Zeek cannot express (JA3/JA4, CIDR-with-port...) are counted, not written.

Zeek only adds: a changed file is re-read and its items (re)inserted, but an item no longer in the file
stays until `Intel::item_expiration` (counted from its last insert) drops it. So the file is rewritten at
least every REFRESH_INTERVAL_S even when nothing changed (a new inode makes Zeek re-read it), and
local.zeek sets `Intel::item_expiration` to ZEEK_ITEM_EXPIRATION_S, more than twice that: a removed
indicator leaves Zeek within it, a kept one never lapses between two rewrites. The file is 0644: Zeek runs
as root without CAP_DAC_OVERRIDE and reads it as "other".

A budget (`max_items`, the profile's `sensor.zeek_intel.max_items`) bounds the items written: Zeek holds
~1.25 kB of memory per item in every Zeek process. Over budget, a policy picks which items stay (see
`ExportBudget`); the header says how many were left out and why. minisoc's own matcher still matches all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from minisoc.correlator import model
from minisoc.correlator.intel.zeek_intel import ZEEK_DO_NOTICE_TAG, ZEEK_SOURCE_TAG
from minisoc.correlator.model import Indicator
from minisoc.durable import write_atomic

REFRESH_INTERVAL_S = 3600  # the export is rewritten at least this often (Zeek's expiry clock restarts)
ZEEK_ITEM_EXPIRATION_S = 3 * REFRESH_INTERVAL_S  # > 2x the refresh: one late rewrite never drops live items
FILE_MODE = 0o644  # "other"-readable: the sensor's root has no CAP_DAC_OVERRIDE (cap_drop: ALL)
COMMENT = (
    "# Written by the minisoc correlator; replaced atomically, do not edit.\n"
    "# Intel::DOMAIN is an exact name in Zeek (evil.example does not match www.evil.example); minisoc's\n"
    "# domain indicators also match subdomains, so the correlator's alerts, not Zeek's intel.log, are\n"
    "# the authority. Items removed here leave Zeek only when Intel::item_expiration lapses.\n"
)
FIELDS = ("indicator", "indicator_type", "meta.source", "meta.desc", "meta.url", "meta.do_notice")
HEADER = COMMENT + "#fields\t" + "\t".join(FIELDS) + "\n"
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

BudgetPolicy = Literal["threat_level", "newest", "zeek_only_types"]
BUDGET_POLICIES: tuple[BudgetPolicy, ...] = ("threat_level", "newest", "zeek_only_types")
# Kinds where Zeek sees more than the logs minisoc matches: its intel `seen` scripts also look at HTTP
# Referer headers and URLs in mail bodies (Intel::URL) and SMB file names (Intel::FILE_NAME), none of which
# the matcher reads from a log. `zeek_only_types` spends the budget on these first.
ZEEK_SEES_MORE_KINDS = frozenset({model.KIND_URL, model.KIND_FILENAME})
UNDEFINED_THREAT_LEVEL = 4  # MISP threat_level_id: 1 high, 2 medium, 3 low, 4 undefined (and unset)


@dataclass(frozen=True)
class ExportBudget:
    """At most `max_items` lines; over that, `policy` decides which stay, ties broken by the next criteria:

    - threat_level: MISP's threat level, highest first, then newest, then value;
    - newest: the newest attribute timestamp first, then threat level, then value;
    - zeek_only_types: kinds Zeek sees more of than minisoc (ZEEK_SEES_MORE_KINDS) first, then threat_level.
    """

    max_items: int
    policy: BudgetPolicy = "threat_level"


@dataclass
class ExportResult:
    written: int = 0
    skipped_by_kind: dict[str, int] = field(default_factory=dict)
    left_out: int = 0  # exportable items the budget kept out of the file
    budget: ExportBudget | None = None


def _cell(text: str | None) -> str:
    """A Zeek intel column: no tabs or newlines, `-` for unset, `(empty)` never produced."""
    if not text:
        return "-"
    cleaned = " ".join(text.replace("\t", " ").split())
    return cleaned or "-"


def _meta_source(indicator: Indicator) -> str:
    """The Zeek intel line's own meta.source when the indicator came from one, else the provider.

    Never unset: meta.source is not &optional in Zeek, a `-` there makes its reader drop the line."""
    for tag in indicator.tags:
        if tag.startswith(ZEEK_SOURCE_TAG) and tag[len(ZEEK_SOURCE_TAG):].strip():
            return tag[len(ZEEK_SOURCE_TAG):]
    return indicator.source or "minisoc"


def _rank(indicator: Indicator, policy: BudgetPolicy) -> tuple[int, ...]:
    """Sort key of an indicator under `policy`: the smaller, the sooner it is kept."""
    level = indicator.threat_level if indicator.threat_level is not None else UNDEFINED_THREAT_LEVEL
    newest = -(indicator.timestamp or 0)
    if policy == "newest":
        return (newest, level)
    if policy == "zeek_only_types":
        return (0 if indicator.kind in ZEEK_SEES_MORE_KINDS else 1, level, newest)
    return (level, newest)


def _budget_comment(result: ExportResult) -> str:
    budget = result.budget
    if budget is None or not result.left_out:
        return ""
    return (
        f"# Budget: {result.written} of {result.written + result.left_out} items written, {result.left_out} "
        f"left out (sensor.zeek_intel.max_items={budget.max_items}, policy={budget.policy}); minisoc's own\n"
        "# matcher still matches every indicator.\n"
    )


def render_zeek_intel(
    indicators: Iterable[Indicator], budget: ExportBudget | None = None
) -> tuple[str, ExportResult]:
    """The file text (sorted; one line per (value, Zeek type), first provider wins) and what was left out."""
    result = ExportResult(budget=budget)
    lines: dict[tuple[str, str], str] = {}
    ranks: dict[tuple[str, str], tuple[int, ...]] = {}
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
        if budget is not None:
            rank = _rank(indicator, budget.policy)
            ranks[key] = min(rank, ranks.get(key, rank))  # a line stays as well as its best indicator would
        if key in lines:
            continue
        description = indicator.event_info or indicator.comment
        lines[key] = "\t".join(
            (
                indicator.value,
                zeek_type,
                _cell(_meta_source(indicator)),
                _cell(description),
                _cell(indicator.reference),
                "T" if ZEEK_DO_NOTICE_TAG in indicator.tags else "F",  # a bool column: never unset
            )
        )
    if budget is not None and len(lines) > budget.max_items:
        kept = set(sorted(lines, key=lambda key: (ranks[key], key))[: budget.max_items])
        result.left_out = len(lines) - len(kept)
        lines = {key: line for key, line in lines.items() if key in kept}
    result.written = len(lines)
    header = COMMENT + _budget_comment(result) + "#fields\t" + "\t".join(FIELDS) + "\n"
    return header + "".join(line + "\n" for line in lines.values()), result


def export_zeek_intel(
    indicators: Iterable[Indicator], path: Path, budget: ExportBudget | None = None
) -> ExportResult:
    """Write the Zeek intel file at `path` atomically (readers see the old file or the new, never a mix)."""
    text, result = render_zeek_intel(indicators, budget)
    write_atomic(path, text.encode("utf-8"), mode=FILE_MODE)
    return result
