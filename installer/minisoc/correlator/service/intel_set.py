"""The current indicator set, per intel source, kept across restarts (one atomic file per source).

`apply` merges an IntelUpdate and returns the indicators that are genuinely new (not known before, even
across a restart): those are what the retro-hunt looks for. A source that fails keeps its last good set.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec

from minisoc.correlator.model import Indicator
from minisoc.correlator.typing import IntelUpdate
from minisoc.durable import write_atomic

Key = tuple[str, str, str]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _file_name(source: str) -> str:
    digest = hashlib.sha256(source.encode()).hexdigest()[:12]
    return f"{_UNSAFE.sub('_', source)[:60]}-{digest}.msgpack"


class IntelSet:
    """Indicators by source, persisted under `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._by_source: dict[str, dict[Key, Indicator]] = {}
        self._decoder = msgspec.msgpack.Decoder(list[Indicator])
        directory.mkdir(parents=True, exist_ok=True)
        for path in sorted(directory.glob("*.msgpack")):
            indicators = self._decoder.decode(path.read_bytes())
            if indicators:
                self._by_source[indicators[0].source] = {i.key(): i for i in indicators}
        self.restored = bool(self._by_source)

    def __len__(self) -> int:
        return sum(len(items) for items in self._by_source.values())

    def __iter__(self) -> Iterator[Indicator]:
        for source in sorted(self._by_source):
            yield from self._by_source[source].values()

    def sources(self) -> list[str]:
        return sorted(self._by_source)

    def count_by_type(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for indicator in self:
            counts[indicator.type] = counts.get(indicator.type, 0) + 1
        return counts

    def apply(
        self, update: IntelUpdate, before_persist: Callable[[list[Indicator]], None] | None = None
    ) -> tuple[list[Indicator], int]:
        """Merge `update`; returns (new indicators, number removed). Persists the source when it changed,
        after `before_persist(new)` returned (the service records there what the new ones are owed)."""
        current = self._by_source.get(update.source, {})
        merged = {} if update.complete else dict(current)
        removed = 0
        if not update.complete:
            for key in update.removed:
                if merged.pop(tuple(key), None) is not None:  # type: ignore[arg-type]
                    removed += 1
        new: list[Indicator] = []
        for indicator in update.added:
            key = indicator.key()
            if key not in current:
                new.append(indicator)
            merged[key] = indicator
        if update.complete:
            removed = len(set(current) - set(merged))
        if new or removed or merged.keys() != current.keys() or update.added:
            if before_persist is not None and new:
                before_persist(new)
            self._by_source[update.source] = merged
            self._persist(update.source, merged)
        return new, removed

    def _persist(self, source: str, items: dict[Key, Indicator]) -> None:
        path = self.directory / _file_name(source)
        if not items:
            path.unlink(missing_ok=True)
            self._by_source.pop(source, None)
            return
        write_atomic(path, msgspec.msgpack.encode(list(items.values())))
