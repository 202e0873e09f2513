"""Canonical indicator values: the one spelling that intel loading and the matcher agree on.

Neutral ground below both `intel` (which canonicalises what it loads) and `matching` (which canonicalises
what it looks up), so neither imports the other to share the contract.
"""
