"""FakeMispServer: a NAMED FAKE of the MISP REST API (MISP itself, PHP + MySQL + Redis, cannot run here).

A stdlib http.server on 127.0.0.1, backed by real MISP event JSON files, implementing just the calls PyMISP
makes on our paths, with MISP's reply shapes:

- PyMISP's constructor: GET servers/getPyMISPVersion.json, GET servers/getVersion, GET users/view/me,
  GET attributes/describeTypes.json (PyMISP's own describeTypes.json)
- POST attributes/restSearch: filters `timestamp` (>=, or [from, to]), `published`, `to_ids`, `deleted`
  (absent/0: live only, [0, 1]: both, 1: deleted only), `type`, `value`, `page`/`limit`, `includeEventTags`,
  `includeEventUuid`, `includeDecayScore` (from a per-attribute `decayed` flag set by tests); reply
  `{"response": {"Attribute": [...]}}` with `Event` {uuid, info, threat_level_id} per attribute
- GET events/view/<uuid>: `{"Event": ...}`
- POST sightings/add and sightings/add/<attribute uuid or id>: recorded in `sightings`

What it cannot exercise: MISP's real authorisation model (one key, all or nothing), ACLs and sharing groups,
distribution levels, correlation, the decay model's own scoring, restSearch's other filters and return
formats, rate limits, and MISP's exact error bodies beyond `{"errors": ...}` with the HTTP status.
Every request is recorded (method, path, JSON body) so tests can count what a sync fetched.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pymisp

DESCRIBE_TYPES = Path(pymisp.__file__).parent / "data" / "describeTypes.json"


def _events_of(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, list):
        return [e for item in document for e in _events_of(item)]
    if isinstance(document, dict) and isinstance(document.get("Event"), dict):
        return [document["Event"]]
    if isinstance(document, dict) and isinstance(document.get("response"), list):
        return _events_of(document["response"])
    return [document] if isinstance(document, dict) and "Attribute" in document else []


def _flag(value: Any) -> bool:
    return value is True or value in (1, "1", "true", "True")


class FakeMispServer:
    """Start with `with FakeMispServer(event_files, key) as misp:`; `misp.url` is the base URL."""

    def __init__(self, event_files: Iterable[Path], key: str) -> None:
        self.key = key
        self.events: dict[str, dict[str, Any]] = {}
        for path in event_files:
            for event in _events_of(json.loads(path.read_text(encoding="utf-8"))):
                self.add_event(event)
        self.requests: list[tuple[str, str, Any]] = []
        self.sightings: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeMispServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- data changes made by tests ------------------------------------------------------------------------

    def add_event(self, event: dict[str, Any]) -> None:
        event = copy.deepcopy(event)
        event.setdefault("published", True)
        self.events[str(event["uuid"])] = event

    def attributes(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(event, attribute) for every attribute, objects' attributes included."""
        found = []
        for event in self.events.values():
            for attribute in event.get("Attribute", []):
                found.append((event, attribute))
            for misp_object in event.get("Object", []):
                for attribute in misp_object.get("Attribute", []):
                    found.append((event, attribute))
        return found

    def update_attribute(self, uuid: str, timestamp: int, **changes: Any) -> None:
        for _, attribute in self.attributes():
            if attribute.get("uuid") == uuid:
                attribute.update(changes)
                attribute["timestamp"] = str(timestamp)
                return
        raise KeyError(uuid)

    # -- restSearch ----------------------------------------------------------------------------------------

    def search_attributes(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        stamp = query.get("timestamp")
        low, high = (stamp if isinstance(stamp, list) else (stamp, None)) if stamp else (None, None)
        deleted = query.get("deleted")
        wanted_deleted = {False, True} if isinstance(deleted, list) else {_flag(deleted)}
        results = []
        for event, attribute in self.attributes():
            when = int(attribute.get("timestamp") or 0)
            if (low is not None and when < int(low)) or (high is not None and when > int(high)):
                continue
            published = query.get("published")
            if published is not None and _flag(event.get("published")) != _flag(published):
                continue
            if query.get("to_ids") is not None and _flag(attribute.get("to_ids")) != _flag(query["to_ids"]):
                continue
            if _flag(attribute.get("deleted")) not in wanted_deleted:
                continue
            if query.get("type") and attribute.get("type") != query["type"]:
                continue
            if query.get("value") and attribute.get("value") != query["value"]:
                continue
            results.append(self._search_row(event, attribute, query))
        results.sort(key=lambda a: (int(a.get("timestamp") or 0), str(a.get("uuid"))))
        limit = int(query.get("limit") or 0)
        if limit:
            page = max(1, int(query.get("page") or 1))
            results = results[(page - 1) * limit: page * limit]
        return results

    def _search_row(
        self, event: dict[str, Any], attribute: dict[str, Any], query: dict[str, Any]
    ) -> dict[str, Any]:
        row = {k: v for k, v in attribute.items() if k not in ("decayed",)}
        row["Event"] = {"uuid": event.get("uuid"), "info": event.get("info"),
                        "threat_level_id": event.get("threat_level_id")}
        if _flag(query.get("includeEventUuid")):
            row["event_uuid"] = event.get("uuid")
        if _flag(query.get("includeEventTags")):
            tags = list(attribute.get("Tag", []))
            names = {t.get("name") for t in tags}
            tags += [dict(t, inherited=1) for t in event.get("Tag", []) if t.get("name") not in names]
            row["Tag"] = tags
        if _flag(query.get("includeDecayScore")):
            row["decay_score"] = [{"score": 0 if attribute.get("decayed") else 80,
                                   "decayed": bool(attribute.get("decayed")),
                                   "DecayingModel": {"id": "1", "name": "fake"}}]
        return row

    # -- HTTP ----------------------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _reply(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> Any:
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"null") if length else None

            def _route(self, method: str) -> None:
                body = self._body() if method == "POST" else None
                path = self.path.split("?", 1)[0].strip("/")
                with server._lock:
                    server.requests.append((method, path, body))
                if self.headers.get("Authorization") != server.key:
                    self._reply(403, {"name": "Authentication failed.", "errors": "Authentication failed."})
                    return
                self._reply(*server.answer(method, path, body))

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

        return Handler

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if path == "servers/getPyMISPVersion.json":
            return 200, {"version": pymisp.__version__}
        if path == "servers/getVersion":
            return 200, {"version": "2.5.0", "pymisp_recommended_version": pymisp.__version__,
                         "perm_sync": False, "perm_sighting": True, "perm_galaxy_editor": False}
        if path == "users/view/me":
            user = {"id": "1", "email": "correlator@example.org", "org_id": "1", "role_id": "3"}
            return 200, {"User": user,
                         "Role": {"id": "3", "name": "User", "perm_sighting": True}, "UserSetting": {}}
        if path == "attributes/describeTypes.json":
            return 200, json.loads(DESCRIBE_TYPES.read_text(encoding="utf-8"))
        if path == "attributes/restSearch" and method == "POST":
            return 200, {"response": {"Attribute": self.search_attributes(body or {})}}
        if path.startswith("events/view/"):
            event = self.events.get(path.rsplit("/", 1)[1])
            return (200, {"Event": event}) if event else (404, {"errors": "Invalid event"})
        if path.startswith("sightings/add") and method == "POST":
            sighting = dict(body or {})
            if path.count("/") == 2:
                sighting["attribute_id"] = path.rsplit("/", 1)[1]
            with self._lock:
                self.sightings.append(sighting)
            return 200, {"Sighting": {"id": str(len(self.sightings)), **sighting}}
        return 404, {"errors": f"fake MISP does not implement {method} /{path}"}
