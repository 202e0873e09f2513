"""FakeMispServer: a NAMED FAKE of the MISP REST API (MISP itself, PHP + MySQL + Redis, cannot run here).

A stdlib http.server on 127.0.0.1 over `MispState` (tests/fakes/misp_state.py), answering the calls minisoc
makes the way a real MISP 2.5.1 answered them (../shared/misp/real-misp-2.5.1-transcript.jsonl; the contract
test tests/unit/ops/test_misp_fake_contract.py replays that transcript here and lists the calls it lacks):

- GET users/heartbeat (no key); PyMISP's constructor: servers/getPyMISPVersion.json, servers/getVersion,
  users/view/me, attributes/describeTypes.json
- provisioning: admin/organisations/add, roles/index, admin/users/add (the key asked for is ignored),
  auth_keys/add/<user> (`AuthKey.authkey_raw`, MISP's own key), admin/users/index, feeds/add, feeds/index,
  feeds/edit/<id>
- events/add, events/publish/<id|uuid> (a queued job), events/view/<id|uuid>, events/delete/<id|uuid> (its
  sightings with it: MISP's Event and Attribute models hold them as dependent rows),
  events/restSearch (metadata), attributes/add/<event>, attributes/edit/<id|uuid>, attributes/delete/<id>
  (soft): each change unpublishes its event
- attributes/restSearch: `timestamp`, `publish_timestamp`, `event_timestamp` (>=, or [from, to]),
  `published`, `to_ids`, `deleted` (absent/0: live only, [0, 1]: both, 1: deleted only), `type`, `value`,
  `eventid`, `page`/`limit` (id order), `includeEventTags`, `includeEventUuid`, `includeDecayScore` (only
  once a test marks an attribute `decayed`: MISP adds `decay_score` only with a decay model),
  `includeSightings`
- sightings/add (values: every matching attribute, the answer holds the last sighting only; none: HTTP 200
  with a `message`), sightings/add/<attribute id|uuid>, sightings/restSearch/<attribute|event> (numeric id,
  else 400 "Invalid ID")

What it cannot exercise: sharing groups and distribution beyond "0 = own org", correlation, the decay
model's scoring, other restSearch filters and formats, rate limits, feeds fetching.
Every request is recorded (method, path, JSON body) so tests can count what a sync fetched.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pymisp

from fakes.misp_routes import MispRoutes
from fakes.misp_state import MispState

DESCRIBE_TYPES = Path(pymisp.__file__).parent / "data" / "describeTypes.json"
AUTH_FAILED = (
    "Authentication failed. Please make sure you pass the API key of an API enabled user along in "
    "the Authorization header."
)


def _events_of(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, list):
        return [e for item in document for e in _events_of(item)]
    if isinstance(document, dict) and isinstance(document.get("Event"), dict):
        return [document["Event"]]
    if isinstance(document, dict) and isinstance(document.get("response"), list):
        return _events_of(document["response"])
    return [document] if isinstance(document, dict) and "Attribute" in document else []


class FakeMispServer(MispRoutes):
    """Start with `with FakeMispServer(event_files, key) as misp:`; `misp.url` is the base URL.

    `key` is the admin's key (user 1, org 1, site admin); `add_user` gives more users and keys."""

    def __init__(
        self,
        event_files: Iterable[Path],
        key: str,
        *,
        clock: Callable[[], float] | None = None,
        publish_lag: float = 0.0,
        admin_org: str = "ORGNAME",
    ) -> None:
        options: dict[str, Any] = {"publish_lag": publish_lag, "admin_org": admin_org}
        if clock is not None:
            options["clock"] = clock
        super().__init__(MispState(key, **options))
        self.key = key
        for path in event_files:
            for event in _events_of(json.loads(path.read_text(encoding="utf-8"))):
                self.state.add_event(event)
        self.requests: list[tuple[str, str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def sightings(self) -> list[dict[str, Any]]:
        return self.state.sightings

    def __enter__(self) -> FakeMispServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- data changes made by tests ------------------------------------------------------------------------

    def add_event(self, event: dict[str, Any], **options: Any) -> dict[str, Any]:
        return self.state.add_event(event, **options)

    def attributes(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return self.state.attributes()

    def update_attribute(self, uuid: str, timestamp: int, **changes: Any) -> None:
        """Change an attribute as an analyst would (its event is unpublished); `republish` afterwards."""
        if "decayed" in changes:
            self.state.decaying_model = True
        self.state.change_attribute(uuid, timestamp=timestamp, **changes)

    def republish(self, event_ref: str, at: int | None = None) -> None:
        event = self.state.find_event(event_ref)
        if event is None:
            raise KeyError(event_ref)
        event["published"] = True
        event["publish_timestamp"] = str(at if at is not None else self.state.now())

    def search_attributes(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        return self.rest_search(self.state.users["1"], query)

    # -- HTTP ----------------------------------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any, key: str | None) -> tuple[int, Any]:
        """One request as the HTTP handler serves it (also called directly by the contract test)."""
        path = path.split("?", 1)[0].strip("/")
        with self._lock:
            self.requests.append((method, path, body))
            self.state.run_jobs()
            if path == "users/heartbeat":
                return 200, {"message": "We require more minerals."}
            user = self.state.user_of(key)
            if user is None:
                return 403, {"name": AUTH_FAILED, "message": AUTH_FAILED, "url": f"/{path}"}
            if path == "attributes/describeTypes.json":
                return 200, json.loads(DESCRIBE_TYPES.read_text(encoding="utf-8"))
            status, reply = self.answer(user, method, path, body)
            return status, copy.deepcopy(reply)  # a snapshot, as on the wire: later changes do not show

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _route(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null") if length else None
                status, reply = server.request(method, self.path, body, self.headers.get("Authorization"))
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

            def do_HEAD(self) -> None:  # what `doctor` sends to read MISP's clock (no key, no body)
                self.send_response(200 if self.path.strip("/") == "users/heartbeat" else 403)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler
