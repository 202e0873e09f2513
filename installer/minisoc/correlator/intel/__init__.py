"""Intel sources: MISP (API, feeds), Zeek intel files and value lists, read into Indicators or, in bulk,
IndicatorColumns; MISP warninglists that suppress values."""

from minisoc.correlator.intel.intel_file import IntelFileSource, read_intel_file
from minisoc.correlator.intel.load import load_intel, load_intel_columns
from minisoc.correlator.intel.misp_api import MispApiSource
from minisoc.correlator.intel.misp_feed import MispFeedSource
from minisoc.correlator.intel.warninglists import Warninglists, load_warninglists

__all__ = [
    "IntelFileSource",
    "MispApiSource",
    "MispFeedSource",
    "Warninglists",
    "load_intel",
    "load_intel_columns",
    "load_warninglists",
    "read_intel_file",
]
