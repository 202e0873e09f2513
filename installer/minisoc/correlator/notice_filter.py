"""Zeek notice types a site chooses not to be alerted on (`correlator.ignore_notices` in the profile,
`minisoc hunt --ignore-notice`): `SSL::Invalid_Server_Cert` alone is hundreds of alerts on a busy campus.

An ignored notice is an ordinary record: it still alerts when minisoc's indicators match it (an alert then
names the indicator), only the notice-as-a-finding alert is dropped. A pattern is a notice type
(`Module::Name`) or a whole module (`SSL::*`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from minisoc.correlator.model import Alert

__all__ = ["NOTICE_PATTERN", "drop_ignored_notices", "notice_ignored"]

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
NOTICE_PATTERN = re.compile(rf"^{_NAME}(::{_NAME})*::(\*|{_NAME})$")
_NOTICE_RULESET = "zeek-notice"


def notice_ignored(note: str, patterns: Iterable[str]) -> bool:
    """`note` is one of `patterns` or in one's module (`SSL::*` covers `SSL::Invalid_Server_Cert`)."""
    return any(note == p or (p.endswith("::*") and note.startswith(p[:-1])) for p in patterns)


def drop_ignored_notices(alerts: Iterable[Alert], patterns: Sequence[str]) -> tuple[list[Alert], int]:
    """(the alerts without the ignored notices' own alerts, how many were dropped). A notice alert that an
    indicator matched (it has enrichments) is kept."""
    if not patterns:
        return list(alerts), 0
    kept: list[Alert] = []
    dropped = 0
    for alert in alerts:
        rule = alert.doc.get("rule") or {}
        if (rule.get("ruleset") == _NOTICE_RULESET and not (alert.doc.get("threat") or {}).get("enrichments")
                and notice_ignored(str(rule.get("name", "")), patterns)):
            dropped += 1
        else:
            kept.append(alert)
    return kept, dropped
