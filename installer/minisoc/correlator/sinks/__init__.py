"""Where alerts and sightings go: OpenSearch, SQLite, MISP sightings, behind a durable on-disk buffer; and
the stores `minisoc alerts` reads (open.py)."""

from minisoc.correlator.sinks.buffer import BufferedAlertSink, BufferedSightingSink, DurableBuffer
from minisoc.correlator.sinks.open import (
    AlertRepository,
    open_configured_store,
    open_opensearch,
    open_store_url,
)
from minisoc.correlator.sinks.sightings import (
    LogSightingSink,
    MispSightingSink,
    false_positive_sightings,
    sightings_for,
)
from minisoc.correlator.sinks.sqlite import SqliteAlertSink

__all__ = [
    "AlertRepository",
    "BufferedAlertSink",
    "BufferedSightingSink",
    "DurableBuffer",
    "LogSightingSink",
    "MispSightingSink",
    "SqliteAlertSink",
    "false_positive_sightings",
    "open_configured_store",
    "open_opensearch",
    "open_store_url",
    "sightings_for",
]
