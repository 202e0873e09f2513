"""Matching: the compact indicator index and the pure matcher (the hot path)."""

from minisoc.correlator.matching.columns import IndicatorColumns
from minisoc.correlator.matching.index import IndicatorIndex
from minisoc.correlator.matching.matcher import Matcher

__all__ = [
    "IndicatorColumns",
    "IndicatorIndex",
    "Matcher",
]
