"""The ICANN top-level domains, shipped as package data (icann-tlds.txt): a word in a log message is taken
as a host name only when its last label is one of them (`evil.example.com` yes, `sshd.conf` or `1.2.3` no).

Why a shipped list and not a library: the correlator needs only the set of TLDs (one lookup per candidate),
offline and the same on every machine; tldextract would bring a cache directory and a network fetch by
default, and the public-suffix rules below the TLD do not change whether a word is a host name. The file is
generated from the Public Suffix List's ICANN section (private suffixes such as `github.io` end in an ICANN
TLD anyway); `python -m minisoc.correlator.syslog.tlds FILE` regenerates it from a newer list.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from importlib import resources

_DATA_FILE = "icann-tlds.txt"
_BEGIN, _END = "===BEGIN ICANN DOMAINS===", "===END ICANN DOMAINS==="


@functools.cache
def icann_tlds() -> frozenset[str]:
    """Every ICANN TLD, lower case, in its Unicode and its punycode (`xn--`) spelling (read once)."""
    text = (resources.files(__package__) / _DATA_FILE).read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def tlds_of_public_suffix_list(text: str) -> list[str]:
    """The TLDs of a Public Suffix List file's ICANN section, sorted (both spellings of an IDN TLD)."""
    inside, found = False, set()
    for raw in text.splitlines():
        line = raw.strip()
        if _BEGIN in line:
            inside = True
        elif _END in line:
            break
        elif inside and line and not line.startswith("//"):
            label = line.lstrip("!*.").rsplit(".", 1)[-1].lower()
            found.add(label)
            with contextlib.suppress(UnicodeError):
                found.add(label.encode("idna").decode("ascii"))
    return sorted(found)


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    with open(sys.argv[1], encoding="utf-8") as handle:  # noqa: PTH123
        print("\n".join(tlds_of_public_suffix_list(handle.read())))
