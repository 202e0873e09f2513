"""How the observables of stored log records are searchable: the one table the log index template and the
pushed-down retro-hunt (service.retro_query) both read, so the two cannot drift.

Which field holds which observable comes from the matcher's own table (matching.observables: PER_LOG_TYPE and
CONNECTION); this module says how each kind of observable is indexed so that a `terms` query on it finds
every record the matcher could match (a superset: the matcher then decides on the record itself):

- addresses: fields typed `ip` (opensearch_templates.ZEEK_IP_FIELDS) take addresses and CIDRs in `terms`;
- names (DNS query, TLS SNI, HTTP Host, DNS answers, ...): a `names` subfield holds the name lower-cased,
  without trailing dots, `:port` or brackets, and every parent (`a.b.evil.example` -> `b.evil.example`,
  `evil.example`, `example`: the `path_hierarchy` tokenizer, reversed), so a `domain` indicator is one term;
- X.509 subjects: a `cn` subfield holds every CN, lower-cased and reversed (`moc.live.www`), so a domain's
  parents are a `prefix` on its reversed name;
- e-mail fields: an `emails` subfield holds the addresses in the text (`Name <a@b>`), lower-cased;
- hashes and fingerprints: a normalizer lower-cases and drops colons; JA3/JA3S: lower-cased; JA4, user
  agents and file names: trimmed (the matcher strips them).
"""

from __future__ import annotations

from typing import Any, Final

from minisoc.correlator.matching import observables as obs

NAMES: Final = "names"  # subfield: the name and its parents
CN: Final = "cn"  # subfield: the subject's CNs, reversed
EMAILS: Final = "emails"  # subfield: the e-mail addresses in the text
HEX_NORMALIZER: Final = "minisoc_hex"
LOWER_NORMALIZER: Final = "minisoc_lower"
TRIM_NORMALIZER: Final = "minisoc_trim"

# observer -> the subfield its values are searched in (absent: the field itself)
SUBFIELD: dict[str, str] = {
    obs.NAME: NAMES, obs.HOST_HEADER: NAMES, obs.DNS_ANSWER: NAMES, obs.SUBJECT: CN, obs.EMAIL: EMAILS,
}
# observer -> the normalizer of the field itself (what the matcher does to a value before its lookup)
NORMALIZER: dict[str, str] = {
    obs.FILE_HASH: HEX_NORMALIZER, obs.CERT_HASH: HEX_NORMALIZER, obs.JA3: LOWER_NORMALIZER,
    obs.JA3S: LOWER_NORMALIZER, obs.JA4: TRIM_NORMALIZER, obs.USER_AGENT: TRIM_NORMALIZER,
    obs.FILENAME: TRIM_NORMALIZER,
}
_SUBFIELD_ANALYZER = {NAMES: "minisoc_names", CN: "minisoc_cn", EMAILS: "minisoc_emails"}

ANALYSIS: dict[str, Any] = {
    "char_filter": {
        # `[v6]:port` -> `v6`; `host:port` (one colon, as the matcher's Host header rule) -> `host`
        "minisoc_no_brackets": {"type": "pattern_replace", "pattern": r"^\[([^\]]*)\](:.*)?$",
                                "replacement": "$1"},
        "minisoc_no_port": {"type": "pattern_replace", "pattern": r"^([^:]*):[^:]*$", "replacement": "$1"},
        "minisoc_no_trailing_dots": {"type": "pattern_replace", "pattern": r"\.+$", "replacement": ""},
        "minisoc_no_colons": {"type": "pattern_replace", "pattern": ":", "replacement": ""},
    },
    "tokenizer": {
        "minisoc_parents": {"type": "path_hierarchy", "delimiter": ".", "reverse": True},
        # every CN of an RFC 4514 subject (escaped commas kept), as the matcher's subject observer reads them
        "minisoc_subject_cns": {"type": "pattern", "pattern": r"(?i)(?:^|,)\s*CN=((?:[^,\\]|\\.)*)",
                                "group": 1},
        # every `local@domain` in the text (not uax_url_email: it knows only the TLDs of its list)
        "minisoc_addresses": {"type": "pattern", "pattern": r"[^\s<>\"',;()\[\]]+@[^\s<>\"',;()\[\]]+",
                              "group": 0},
    },
    "filter": {
        "minisoc_unescape_commas": {"type": "pattern_replace", "pattern": r"\\,", "replacement": ","},
        "minisoc_no_trailing_dots": {"type": "pattern_replace", "pattern": r"\.+$", "replacement": ""},
    },
    "analyzer": {
        "minisoc_names": {
            "type": "custom",
            "char_filter": ["minisoc_no_brackets", "minisoc_no_port", "minisoc_no_trailing_dots"],
            "tokenizer": "minisoc_parents",
            "filter": ["lowercase"],
        },
        "minisoc_cn": {
            "type": "custom",
            "tokenizer": "minisoc_subject_cns",
            "filter": ["trim", "minisoc_unescape_commas", "lowercase", "minisoc_no_trailing_dots", "reverse"],
        },
        "minisoc_emails": {"type": "custom", "tokenizer": "minisoc_addresses", "filter": ["lowercase"]},
    },
    "normalizer": {
        HEX_NORMALIZER: {"type": "custom", "char_filter": ["minisoc_no_colons"],
                         "filter": ["lowercase", "trim"]},
        LOWER_NORMALIZER: {"type": "custom", "filter": ["lowercase", "trim"]},
        TRIM_NORMALIZER: {"type": "custom", "filter": ["trim"]},
    },
}


def observers_by_field() -> dict[str, set[str]]:
    """Every field some log type's observables name, with the observers reading it (across log types)."""
    fields: dict[str, set[str]] = {}
    for spec in (*obs.PER_LOG_TYPE.values(), obs.CONNECTION):
        for field, observer, _port in spec:
            fields.setdefault(field, set()).add(observer)
    return fields


def string_field_mapping(observers: set[str], keyword: dict[str, Any]) -> dict[str, Any] | None:
    """The keyword mapping of a string field read by `observers`: its normalizer and subfields; None when
    a plain keyword will do."""
    normalizers = {NORMALIZER[name] for name in observers if name in NORMALIZER}
    subfields = sorted({SUBFIELD[name] for name in observers if name in SUBFIELD})
    if not normalizers and not subfields:
        return None
    if len(normalizers) > 1:
        raise ValueError(f"observers {sorted(observers)} want different normalizers {sorted(normalizers)}")
    mapping = dict(keyword)
    if normalizers:
        mapping["normalizer"] = normalizers.pop()
    if subfields:
        mapping["fields"] = {name: {"type": "text", "analyzer": _SUBFIELD_ANALYZER[name], "norms": False,
                                    "index_options": "docs"} for name in subfields}
    return mapping


def observable_string_templates(keyword: dict[str, Any], typed: set[str]) -> list[dict[str, Any]]:
    """Dynamic templates (by dotted path, strings only) for the observable fields not in `typed` (the
    fields an earlier template types, e.g. as `ip`)."""
    templates: list[dict[str, Any]] = []
    for field, observers in sorted(observers_by_field().items()):
        mapping = string_field_mapping(observers, keyword)
        if mapping is None or field in typed:
            continue
        templates.append({f"zeek_observable_{field}": {"path_match": field, "match_mapping_type": "string",
                                                       "mapping": mapping}})
    return templates
