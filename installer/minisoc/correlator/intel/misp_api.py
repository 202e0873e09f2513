"""Indicators from a MISP server's REST API through PyMISP, incremental by the events' publish time.

What a sync asks MISP (`attributes/restSearch`, deleted attributes included, no `to_ids` filter, page by
page): every attribute of every event published (or republished) since the cursor, minus an overlap window.
The cursor is the highest `Event.publish_timestamp` seen, not an attribute timestamp: publishing an event
whose attributes are old (a feed fetch, a sync pull, an import, an edit published after another event) must
still bring them. An event that comes back is reconciled as a whole: an attribute now deleted, no longer
`to_ids`, decayed, or missing from the answer (hard-deleted) is removed, the others are added or replaced.

Policy (docs/intel.md): MISP unpublishes an event at any attribute add, edit or delete, so by default a
change (deletions included) reaches the correlator when the event is republished, which is what publishing
means in MISP. With `include_unpublished_edits`, unpublished changes of events that were published once
are taken too (cursor: the newest attribute timestamp of such events). Every `full_sync_interval_s` a full
pass reconciles everything: events gone from MISP (deleted, no longer visible to the key) lose their
indicators, an event waiting for a republish keeps its published ones. `threat_level` comes from the events
themselves (one metadata lookup per new event): the restSearch answer does not carry it.

Indicators older than `max_age_s` (by attribute timestamp) expire. State (cursors, current attributes,
threat levels) is written atomically in the state dir, so a restart yields the complete set at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import msgspec

from minisoc.correlator.clients.misp import checked, connect_misp, read_key
from minisoc.correlator.config import MispApiConfig
from minisoc.correlator.intel.convert import LoadCounts, Provenance
from minisoc.correlator.intel.misp_event import attribute_indicators, tag_names
from minisoc.correlator.intel.misp_event import misp_base_reference as event_reference
from minisoc.correlator.intel.misp_structs import MispAttribute
from minisoc.correlator.intel.state_file import safe_name
from minisoc.correlator.model import Indicator
from minisoc.correlator.typing import IntelUpdate
from minisoc.durable import read_json, write_json_atomic
from minisoc.errors import MinisocError, ServiceError

Key = tuple[str, str, str]
STATE_VERSION = 2  # 1 (attribute-timestamp cursor) could miss attributes: such a state is refetched
log = logging.getLogger(__name__)


class MispSearchClient(Protocol):
    """The one PyMISP call we use (PyMISP itself satisfies this)."""

    def search(self, controller: str = ..., **query: Any) -> Any: ...


class StoredAttribute(msgspec.Struct):
    """What we keep of a current attribute (enough to rebuild its indicators after a restart)."""

    attribute: dict[str, Any]
    event_uuid: str | None
    event_info: str | None
    threat_level: int | None


class ApiState(msgspec.Struct):
    version: int = 0
    publish_cursor: int = 0  # highest Event.publish_timestamp seen
    edit_cursor: int = (
        0  # highest attribute timestamp of an unpublished edit seen (include_unpublished_edits)
    )
    last_full: float = 0.0  # clock() of the last full pass
    attributes: dict[str, StoredAttribute] = {}
    threat_levels: dict[str, int | None] = {}  # event uuid -> threat_level_id


def _decayed(attribute: dict[str, Any]) -> bool:
    scores = attribute.get("decay_score")
    return (
        isinstance(scores, list)
        and bool(scores)
        and all(isinstance(s, dict) and s.get("decayed") for s in scores)
    )


def _truthy(value: Any) -> bool:
    return value is True or value in (1, "1", "true", "True")


def _int(value: Any) -> int:
    return int(str(value)) if str(value).isdecimal() else 0


def _event_of(raw: dict[str, Any]) -> dict[str, Any]:
    event = raw.get("Event")
    return event if isinstance(event, dict) else {}


def _event_uuid(raw: dict[str, Any]) -> str | None:
    found = raw.get("event_uuid") or _event_of(raw).get("uuid")
    return str(found) if found else None


class MispApiSource:
    """An IntelSource over a MISP server's REST API.

    Built from the correlator's `intel.misp` configuration; connects (PyMISP, reading the key file) at the
    first sync, so a MISP that is down delays intel instead of failing the service's start. Tests may pass
    `client` (anything with PyMISP's `search`).
    """

    def __init__(
        self,
        config: MispApiConfig,
        state_dir: Path,
        *,
        client: MispSearchClient | None = None,
        name: str | None = None,
        page_size: int = 5000,
        max_age_s: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.name = name or f"misp:{config.url.split('://', 1)[-1].rstrip('/')}"
        self.client = client
        self._own_client = client is None  # built here from the key file: dropped after a failure, re-read
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
            self.client = connect_misp(
                self.config.url,
                read_key(self.config.key_file),
                verify_tls=self.config.verify_tls,
                ca_file=self.config.ca_file,
            )
        return self.client

    def _load_state(self) -> ApiState:
        saved = read_json(self.state_path, None)
        try:
            state = msgspec.convert(saved, ApiState) if saved is not None else ApiState()
        except msgspec.ValidationError:
            return ApiState(version=STATE_VERSION)
        return state if state.version == STATE_VERSION else ApiState(version=STATE_VERSION)

    def _search(self, controller: str, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Every page of one search: ServiceError when MISP does not answer, MispRefused when it says no.

        After either, a client built from the key file is dropped: the next sync reads the file again (so a
        key replaced by `minisoc up` is taken without a restart)."""
        try:
            return self._pages(controller, query)
        except MinisocError:
            if self._own_client:
                self.client = None
            raise

    def _pages(self, controller: str, query: dict[str, Any]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            try:
                reply = self._client().search(
                    controller=controller, page=page, limit=self.page_size, pythonify=False, **query
                )
            except MinisocError:
                raise
            except Exception as error:
                raise ServiceError(
                    f"MISP {self.name}: {controller} search failed ({type(error).__name__})",
                    "check that MISP is up and the automation key may search",
                ) from None
            reply = checked(
                reply,
                f"the {controller} search of {self.name}",
                "check the automation key's role (it needs read access)",
            )
            self.pages_fetched += 1
            found = reply.get("Attribute") if isinstance(reply, dict) else reply
            if isinstance(reply, dict) and isinstance(reply.get("response"), (dict, list)):
                inner = reply["response"]
                found = inner.get("Attribute") if isinstance(inner, dict) else inner
            batch = [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []
            rows += batch
            if len(batch) < self.page_size:
                return rows
            page += 1

    def _attributes(self, **query: Any) -> list[dict[str, Any]]:
        return self._search(
            "attributes",
            {
                "deleted": [0, 1],
                "include_event_tags": True,
                "include_event_uuid": True,
                "include_decay_score": True,
                **query,
            },
        )

    def _events_meta(self, **query: Any) -> dict[str, int | None]:
        """event uuid -> threat_level_id for the events asked for (metadata only, no attributes)."""
        levels: dict[str, int | None] = {}
        for row in self._search("events", {"metadata": True, **query}):
            event = row.get("Event", row)
            if isinstance(event, dict) and event.get("uuid"):
                threat = event.get("threat_level_id")
                levels[str(event["uuid"])] = _int(threat) or None
        return levels

    def _indicators(self, stored: StoredAttribute, counts: LoadCounts) -> list[Indicator]:
        raw = stored.attribute
        provenance = Provenance(
            source=self.name,
            event_uuid=stored.event_uuid,
            event_info=stored.event_info,
            reference=event_reference(self.base_url, stored.event_uuid),
            threat_level=stored.threat_level,
        )
        attribute = msgspec.convert(
            {k: v for k, v in raw.items() if k in MispAttribute.__struct_fields__}, MispAttribute
        )
        return attribute_indicators(attribute, provenance, counts)

    def _expired(self, stored: StoredAttribute, now: float) -> bool:
        if self.max_age_s is None:
            return False
        stamp = stored.attribute.get("timestamp")
        return str(stamp).isdecimal() and int(str(stamp)) < now - self.max_age_s

    def _stored(self, raw: dict[str, Any], levels: dict[str, int | None]) -> StoredAttribute | None:
        """What to keep of one answer row: None when it is no indicator now (deleted, not IDS, decayed)."""
        if _truthy(raw.get("deleted")) or not _truthy(raw.get("to_ids")) or _decayed(raw):
            return None
        kept = {k: v for k, v in raw.items() if k in MispAttribute.__struct_fields__ and k != "Tag"}
        kept["Tag"] = [{"name": t} for t in tag_names(raw.get("Tag"))]
        event_uuid = _event_uuid(raw)
        return StoredAttribute(
            attribute=kept,
            event_uuid=event_uuid,
            event_info=_event_of(raw).get("info"),
            threat_level=levels.get(event_uuid or ""),
        )

    def _fetch(
        self, state: ApiState, full: bool
    ) -> tuple[list[dict[str, Any]], dict[str, int | None] | None]:
        """The rows to apply, and (full pass only) every event MISP still shows, with its threat level."""
        overlap = int(self.config.overlap_s)
        if full:
            rows = self._attributes(published=True)
        else:
            rows = self._attributes(
                published=True, publish_timestamp=max(state.publish_cursor - overlap, 0) or None
            )
        if self.config.include_unpublished_edits:
            edits = self._attributes(
                published=False, event_timestamp=None if full else max(state.edit_cursor - overlap, 0) or None
            )
            rows += [r for r in edits if _int(_event_of(r).get("publish_timestamp")) > 0]
        return rows, self._events_meta() if full else None

    def sync(self) -> IntelUpdate:
        first = self._state is None
        state = self._load_state() if self._state is None else self._state
        now = self.clock()
        full = not state.last_full or now - state.last_full >= self.config.full_sync_interval_s
        rows, existing = self._fetch(state, full)
        levels = dict(state.threat_levels) | (existing or {})
        new_events = {
            str(_event_of(r).get("id"))
            for r in rows
            if _event_uuid(r) not in levels and _event_of(r).get("id")
        }
        if new_events:
            levels.update(self._events_meta(eventid=sorted(new_events)))
        current = dict(state.attributes)
        changed: dict[str, StoredAttribute | None] = {}  # uuid -> new value (None: removed)
        answered_events: set[str] = set()
        publish_cursor, edit_cursor = state.publish_cursor, state.edit_cursor
        for raw in rows:
            uuid = str(raw.get("uuid") or "")
            if not uuid:
                continue
            answered_events.add(_event_uuid(raw) or "")
            publish_cursor = max(publish_cursor, _int(_event_of(raw).get("publish_timestamp")))
            edit_cursor = max(edit_cursor, _int(raw.get("timestamp")))
            changed[uuid] = self._stored(raw, levels)
        for uuid, stored in current.items():
            gone_from_event = stored.event_uuid in answered_events and uuid not in changed
            gone_from_misp = existing is not None and stored.event_uuid not in existing
            if gone_from_event or gone_from_misp or self._expired(stored, now):
                changed[uuid] = None
        counts = LoadCounts()
        removed: list[Key] = []
        added: list[Indicator] = []
        for uuid, new in changed.items():
            if new is not None and current.get(uuid) == new:
                continue  # seen again in the overlap window, unchanged
            old = current.pop(uuid, None)
            if old is not None and not first:
                removed.extend(i.key() for i in self._indicators(old, LoadCounts()))
            if new is not None and not self._expired(new, now):
                current[uuid] = new
                if not first:
                    added.extend(self._indicators(new, counts))
        if first:
            added = [i for stored in current.values() for i in self._indicators(stored, counts)]
        added_keys = {i.key() for i in added}
        removed = [key for key in removed if key not in added_keys]
        live_events = {s.event_uuid for s in current.values()}
        self._state = ApiState(
            version=STATE_VERSION,
            publish_cursor=publish_cursor,
            edit_cursor=edit_cursor,
            last_full=now if full else state.last_full,
            attributes=current,
            threat_levels={k: v for k, v in levels.items() if k in live_events},
        )
        write_json_atomic(self.state_path, self._state)
        self.last_counts = counts
        if full and not first:
            log.info("MISP %s: full pass, %d attributes current", self.name, len(current))
        return IntelUpdate(source=self.name, added=added, removed=removed, complete=first)
