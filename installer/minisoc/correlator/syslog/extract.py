"""The generic extractor: the addresses, host names, URLs and e-mail addresses written in a free-text message.

Every candidate is validated and canonicalised before it is kept (an address by `canonical_ip`, a name only
with a real ICANN TLD, a URL by `canonical_url`, an e-mail address by `canonical_email`), and the matcher then
compares it exactly like a Zeek field's value: no substring search of indicators in the text, ever. A word
that merely contains an indicator (`evil.example.com.attacker.net`, `x1.2.3.45`) is not that indicator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from minisoc.correlator.syslog.tlds import icann_tlds
from minisoc.correlator.values.canonical import canonical_email, canonical_ip, canonical_url

# candidates; each is checked again below (these patterns only find where to look)
_URL = re.compile(r"\b(?:[hH][tT][tT][pP][sS]?|[fF][tT][pP])://[^\s\"'<>`\\]+")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@((?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z0-9-]{2,63})(?![\w-])")
# a dotted word: an IPv4 address or a host name candidate, told apart by its last label (one pass for both)
_DOTTED = re.compile(r"(?<![\w.@/-])((?:[A-Za-z0-9_-]{1,63}\.)+[A-Za-z0-9_-]{1,63})\.?(?![\w@-]|\.[\w-])")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
# IPv6: hex groups and colons (at least two colons), maybe an embedded IPv4 tail, maybe a zone
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?"
                   r"(?:%[\w.-]+)?(?![\w:])")
_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?")
_TRAILING = ".,;:!?)]}>'\""
_MAX_EACH = 64  # values of one kind kept from one message (a flood of addresses is one record, not a DoS)


@dataclass
class Extracted:
    """What a message names, canonical, each list without repeats (URLs, e-mail, IPv6, then dotted words)."""

    addresses: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)


def _add(values: list[str], value: str | None) -> None:
    if value is not None and value not in values and len(values) < _MAX_EACH:
        values.append(value)


def host_name(text: str) -> str | None:
    """`text` as a canonical host name (lower case, no trailing dot) when it ends in an ICANN TLD, else
    None."""
    name = text.rstrip(".").lower()
    if not name or "." not in name or len(name) > 253:
        return None
    labels = name.split(".")
    if labels[-1] not in icann_tlds() or not all(map(_LABEL.fullmatch, labels)):
        return None
    return name


def url_host(url: str) -> str | None:
    """The host of an absolute URL (no port, no user info), lower case."""
    rest = url.split("://", 1)[-1]
    netloc = re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")[2]
    if netloc.startswith("["):
        return netloc[1:netloc.find("]")] if "]" in netloc else None
    return netloc.partition(":")[0].lower() or None


def extract(message: str) -> Extracted:
    """The observables written in `message`, canonical (see the module docstring)."""
    found = Extracted()
    if not message:
        return found
    spans: list[tuple[int, int]] = []  # URLs and e-mail addresses: their parts are not names of their own
    if "://" in message:
        for match in _URL.finditer(message):
            text = match.group(0).rstrip(_TRAILING)
            if canonical_url(text) is None:
                continue
            _add(found.urls, text)
            spans.append((match.start(), match.start() + len(text)))
            host = url_host(text)
            if host is not None:
                address = canonical_ip(host)
                if address is not None:
                    _add(found.addresses, address)
                else:
                    _add(found.names, host_name(host))
    if "@" in message:
        for match in _EMAIL.finditer(message):
            if _inside(match.start(), spans) or host_name(match.group(1)) is None:
                continue
            _add(found.emails, canonical_email(match.group(0)))
            spans.append(match.span())
    if "::" in message or message.count(":") >= 7:
        for match in _IPV6.finditer(message):
            text = match.group(0)
            if text.count(":") >= 2 and not _inside(match.start(), spans):
                _add(found.addresses, canonical_ip(text))
    if "." in message:
        for match in _DOTTED.finditer(message):
            if spans and _inside(match.start(), spans):
                continue
            word = match.group(1)
            if word[-1].isdigit():  # an address, or a version number, a time, ...: only a dotted quad counts
                if _IPV4.fullmatch(word):
                    _add(found.addresses, canonical_ip(word))
            else:
                _add(found.names, host_name(word))
    return found


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)
