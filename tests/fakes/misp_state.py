"""The data behind FakeMispServer: organisations, users and their keys, roles, feeds, events, sightings.

Modelled on the answers a real MISP 2.5.1 gave (../shared/misp/real-misp-2.5.1-transcript.jsonl; the contract
test tests/unit/ops/test_misp_fake_contract.py replays it against this model):

- numeric ids are allocated in order per kind (orgs, users, feeds, events, attributes, sightings, keys);
- advanced authkeys (misp-docker enforces `Security.advanced_authkeys`): a key a client chooses in
  `admin/users/add` or `auth_keys/add` is ignored, MISP makes its own and returns it once;
- any attribute add, edit or delete unpublishes its event and bumps the event's `timestamp`;
- publishing is a background job: with `publish_lag=s` it takes effect s seconds (of `clock`) after the
  request, as the prio worker does within 1-2 s; `publish_timestamp` is the time it was asked for;
- an event with distribution 0 is visible to its own organisation's users only (and site admins).
"""

from __future__ import annotations

import copy
import secrets
import time
import uuid as uuid_module
from collections.abc import Callable
from typing import Any

ROLES: list[dict[str, Any]] = [
    {
        "id": "1",
        "name": "admin",
        "perm_add": True,
        "perm_publish": True,
        "perm_sighting": True,
        "perm_site_admin": True,
        "perm_admin": True,
        "perm_auth": True,
        "perm_sync": True,
    },
    {
        "id": "2",
        "name": "Org Admin",
        "perm_add": True,
        "perm_publish": True,
        "perm_sighting": True,
        "perm_site_admin": False,
        "perm_admin": True,
        "perm_auth": True,
        "perm_sync": False,
    },
    {
        "id": "3",
        "name": "User",
        "perm_add": True,
        "perm_publish": False,
        "perm_sighting": True,
        "perm_site_admin": False,
        "perm_admin": False,
        "perm_auth": True,
        "perm_sync": False,
    },
    {
        "id": "4",
        "name": "Publisher",
        "perm_add": True,
        "perm_publish": True,
        "perm_sighting": True,
        "perm_site_admin": False,
        "perm_admin": False,
        "perm_auth": True,
        "perm_sync": False,
    },
    {
        "id": "5",
        "name": "Sync user",
        "perm_add": True,
        "perm_publish": True,
        "perm_sighting": True,
        "perm_site_admin": False,
        "perm_admin": False,
        "perm_auth": True,
        "perm_sync": True,
    },
    {
        "id": "6",
        "name": "Read Only",
        "perm_add": False,
        "perm_publish": False,
        "perm_sighting": False,
        "perm_site_admin": False,
        "perm_admin": False,
        "perm_auth": True,
        "perm_sync": False,
    },
]
EMBEDDED_EVENT_FIELDS = ("org_id", "distribution", "publish_timestamp", "id", "info", "orgc_id", "uuid")
NO_MATCH = "Could not add the Sighting. Reason: No valid attributes found that match the criteria."


def flag(value: Any) -> bool:
    return value is True or value in (1, "1", "true", "True")


def new_key() -> str:
    return secrets.token_urlsafe(30)[:40]


