"""Canonical indicator values: the one spelling that intel loading and the matcher agree on.

Neutral ground below both `intel` (which canonicalises what it loads) and `matching` (which canonicalises
what it looks up), so neither imports the other to share the contract.
"""

from minisoc.correlator.values.canonical import (
    CANONICALISERS,
    canonical_email,
    canonical_ip,
    canonical_url,
    canonicalise,
    guess_kind,
)
from minisoc.correlator.values.canonical_bulk import canonicalise_many

__all__ = [
    "CANONICALISERS",
    "canonical_email",
    "canonical_ip",
    "canonical_url",
    "canonicalise",
    "canonicalise_many",
    "guess_kind",
]
