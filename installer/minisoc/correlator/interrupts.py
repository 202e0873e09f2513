"""Ctrl-C during a hunt: stop reading at once, but never in the middle of handing alerts over.

`SigintGuard` installs a SIGINT handler for the duration of a `with` block (in the main thread only: Python
delivers signals there). A SIGINT sets `interrupted`; it raises KeyboardInterrupt only inside an
`interruptible()` section (reading and matching a file), where stopping at any point loses nothing already
handed over. Anywhere else (writing alerts to a store or to stdout, waiting for a worker's result) the code
checks `interrupted` when it is done, so a write is never cut short. Every later SIGINT is ignored: the hunt
is already stopping and flushing what it matched, which is bounded in time, and a second Ctrl-C must not
lose that.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType
from typing import Any


class SigintGuard:
    """See the module doc."""

    def __init__(self, *, ignore_after: bool = False) -> None:
        """`ignore_after`: SIGINT stays ignored after the block (a hunt worker, until its process ends)."""
        self.ignore_after = ignore_after
        self.interrupted = False
        self._interruptible = 0
        self._previous: Any = None
        self._installed = False

    def __enter__(self) -> SigintGuard:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
            self._installed = True
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, signal.SIG_IGN if self.ignore_after else self._previous)
            self._installed = False

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        if self.interrupted:
            return  # already stopping
        self.interrupted = True
        if self._interruptible:
            raise KeyboardInterrupt

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """A section a SIGINT stops at once (KeyboardInterrupt); raised at its start when one came before."""
        if self.interrupted:
            raise KeyboardInterrupt
        self._interruptible += 1
        try:
            yield
        finally:
            self._interruptible -= 1

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """A section no SIGINT reaches at all (blocked: it is delivered, as a flag, when the section ends): a
        write to a full pipe is then never interrupted half-way."""
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