class MispState:
    """What a MISP instance holds, with the rules that decide what a user may see and do."""

    def __init__(
        self,
        admin_key: str,
        *,
        clock: Callable[[], float] = time.time,
        publish_lag: float = 0.0,
        admin_org: str = "ORGNAME",
    ) -> None:
        self.clock = clock
        self.publish_lag = publish_lag
        self.orgs: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, str] = {}  # key -> user id
        self.feeds: dict[str, dict[str, Any]] = {}
        self.events: dict[str, dict[str, Any]] = {}  # by id
        self.sightings: list[dict[str, Any]] = []
        self.decaying_model = False  # restSearch adds `decay_score` only when a decay model is enabled
        self.jobs: list[tuple[float, str, str]] = []  # (due, event id, publish_timestamp)
        self._ids: dict[str, int] = {}
        self.tag_ids: dict[str, str] = {}
        self.add_org(admin_org)
        self.add_user("admin@admin.test", org_id="1", role_id="1", key=admin_key)
        for name, url in (
            ("CIRCL OSINT Feed", "https://www.circl.lu/doc/misp/feed-osint"),
            ("The Botvrij.eu Data", "https://www.botvrij.eu/data/feed-osint"),
        ):
            self.add_feed(
                {
                    "name": name,
                    "url": url,
                    "provider": name,
                    "enabled": False,
                    "caching_enabled": False,
                    "default": True,
                }
            )

    def now(self) -> str:
        return str(int(self.clock()))

    def next_id(self, kind: str) -> str:
        self._ids[kind] = self._ids.get(kind, 0) + 1
        return str(self._ids[kind])

    # -- organisations, users, keys, feeds --------------------------------------------------------------

    def add_org(self, name: str, **fields: Any) -> dict[str, Any]:
        org_id = self.next_id("org")
        org = {
            "id": org_id,
            "name": name,
            "uuid": fields.pop("uuid", None) or str(uuid_module.uuid4()),
            "local": True,
            "created_by": "1",
            "sector": "",
            "nationality": "",
            "type": "",
            **fields,
        }
        self.orgs[org_id] = org
        return org

    def add_user(self, email: str, *, org_id: str, role_id: str, key: str | None = None) -> dict[str, Any]:
        user_id = self.next_id("user")
        user = {
            "id": user_id,
            "email": email,
            "org_id": str(org_id),
            "role_id": str(role_id),
            "change_pw": False,
            "disabled": False,
            "password": "******",
            "invited_by": "1",
            "date_created": self.now(),
            "date_modified": self.now(),
        }
        self.users[user_id] = user
        user["authkey"] = self.add_key(user_id, key)
        return user

    def add_key(self, user_id: str, key: str | None = None) -> str:
        """A new key for the user: the one given (as misp-docker's `cake User change_authkey` does), else
        a random one (as the REST API always does under advanced authkeys)."""
        key = key or new_key()
        self.keys[key] = user_id
        self.next_id("authkey")
        return key

    def user_of(self, key: str | None) -> dict[str, Any] | None:
        user_id = self.keys.get(key or "")
        user = self.users.get(user_id or "")
        return user if user and not user["disabled"] else None

    def role_of(self, user: dict[str, Any]) -> dict[str, Any]:
        return next(r for r in ROLES if r["id"] == user["role_id"])

    def add_feed(self, feed: dict[str, Any]) -> dict[str, Any]:
        feed_id = self.next_id("feed")
        row = {
            "id": feed_id,
            "name": feed.get("name"),
            "provider": feed.get("provider"),
            "url": feed.get("url"),
            "source_format": feed.get("source_format", "misp"),
            "enabled": flag(feed.get("enabled")),
            "caching_enabled": flag(feed.get("caching_enabled")),
            "default": flag(feed.get("default")),
            "distribution": "3" if flag(feed.get("default")) else "0",
            "input_source": "network",
            "event_id": "0",
            "orgc_id": "0",
        }
        self.feeds[feed_id] = row
        return row

    # -- events and attributes --------------------------------------------------------------------------

    def add_event(
        self,
        event: dict[str, Any],
        *,
        org_id: str = "1",
        published: bool | None = None,
        stamp_now: bool = False,
    ) -> dict[str, Any]:
        """Store an event (a copy) with MISP's own numeric ids; `stamp_now` gives it and its attributes the
        clock's time (events/add), otherwise the event's own timestamps are kept (an import)."""
        event = copy.deepcopy(event)
        event_id = self.next_id("event")
        now = self.now()
        event["id"] = event_id
        event.setdefault("uuid", str(uuid_module.uuid4()))
        event.setdefault("org_id", org_id)
        event.setdefault("orgc_id", event["org_id"])
        event.setdefault("distribution", "1")
        event.setdefault("threat_level_id", "4")
        event.setdefault("analysis", "0")
        for key in ("org_id", "orgc_id", "distribution", "threat_level_id", "analysis"):
            event[key] = str(event[key])
        if stamp_now or not event.get("timestamp"):
            event["timestamp"] = now
        is_published = flag(event.get("published", True)) if published is None else published
        event["published"] = is_published
        event["publish_timestamp"] = str(
            event.get("publish_timestamp") or (event["timestamp"] if is_published else "0")
        )
        for attribute in self._own_attributes(event):
            self._number(event, attribute, now if stamp_now else None)
        event["attribute_count"] = str(len(event.get("Attribute", [])))
        event["Tag"] = [self.tag(t) for t in event.get("Tag", [])]
        self.events[event_id] = event
        return event

    def _number(self, event: dict[str, Any], attribute: dict[str, Any], stamp: str | None) -> None:
        attribute["id"] = self.next_id("attribute")
        attribute["event_id"] = event["id"]
        attribute.setdefault("uuid", str(uuid_module.uuid4()))
        attribute.setdefault("object_id", "0")
        attribute.setdefault("object_relation", None)
        attribute.setdefault("category", "Network activity")
        attribute.setdefault("distribution", "5")
        attribute.setdefault("sharing_group_id", "0")
        attribute.setdefault("comment", "")
        attribute.setdefault("disable_correlation", False)
        attribute.setdefault("first_seen", None)
        attribute.setdefault("last_seen", None)
        attribute["to_ids"] = flag(attribute.get("to_ids"))
        attribute["deleted"] = flag(attribute.get("deleted"))
        if stamp is not None or not attribute.get("timestamp"):
            attribute["timestamp"] = stamp or event["timestamp"]
        attribute["timestamp"] = str(attribute["timestamp"])

    def tag(self, tag: dict[str, Any]) -> dict[str, Any]:
        """An event's tag as MISP stores it: with the instance's numeric id for that name."""
        name = str(tag.get("name"))
        if name not in self.tag_ids:
            self.tag_ids[name] = self.next_id("tag")
        return {
            "colour": "#ffffff",
            "exportable": True,
            "user_id": "0",
            "hide_tag": False,
            "numerical_value": None,
            "is_galaxy": False,
            "local": False,
            **tag,
            "id": self.tag_ids[name],
        }

    @staticmethod
    def _own_attributes(event: dict[str, Any]) -> list[dict[str, Any]]:
        found = list(event.get("Attribute", []))
        for misp_object in event.get("Object", []):
            found += misp_object.get("Attribute", [])
        return found

    def find_event(self, ref: str) -> dict[str, Any] | None:
        if ref in self.events:
            return self.events[ref]
        return next((e for e in self.events.values() if e.get("uuid") == ref), None)

    def attributes(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(event, attribute) for every attribute, objects' attributes included, in id order."""
        found = [(event, a) for event in self.events.values() for a in self._own_attributes(event)]
        return sorted(found, key=lambda pair: int(pair[1]["id"]))

    def find_attribute(self, ref: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        return next(((e, a) for e, a in self.attributes() if ref in (a["id"], a.get("uuid"))), None)

    def touch(self, event: dict[str, Any], stamp: str) -> None:
        """What MISP does to an event when one of its attributes changes: unpublished, timestamp bumped."""
        event["published"] = False
        event["timestamp"] = stamp

    def change_attribute(self, ref: str, **changes: Any) -> dict[str, Any]:
        found = self.find_attribute(ref)
        if found is None:
            raise KeyError(ref)
        event, attribute = found
        stamp = str(changes.pop("timestamp", None) or self.now())
        attribute.update(changes)
        attribute["timestamp"] = stamp
        self.touch(event, stamp)
        return attribute

    def add_attribute(self, event: dict[str, Any], attribute: dict[str, Any]) -> dict[str, Any]:
        attribute = dict(attribute)
        now = self.now()
        self._number(event, attribute, now)
        event.setdefault("Attribute", []).append(attribute)
        event["attribute_count"] = str(len(event["Attribute"]))
        self.touch(event, now)
        return attribute

    def queue_publish(self, event: dict[str, Any]) -> None:
        self.jobs.append((self.clock() + self.publish_lag, event["id"], self.now()))
        self.run_jobs()

    def run_jobs(self) -> None:
        for job in [j for j in self.jobs if j[0] <= self.clock()]:
            self.jobs.remove(job)
            event = self.events.get(job[1])
            if event is not None:
                event["published"] = True
                event["publish_timestamp"] = job[2]

    def visible(self, user: dict[str, Any], event: dict[str, Any]) -> bool:
        return (
            event.get("distribution") != "0"
            or event.get("org_id") == user["org_id"]
            or bool(self.role_of(user)["perm_site_admin"])
        )

    def embedded_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """The `Event` restSearch puts in each attribute: no threat_level_id (a real MISP 2.5.1 has none)."""
        return {key: event.get(key) for key in EMBEDDED_EVENT_FIELDS}
