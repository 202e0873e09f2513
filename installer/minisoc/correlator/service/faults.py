"""Crash points for the fault tests: the process dies on the spot (as under SIGKILL) at a named point.

Set only by tests: `MINISOC_TEST_CRASH_AT=<point>` makes the service `os._exit(CRASH_EXIT_CODE)` the first
time it passes `<point>` (no cleanup, no flush: what a kill leaves behind). Unset, a point costs one lookup.
The points, in the order a log batch passes them: `alerts-durable` (alerts in the sink or its on-disk
buffer), `logs-durable` (Zeek logs indexed or buffered), `committed` (tail checkpoint written); for a
retro-hunt: `retro-owed` (the new indicators recorded as owed a hunt, the intel set persisted) and
`retro-delivered` (the hunt's alerts durable, the debt not yet cleared).
"""

from __future__ import annotations

import os

CRASH_ENV = "MINISOC_TEST_CRASH_AT"
CRASH_EXIT_CODE = 86
POINTS = ("alerts-durable", "logs-durable", "committed", "retro-owed", "retro-delivered")


def crash_point(name: str) -> None:
    """Die here if a test asked for it (see the module docstring)."""
    if os.environ.get(CRASH_ENV) == name:
        os._exit(CRASH_EXIT_CODE)
