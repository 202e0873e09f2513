"""MISP feeds (`manifest.json` + `<uuid>.json` [+ `hashes.csv`]) from a directory or over HTTP(S).

Incremental: the manifest's per-event timestamps are kept in a state file (atomic write); only events
whose timestamp changed are fetched again, events gone from the manifest are removed. Fetched events are
cached in the state dir under their UUID (validated: a feed cannot name a file outside it), so a restart
refetches nothing that did not change and still yields the complete set.
`hashes.csv` is not needed: whole events are loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from minisoc.correlator.intel.convert import LoadCounts
from minisoc.correlator.intel.fetch import HttpFetcher, IntelFileMissing, read_file_bytes
from minisoc.correlator.intel.misp_event import (
    add_event_rows,
    decode_event_document,
    iter_events,
    misp_base_reference,
    typed_event,
)
from minisoc.correlator.intel.state_file import is_uuid, safe_name
from minisoc.correlator.matching.columns import IndicatorColumns
from minisoc.correlator.model import Indicator
from minisoc.correlator.typing import IntelUpdate
from minisoc.durable import read_json, write_atomic, write_json_atomic
from minisoc.errors import IntelError

Key = tuple[str, str, str]


def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def decode_json(data: bytes, where: str) -> Any:
    try:
        return msgspec.json.decode(data)
    except (msgspec.DecodeError, RecursionError) as error:  # RecursionError: nested too deeply
        raise IntelError(f"{where}: not valid JSON ({error})", "is this a MISP feed?") from None


class MispFeedSource:
    """One MISP feed, as an IntelSource. `location` is a directory or an http(s) URL."""

    def __init__(self, name: str, location: str, state_dir: Path, *, fetcher: HttpFetcher | None = None,
                 misp_base_url: str | None = None, track_removals: bool = True) -> None:
        self.name = name
        self.location = location.rstrip("/") if is_url(location) else location
        self.fetcher = fetcher or HttpFetcher()
        self.misp_base_url = misp_base_url
        self.track_removals = track_removals  # False for a one-shot load (hunt): no per-event key sets
        self.state_path = state_dir / "feeds" / safe_name(name) / "state.json"
        self.cache_dir = self.state_path.parent / "events"
        self.last_counts = LoadCounts()
        self.rejected_uuids = 0
        self._event_keys: dict[str, set[Key]] | None = None  # None until the first sync of this process

    def _read(self, file_name: str) -> bytes:
        if is_url(self.location):
            return self.fetcher.get(f"{self.location}/{file_name}")
        return read_file_bytes(Path(self.location) / file_name)

    def manifest(self) -> dict[str, int]:
        """uuid -> timestamp from manifest.json; entries whose key is not a UUID are refused (counted)."""
        document = decode_json(self._read("manifest.json"), f"{self.location}/manifest.json")
        if not isinstance(document, dict):
            raise IntelError(f"{self.location}/manifest.json: not a MISP feed manifest (expected an object)",
                             "a MISP feed manifest maps event UUIDs to event summaries")
        entries: dict[str, int] = {}
        self.rejected_uuids = 0
        for uuid, summary in document.items():
            if not is_uuid(uuid):
                self.rejected_uuids += 1
                continue
            stamp = summary.get("timestamp") if isinstance(summary, dict) else None
            entries[uuid.lower()] = int(str(stamp)) if str(stamp).isdecimal() else 0
        return entries

    def _reference(self, uuid: str) -> str | None:
        if self.misp_base_url:
            return misp_base_reference(self.misp_base_url, uuid)
        return f"{self.location}/{uuid}.json" if is_url(self.location) else None

    def _event_bytes(self, uuid: str, fresh: bool) -> bytes:
        """The event's JSON: from the feed when `fresh`, else from the cache (or the feed dir itself).
        Raises IntelFileMissing when the feed has no such file."""
        cached = self.cache_dir / f"{uuid}.json"
        if not fresh and is_url(self.location) and cached.exists():
            return cached.read_bytes()
        data = self._read(f"{uuid}.json")
        if is_url(self.location):
            write_atomic(cached, data)
        return data

    def _add_rows(self, uuid: str, data: bytes, counts: LoadCounts, columns: IndicatorColumns) -> None:
        events = decode_event_document(data)
        if events is None:
            document = decode_json(data, f"{self.location}/{uuid}.json")
            events = [typed_event(e) for e in iter_events(document)]
        for event in events:
            add_event_rows(event, self.name, counts, columns, self._reference(uuid))

    def _indicators(self, uuid: str, data: bytes, counts: LoadCounts) -> list[Indicator]:
        columns = IndicatorColumns()
        self._add_rows(uuid, data, counts, columns)
        return columns.indicators()

    def load_columns(self, columns: IndicatorColumns) -> None:
        """Every event of the feed appended to `columns`, as a first `sync` would give them (a one-shot
        load: no state file, no cache, no removal tracking); `last_counts` says what was counted."""
        counts = LoadCounts()
        for uuid in self.manifest():
            try:
                data = self._read(f"{uuid}.json")
            except IntelFileMissing:
                counts.count_missing_event(uuid, self.name)
                continue
            self._add_rows(uuid, data, counts, columns)
            columns.compact()
        self.last_counts = counts

    def sync(self) -> IntelUpdate:
        manifest = self.manifest()
        saved = read_json(self.state_path, {})
        same_feed = isinstance(saved, dict) and saved.get("location") == self.location
        saved_events: dict[str, int] = saved.get("events", {}) if same_feed else {}
        counts = LoadCounts()
        first = self._event_keys is None
        event_keys: dict[str, set[Key]] = {} if self._event_keys is None else dict(self._event_keys)
        added: list[Indicator] = []
        removed: list[Key] = []
        synced = dict(manifest)  # what the state file records: a missing event keeps its old entry, if any
        for uuid, stamp in manifest.items():
            changed = saved_events.get(uuid) != stamp
            if not changed and not first:
                continue
            try:
                data = self._event_bytes(uuid, fresh=changed)
            except IntelFileMissing:
                counts.count_missing_event(uuid, self.name)
                if uuid in saved_events:
                    synced[uuid] = saved_events[uuid]
                else:
                    del synced[uuid]
                cached = self.cache_dir / f"{uuid}.json"
                if not (first and is_url(self.location) and cached.exists()):
                    continue  # later syncs keep what they had of it: no keys removed
                data = cached.read_bytes()  # after a restart: the copy fetched last time
            indicators = self._indicators(uuid, data, counts)
            new_keys: set[Key] = set()
            if self.track_removals:
                new_keys = {(i.source, i.kind, i.value if i.attribute_uuid is None else i.attribute_uuid)
                            for i in indicators}
            removed.extend(event_keys.get(uuid, set()) - new_keys)
            event_keys[uuid] = new_keys
            added.extend(indicators)
        for uuid in set(event_keys) - set(manifest):
            removed.extend(event_keys.pop(uuid))
        for uuid in set(saved_events) - set(manifest):
            if is_uuid(uuid):
                (self.cache_dir / f"{uuid}.json").unlink(missing_ok=True)
        write_json_atomic(self.state_path, {"location": self.location, "events": synced})
        self._event_keys = event_keys
        self.last_counts = counts
        return IntelUpdate(source=self.name, added=added, removed=[] if first else removed, complete=first)
