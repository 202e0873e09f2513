"""Indicators from a MISP server's REST API through PyMISP, incremental by attribute timestamp.

Each sync asks `attributes/restSearch` for attributes of published events changed since the cursor
(`timestamp >= cursor`), deleted ones included and without a `to_ids` filter, page by page: an attribute
that is now deleted, no longer `to_ids`, or decayed (MISP decay score) is removed, others are added or
replaced. Indicators older than `max_age_s` (by attribute timestamp) expire. The cursor and the current
attribute set are persisted atomically in the state dir, so a restart yields the complete set without
refetching everything.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import msgspec

from minisoc.correlator.config import MispApiConfig
from minisoc.correlator.intel.convert import LoadCounts, Provenance
from minisoc.correlator.intel.misp_event import MispAttribute, attribute_indicators, tag_names
from minisoc.correlator.intel.misp_event import misp_base_reference as event_reference
from minisoc.correlator.intel.state_file import read_json, safe_name, write_json_atomic
from minisoc.correlator.model import Indicator
from minisoc.correlator.sinks.sightings import read_key
from minisoc.correlator.typing import IntelUpdate
from minisoc.errors import IntelError, ServiceError

Key = tuple[str, str, str]


class MispSearchClient(Protocol):
    """The one PyMISP call we use (PyMISP itself satisfies this)."""

    def search(self, controller: str = ..., **query: Any) -> Any:
        ...


class StoredAttribute(msgspec.Struct):
    """What we keep of a current attribute (enough to rebuild its indicators after a restart)."""

    attribute: dict[str, Any]
    event_uuid: str | None
    event_info: str | None
    threat_level: int | None


class ApiState(msgspec.Struct):
    cursor: int = 0
    attributes: dict[str, StoredAttribute] = {}


def connect_pymisp(url: str, key: str, verify_tls: bool | str = True, timeout_s: float = 30.0) -> Any:
    """A PyMISP client, or ServiceError naming the MISP URL (never the key)."""
    from pymisp import PyMISP  # heavy import: only when a MISP server is configured

    try:
        return PyMISP(url, key, ssl=verify_tls, timeout=timeout_s)
    except Exception as error:
        raise ServiceError(f"MISP at {url} did not answer ({type(error).__name__})",
                           "check intel.misp.url, the automation key and that MISP is up") from None


def _decayed(attribute: dict[str, Any]) -> bool:
    scores = attribute.get("decay_score")
    return isinstance(scores, list) and bool(scores) and all(
        isinstance(s, dict) and s.get("decayed") for s in scores)


def _truthy(value: Any) -> bool:
    return value is True or value in (1, "1", "true", "True")


class MispApiSource:
    """An IntelSource over a MISP server's REST API.

    Built from the correlator's `intel.misp` configuration; connects (PyMISP, reading the key file) at the
    first sync, so a MISP that is down delays intel instead of failing the service's start. Tests may pass
    `client` (anything with PyMISP's `search`).
    """

    def __init__(self, config: MispApiConfig, state_dir: Path, *, client: MispSearchClient | None = None,
                 name: str | None = None, page_size: int = 5000, max_age_s: int | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.name = name or f"misp:{config.url.split('://', 1)[-1].rstrip('/')}"
        self.client = client
        self.base_url = config.url
        self.page_size = page_size
        self.max_age_s = max_age_s
        self.clock = clock
        self.state_path = state_dir / "misp" / safe_name(self.name) / "state.json"
        self.last_counts = LoadCounts()
        self.pages_fetched = 0
        self._state: ApiState | None = None  # None until the first sync of this process

    def _client(self) -> MispSearchClient:
        if self.client is None:
            verify: bool | str = str(self.config.ca_file) if self.config.ca_file else self.config.verify_tls
            self.client = connect_pymisp(self.config.url, read_key(self.config.key_file), verify)
        return self.client

    def _load_state(self) -> ApiState:
        saved = read_json(self.state_path, None)
        try:
            return msgspec.convert(saved, ApiState) if saved is not None else ApiState()
        except msgspec.ValidationError:
            return ApiState()

    def _page(self, cursor: int, page: int) -> list[dict[str, Any]]:
        try:
            reply = self._client().search(
                controller="attributes", published=True, timestamp=cursor or None, deleted=[0, 1],
                include_event_tags=True, include_event_uuid=True, include_decay_score=True,
                page=page, limit=self.page_size, pythonify=False)
        except Exception as error:
            raise ServiceError(f"MISP {self.name}: attribute search failed ({type(error).__name__})",
                               "check that MISP is up and the automation key may search") from None
        if isinstance(reply, dict) and "errors" in reply:
            raise IntelError(f"MISP {self.name}: search refused: {str(reply['errors'])[:200]}",
                             "check the automation key's role (it needs read access)")
        attributes = reply.get("Attribute") if isinstance(reply, dict) else None
        if isinstance(reply, dict) and isinstance(reply.get("response"), dict):
            attributes = reply["response"].get("Attribute")
        return [a for a in attributes if isinstance(a, dict)] if isinstance(attributes, list) else []

    def _indicators(self, stored: StoredAttribute, counts: LoadCounts) -> list[Indicator]:
        raw = stored.attribute
        provenance = Provenance(source=self.name, event_uuid=stored.event_uuid, event_info=stored.event_info,
                                reference=event_reference(self.base_url, stored.event_uuid),
                                threat_level=stored.threat_level)
        attribute = msgspec.convert({k: v for k, v in raw.items() if k in MispAttribute.__struct_fields__},
                                    MispAttribute)
        return attribute_indicators(attribute, provenance, counts)

    def _expired(self, stored: StoredAttribute, now: float) -> bool:
        if self.max_age_s is None:
            return False
        stamp = stored.attribute.get("timestamp")
        return str(stamp).isdecimal() and int(str(stamp)) < now - self.max_age_s

    def sync(self) -> IntelUpdate:
        first = self._state is None
        state = self._load_state() if self._state is None else self._state
        current = dict(state.attributes)
        counts = LoadCounts()
        changed: dict[str, StoredAttribute | None] = {}  # uuid -> new value (None: removed)
        cursor = state.cursor
        page = 1
        while True:
            attributes = self._page(state.cursor, page)
            self.pages_fetched += 1
            for raw in attributes:
                uuid = str(raw.get("uuid") or "")
                if not uuid:
                    continue
                stamp = raw.get("timestamp")
                cursor = max(cursor, int(str(stamp)) if str(stamp).isdecimal() else 0)
                if _truthy(raw.get("deleted")) or not _truthy(raw.get("to_ids")) or _decayed(raw):
                    changed[uuid] = None
                    continue
                found_event = raw.get("Event")
                event: dict[str, Any] = found_event if isinstance(found_event, dict) else {}
                tags = tag_names(raw.get("Tag"))
                kept = {k: v for k, v in raw.items() if k in MispAttribute.__struct_fields__ and k != "Tag"}
                kept["Tag"] = [{"name": t} for t in tags]
                threat = event.get("threat_level_id")
                changed[uuid] = StoredAttribute(
                    attribute=kept, event_uuid=raw.get("event_uuid") or event.get("uuid"),
                    event_info=event.get("info"),
                    threat_level=int(str(threat)) if str(threat).isdecimal() else None)
            if len(attributes) < self.page_size:
                break
            page += 1
        now = self.clock()
        removed: list[Key] = []
        added: list[Indicator] = []
        expired: list[tuple[str, StoredAttribute | None]] = [
            (uuid, None) for uuid, stored in current.items() if self._expired(stored, now)]
        for uuid, stored in list(changed.items()) + expired:
            if stored is not None and current.get(uuid) == stored:
                continue  # seen again at the cursor second, unchanged
            old = current.pop(uuid, None)
            if old is not None and not first:
                removed.extend(i.key() for i in self._indicators(old, LoadCounts()))
            if stored is not None and not self._expired(stored, now):
                current[uuid] = stored
                if not first:
                    added.extend(self._indicators(stored, counts))
        if first:
            added = [i for stored in current.values() for i in self._indicators(stored, counts)]
        added_keys = {i.key() for i in added}
        removed = [key for key in removed if key not in added_keys]
        self._state = ApiState(cursor=cursor, attributes=current)
        write_json_atomic(self.state_path, self._state)
        self.last_counts = counts
        return IntelUpdate(source=self.name, added=added, removed=removed, complete=first)
