"""The correlator, a library: intel x Zeek logs -> alerts, sightings, retro-hunt, intel export.

Its vocabulary is here (the model, the source and sink protocols, the service's configuration); its rooms
have their own faces: `intel`, `matching`, `zeek`, `sinks`, `service`, `values`, `clients`, and the hunt is
`minisoc.correlator.hunt` (`HuntRequest`, `run_hunt`). Nothing here imports a host-side package.
"""

from minisoc.correlator.config import CorrelatorConfig, load_correlator_config
from minisoc.correlator.model import Alert, Indicator, LogRecord, Match, Sighting
from minisoc.correlator.typing import (
    AlertSink,
    AlertStore,
    IntelSource,
    IntelUpdate,
    LogBatch,
    LogSource,
    SightingSink,
    SinkUnavailable,
)

__all__ = [
    "Alert",
    "AlertSink",
    "AlertStore",
    "CorrelatorConfig",
    "Indicator",
    "IntelSource",
    "IntelUpdate",
    "LogBatch",
    "LogRecord",
    "LogSource",
    "Match",
    "Sighting",
    "SightingSink",
    "SinkUnavailable",
    "load_correlator_config",
]
