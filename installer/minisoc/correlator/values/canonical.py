"""Canonical text for each indicator kind, so that the index and the logs agree on one spelling.

Every function returns the canonical string or None when the value is not valid for that kind
(callers count invalid values; nothing here raises on bad input).
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable

from minisoc.correlator import model

_HEX = frozenset("0123456789abcdef")
_HASH_LENGTHS = {model.KIND_MD5: 32, model.KIND_SHA1: 40, model.KIND_SHA256: 64, model.KIND_JA3: 32,
                 model.KIND_JA3S: 32, model.KIND_X509_MD5: 32, model.KIND_X509_SHA1: 40,
                 model.KIND_X509_SHA256: 64}
_DEFAULT_PORTS = {"http": "80", "https": "443"}
# a host name: letters, digits, `_`, `-` in labels of 1-63 characters (DNS), no dot or hyphen at either end
_HOST_CHARS = re.compile(r"^(?=[a-z0-9_])(?:[a-z0-9_-]{1,63}\.)*[a-z0-9_-]{1,63}(?<=[a-z0-9_])$")
# an e-mail address's local part (RFC 5322 dot-atom: atext and single inner dots), Unicode letters allowed
_EMAIL_LOCAL = re.compile(r"^[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*$")
_MAX_VALUE = 8192
# not in a URL: whitespace, C0 controls, DEL, and U+FFFD (bytes that were not text)
_NOT_IN_URL = re.compile("[\\s\x00-\x1f\x7f\ufffd]")
_SIMPLE_URL = re.compile(
    r"^(?:[hH][tT][tT][pP][sS]?://)?((?:[A-Za-z0-9_-]{1,63}\.)*[A-Za-z0-9_-]{1,63})"
    "(/[^\\s#\x00-\x1f\x7f\ufffd]{0,8000})?$")


def canonical_ip(value: str) -> str | None:
    """`1.2.3.4`, `2001:db8::1` (compressed, lower case); `::ffff:1.2.3.4` becomes `1.2.3.4`."""
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" not in text:
        try:
            socket.inet_pton(socket.AF_INET, text)
        except (OSError, ValueError):
            return None
        return text  # inet_pton takes only the canonical dotted quad (no leading zeros, no short forms)
    text = text.split("%", 1)[0]  # a zone id (fe80::1%eth0) is local to the host that wrote it
    try:
        packed = socket.inet_pton(socket.AF_INET6, text)
    except (OSError, ValueError):
        return None
    if packed[:12] == b"\x00" * 10 + b"\xff\xff":
        return socket.inet_ntop(socket.AF_INET, packed[12:])
    return socket.inet_ntop(socket.AF_INET6, packed)


def ip_to_int(canonical: str) -> tuple[int, int]:
    """(version, integer) of a canonical IP address."""
    if ":" in canonical:
        return 6, int.from_bytes(socket.inet_pton(socket.AF_INET6, canonical), "big")
    return 4, int.from_bytes(socket.inet_pton(socket.AF_INET, canonical), "big")


def int_to_ip(version: int, number: int) -> str:
    if version == 4:
        return socket.inet_ntop(socket.AF_INET, number.to_bytes(4, "big"))
    return socket.inet_ntop(socket.AF_INET6, number.to_bytes(16, "big"))


def parse_cidr(value: str) -> tuple[int, int, int] | None:
    """(version, network integer, prefix length) with host bits cleared (strict=False), or None."""
    address, slash, length_text = value.strip().partition("/")
    try:  # the common case: a canonical dotted quad (inet_pton refuses any other spelling)
        version, number = 4, int.from_bytes(socket.inet_pton(socket.AF_INET, address), "big")
    except (OSError, ValueError):
        ip = canonical_ip(address)
        if ip is None:
            return None
        version, number = ip_to_int(ip)
    bits = 32 if version == 4 else 128
    if not slash:
        return version, number, bits
    if not length_text.isdecimal() or len(length_text) > 3:
        return None
    length = int(length_text)
    if ":" in address and version == 4:  # ::ffff:a.b.c.d/len: the length counts the 96 mapped bits
        length -= 96
    if not 0 <= length <= bits:
        return None
    mask = ((1 << length) - 1) << (bits - length)
    return version, number & mask, length


def canonical_cidr(value: str) -> str | None:
    """`net/len` with host bits cleared; a /32 (/128) is returned as a bare address (an exact IP)."""
    if "/" not in value:
        return canonical_ip(value)
    parsed = parse_cidr(value)
    if parsed is None:
        return None
    version, number, length = parsed
    address = int_to_ip(version, number)
    if length == (32 if version == 4 else 128):
        return address
    return f"{address}/{length}"


def canonical_hostname(value: str) -> str | None:
    """Lower case, trailing dot stripped; IDNA stays as given (punycode `xn--` labels are plain ASCII)."""
    text = value.strip().lower().rstrip(".")
    if not text or len(text) > 253 or ".." in text:
        return None
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if not _HOST_CHARS.match(text):
        return None
    return text


def _split_netloc(netloc: str, scheme: str) -> str | None:
    """Host[:port] of a URL, lower case, default port dropped, userinfo dropped."""
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            return None
        host, port = hostport[: end + 1], hostport[end + 2:] if hostport[end + 1:end + 2] == ":" else ""
    else:
        host, _, port = hostport.partition(":")
    canonical_host = canonical_ip(host) if host.startswith("[") or _looks_like_ip(host) else None
    if canonical_host is not None and ":" in canonical_host:
        canonical_host = f"[{canonical_host}]"
    if canonical_host is None:
        canonical_host = canonical_hostname(host)
    if canonical_host is None:
        return None
    if port and port != _DEFAULT_PORTS.get(scheme, ""):
        if not port.isdecimal():  # isdigit() also takes '²', which int() refuses
            return None
        return f"{canonical_host}:{int(port)}"
    return canonical_host


def canonical_url(value: str) -> str | None:
    """`host[:port]/path[?query]`: no scheme, no fragment, host lower case, default port dropped."""
    simple = _SIMPLE_URL.match(value)
    if simple is not None:  # scheme://name/path without port, userinfo or odd characters: most URLs
        host = simple.group(1).lower()
        if len(host) <= 253 and _HOST_CHARS.match(host):
            return host + (simple.group(2) or "/")
    text = value.strip()
    if not text or len(text) > _MAX_VALUE or _NOT_IN_URL.search(text):
        return None
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "http", text
    scheme = scheme.lower()
    rest = rest.split("#", 1)[0]
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    netloc, target = rest[:cut], rest[cut:]
    host = _split_netloc(netloc, scheme)
    if host is None:
        return None
    if not target.startswith("/"):
        target = "/" + target
    return host + target


def _looks_like_ip(text: str) -> bool:
    return bool(text) and ((text[-1].isdigit() and text.replace(".", "").isdigit()) or ":" in text)


def canonical_hex(length: int) -> Callable[[str], str | None]:
    pattern = re.compile(f"^[0-9a-f]{{{length}}}$")

    def canonicalise(value: str) -> str | None:
        text = value.lower()
        if len(text) == length and text.isalnum():  # fast check; fromhex refuses any non-hex letter
            try:
                bytes.fromhex(text)
            except ValueError:
                return None
            return text
        text = text.strip().replace(":", "")
        return text if pattern.match(text) else None

    return canonicalise


def canonical_email(value: str) -> str | None:
    """`local@domain`, lower case (`Name <a@b.example>` gives `a@b.example`): a dot-atom local part of at most
    64 characters and a domain that is a host name with a dot (`canonical_hostname`, IDNA to punycode)."""
    text = value.strip()
    if "<" in text and text.endswith(">"):
        text = text[text.rfind("<") + 1: -1]
    local, at, domain = text.strip().lower().rpartition("@")
    if not at or len(local) > 64 or not _EMAIL_LOCAL.match(local) or "." not in domain:
        return None
    host = canonical_hostname(domain)
    return None if host is None or domain.endswith(".") else f"{local}@{host}"


def canonical_text(value: str) -> str | None:
    """User agents, file names, JA4: exact text, only surrounding whitespace removed."""
    text = value.strip()
    return text if text and len(text) <= _MAX_VALUE else None


CANONICALISERS: dict[str, Callable[[str], str | None]] = {
    model.KIND_IP: canonical_ip,
    model.KIND_CIDR: canonical_cidr,
    model.KIND_DOMAIN: canonical_hostname,
    model.KIND_HOSTNAME: canonical_hostname,
    model.KIND_URL: canonical_url,
    model.KIND_EMAIL: canonical_email,
    model.KIND_USER_AGENT: canonical_text,
    model.KIND_FILENAME: canonical_text,
    model.KIND_JA4: canonical_text,
    **{kind: canonical_hex(length) for kind, length in _HASH_LENGTHS.items()},
}


NAME_KINDS = frozenset((model.KIND_DOMAIN, model.KIND_HOSTNAME))


def address_of_name(value: str, canonical: str | None) -> str | None:
    """The canonical IP address a domain or hostname value spells (`198.51.100.92`, `2001:db8::1`), or None;
    `canonical` is the value's `canonical_hostname` (None for an IPv6 address: a name has no `:`). Such an
    indicator is loaded as an address (kind ip, its MISP type kept): the matcher looks addresses up as ip."""
    if canonical is None:
        return canonical_ip(value)
    return canonical_ip(canonical) if canonical[-1].isdigit() else None


def canonicalise(kind: str, value: str) -> tuple[str, str] | None:
    """(kind, canonical value); a CIDR that is one address, or a name that is an address, comes back as
    (KIND_IP, address)."""
    function = CANONICALISERS.get(kind)
    if function is None:
        return None
    result = function(value)
    if kind in NAME_KINDS and (result is None or result[-1].isdigit()):
        address = address_of_name(value, result)
        if address is not None:
            return model.KIND_IP, address
    if result is None:
        return None
    if kind == model.KIND_CIDR and "/" not in result:
        return model.KIND_IP, result
    return kind, result


def _plausible_host(host: str) -> bool:
    """A canonical host that names something on the Internet: an address, or a name with a dot whose last
    label is letters (or punycode `xn--`), as every top-level domain is. Guessing a kind from a value's shape
    asks this much; a value whose type is given only has to be valid (`canonical_hostname`)."""
    if host.startswith("[") or canonical_ip(host) is not None:
        return True
    _, dot, top = host.rpartition(".")
    return bool(dot) and len(top) > 1 and (top.isalpha() or top.startswith("xn--"))


def guess_kind(value: str) -> str | None:
    """The kind a bare value (freetext list) most likely is, from its shape alone; None when it looks like
    nothing (a URL without a scheme, a domain or an e-mail address must name a plausible host)."""
    text = value.strip()
    if not text:
        return None
    lowered = text.lower()
    if "://" in text:
        return model.KIND_URL
    if "/" in text:
        if parse_cidr(text) is not None:
            return model.KIND_CIDR
        url = canonical_url(text)
        return model.KIND_URL if url is not None and _plausible_host(
            url.partition("/")[0].rpartition(":")[0] or url.partition("/")[0]) else None
    if canonical_ip(text) is not None:
        return model.KIND_IP
    if "@" in text:
        email = canonical_email(text)
        return model.KIND_EMAIL if email is not None and _plausible_host(email.rpartition("@")[2]) else None
    if _HEX.issuperset(lowered):
        return {32: model.KIND_MD5, 40: model.KIND_SHA1, 64: model.KIND_SHA256}.get(len(lowered))
    name = canonical_hostname(text) if "." in text else None
    return model.KIND_DOMAIN if name is not None and _plausible_host(name) else None
