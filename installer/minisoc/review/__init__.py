"""Analyst review of a site's stored alerts (`minisoc alerts list/ack`): host-side site work that uses the
correlator library (its stores and sightings) and the site's profile, render and ops knowledge.

It lives outside `minisoc.correlator` so that the correlator stays a library with no host-side imports.
"""

from minisoc.review.site import open_review
from minisoc.review.store import AckResult, AlertListing, AlertReview, StoreReview, check_limit, parse_since

__all__ = [
    "AckResult",
    "AlertListing",
    "AlertReview",
    "StoreReview",
    "check_limit",
    "open_review",
    "parse_since",
]
