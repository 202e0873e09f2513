"""The answers of FakeMispServer, route by route, in the shapes a real MISP 2.5.1 gave (misp_server.py)."""

from __future__ import annotations

import re
import uuid as uuid_module
from typing import Any

import pymisp

from fakes.misp_state import NO_MATCH, ROLES, MispState, flag

Reply = tuple[int, Any]


def _forbidden(path: str) -> Reply:
    message = "You do not have permission to use this functionality."
    return 403, {"name": message, "message": message, "url": f"/{path}"}


def _not_found(path: str, what: str) -> Reply:
    return 404, {"name": f"Invalid {what}", "message": f"Invalid {what}", "url": f"/{path}"}


def _job(path: str, event_id: str) -> Reply:
    return 200, {
        "saved": True,
        "success": True,
        "name": "Job queued",
        "message": "Job queued",
        "url": f"/{path.rsplit('/', 1)[0]}/{event_id}",
        "id": event_id,
    }


def _in_range(value: Any, bound: Any) -> bool:
    """restSearch's timestamp filters: `>= bound`, or within [from, to]."""
    when = int(value or 0)
    if isinstance(bound, list):
        return int(bound[0]) <= when <= int(bound[1])
    return when >= int(bound)


class MispRoutes:
    def __init__(self, state: MispState) -> None:
        self.state = state

    def answer(self, user: dict[str, Any], method: str, path: str, body: Any) -> Reply:
        role = self.state.role_of(user)
        body = body if isinstance(body, dict) else {}
        parts = path.split("/")
        if path == "servers/getPyMISPVersion.json":
            return 200, {"version": pymisp.__version__}
        if path == "servers/getVersion":
            return 200, {
                "version": "2.5.1",
                "pymisp_recommended_version": "2.5.1",
                "perm_sync": role["perm_sync"],
                "perm_sighting": role["perm_sighting"],
                "perm_galaxy_editor": False,
                "request_encoding": ["gzip", "br"],
                "filter_sightings": True,
            }
        if path == "users/view/me":
            return 200, {
                "User": {k: v for k, v in user.items() if k != "authkey"},
                "Role": role,
                "UserSetting": [],
                "Organisation": self.state.orgs[user["org_id"]],
            }
        if path == "roles/index":
            return 200, [{"Role": dict(r)} for r in ROLES]
        if parts[0] == "admin" and not role["perm_site_admin"]:
            return _forbidden(path)
        if path == "admin/organisations/add" and method == "POST":
            fields = {k: body[k] for k in ("local", "nationality", "sector", "uuid") if k in body}
            return 200, {"Organisation": self.state.add_org(str(body.get("name")), **fields)}
        if path == "admin/users/add" and method == "POST":
            # advanced authkeys: an `authkey` in the request is ignored, MISP makes its own
            created = self.state.add_user(
                str(body.get("email")),
                org_id=str(body.get("org_id") or user["org_id"]),
                role_id=str(body.get("role_id") or "3"),
            )
            return 200, {"User": dict(created)}
        if path == "admin/users/index":
            return 200, [
                {
                    "User": {k: v for k, v in u.items() if k != "authkey"},
                    "Role": {
                        k: v
                        for k, v in self.state.role_of(u).items()
                        if k in ("id", "name", "perm_auth", "perm_site_admin", "perm_admin")
                    },
                    "Organisation": {k: self.state.orgs[u["org_id"]][k] for k in ("id", "name")},
                }
                for u in self.state.users.values()
            ]
        if parts[0] == "auth_keys" and parts[1:2] == ["add"] and method == "POST":
            return self._add_key(user, role, parts[2] if len(parts) > 2 else user["id"], body)
        if parts[0] == "feeds":
            return self._feeds(role, method, path, body)
        if parts[0] == "events":
            return self._events(user, role, method, path, body)
        if parts[0] == "attributes":
            return self._attributes(user, role, method, path, body)
        if parts[0] == "sightings":
            return self._sightings(user, role, method, path, body)
        return 404, {"errors": f"fake MISP does not implement {method} /{path}"}

    def _add_key(self, user: dict[str, Any], role: dict[str, Any], owner: str, body: dict[str, Any]) -> Reply:
        if owner != user["id"] and not role["perm_site_admin"]:
            return _forbidden(f"auth_keys/add/{owner}")
        if owner not in self.state.users:
            return _not_found(f"auth_keys/add/{owner}", "user")
        raw = self.state.add_key(owner)  # the `authkey` asked for is ignored: MISP makes its own
        return 200, {
            "AuthKey": {
                "id": str(self.state._ids["authkey"]),
                "uuid": str(uuid_module.uuid4()),
                "user_id": owner,
                "authkey_start": raw[:4],
                "authkey_end": raw[-4:],
                "created": self.state.now(),
                "expiration": "0",
                "read_only": False,
                "comment": body.get("comment", ""),
                "allowed_ips": None,
                "unique_ips": [],
                "authkey_raw": raw,
            }
        }

    def _feeds(self, role: dict[str, Any], method: str, path: str, body: dict[str, Any]) -> Reply:
        if not role["perm_site_admin"]:
            return _forbidden(path)
        if path == "feeds/index":
            return 200, [{"Feed": dict(f)} for f in self.state.feeds.values()]
        if path == "feeds/add" and method == "POST":
            return 200, {"Feed": self.state.add_feed(body.get("Feed", body))}
        match = re.fullmatch(r"feeds/edit/(\d+)", path)
        if match and method == "POST" and match[1] in self.state.feeds:
            feed = self.state.feeds[match[1]]
            feed.update({k: v for k, v in body.get("Feed", body).items() if k != "id"})
            return 200, {"Feed": dict(feed)}
        return _not_found(path, "feed")

    def _events(
        self, user: dict[str, Any], role: dict[str, Any], method: str, path: str, body: dict[str, Any]
    ) -> Reply:
        parts = path.split("/")
        if path == "events/add" and method == "POST":
            event = self.state.add_event(
                body.get("Event", body), org_id=user["org_id"], published=False, stamp_now=True
            )
            return 200, {"Event": event}
        if path == "events/restSearch" and method == "POST":
            wanted = (
                {str(i) for i in (body.get("eventid") or [])}
                if isinstance(body.get("eventid"), list)
                else ({str(body["eventid"])} if body.get("eventid") else None)
            )
            found = [
                {"Event": {k: v for k, v in e.items() if k not in ("Attribute", "Object")}}
                for e in self.state.events.values()
                if self.state.visible(user, e) and (wanted is None or e["id"] in wanted)
            ]
            return 200, {"response": found}
        event = self.state.find_event(parts[-1]) if len(parts) == 3 else None
        if event is None or not self.state.visible(user, event):
            return _not_found(path, "event")
        if parts[1] == "view":
            return 200, {"Event": self._view(event)}
        if parts[1] == "publish" and method == "POST":
            if not role["perm_publish"]:
                return _forbidden(path)
            self.state.queue_publish(event)
            return _job(path, event["id"])
        if parts[1] == "delete" and method == "POST":
            del self.state.events[event["id"]]
            # MISP's Event and Attribute models hold sightings as dependent rows: they go with the event
            self.state.sightings[:] = [s for s in self.state.sightings if s.get("event_id") != event["id"]]
            return 200, {
                "saved": True,
                "success": True,
                "name": "Event deleted.",
                "message": "Event deleted.",
                "url": f"/events/delete/{event['id']}",
                "id": event["id"],
            }
        return _not_found(path, "event")

    def _view(self, event: dict[str, Any]) -> dict[str, Any]:
        """events/view: soft-deleted attributes hidden, each attribute with its sightings (if any)."""
        shown = dict(event)
        shown["Attribute"] = [
            dict(a, Sighting=self._sightings_of(a)) if self._sightings_of(a) else a
            for a in event.get("Attribute", [])
            if not a.get("deleted")
        ]
        return shown

    def _sightings_of(self, attribute: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            dict({k: v for k, v in s.items() if k != "value"}, Organisation=self._org_ref(s["org_id"]))
            for s in self.state.sightings
            if s.get("attribute_id") == attribute["id"]
        ]

    def _attributes(
        self, user: dict[str, Any], role: dict[str, Any], method: str, path: str, body: dict[str, Any]
    ) -> Reply:
        parts = path.split("/")
        if path == "attributes/restSearch" and method == "POST":
            return 200, {"response": {"Attribute": self.rest_search(user, body)}}
        if len(parts) != 3 or method != "POST":
            return _not_found(path, "attribute")
        if parts[1] == "add":
            event = self.state.find_event(parts[2])
            if event is None or not self.state.visible(user, event):
                return _not_found(path, "event")
            added = self.state.add_attribute(event, body.get("Attribute", body))
            return 200, {"Attribute": dict(added, value1=added.get("value"), value2=""), "AttributeTag": []}
        found = self.state.find_attribute(parts[2])
        if found is None or not self.state.visible(user, found[0]):
            return _not_found(path, "attribute")
        if parts[1] == "edit":
            changes = {
                k: v for k, v in body.get("Attribute", body).items() if k in ("to_ids", "value", "comment")
            }
            if "to_ids" in changes:
                changes["to_ids"] = flag(changes["to_ids"])
            return 200, {"Attribute": dict(self.state.change_attribute(parts[2], **changes))}
        if parts[1] == "delete":
            self.state.change_attribute(parts[2], deleted=True)
            return 200, {"message": "Attribute deleted."}
        return _not_found(path, "attribute")

    def rest_search(self, user: dict[str, Any], query: dict[str, Any]) -> list[dict[str, Any]]:
        deleted = query.get("deleted")
        wanted_deleted = {False, True} if isinstance(deleted, list) else {flag(deleted)}
        rows = []
        for event, attribute in self.state.attributes():
            if not self.state.visible(user, event):
                continue
            if query.get("timestamp") and not _in_range(attribute.get("timestamp"), query["timestamp"]):
                continue
            if query.get("publish_timestamp") and not _in_range(
                event.get("publish_timestamp"), query["publish_timestamp"]
            ):
                continue
            if query.get("event_timestamp") and not _in_range(
                event.get("timestamp"), query["event_timestamp"]
            ):
                continue
            if query.get("published") is not None and flag(event.get("published")) != flag(
                query["published"]
            ):
                continue
            if query.get("to_ids") is not None and flag(attribute.get("to_ids")) != flag(query["to_ids"]):
                continue
            if flag(attribute.get("deleted")) not in wanted_deleted:
                continue
            if query.get("type") and attribute.get("type") != query["type"]:
                continue
            if query.get("value") and attribute.get("value") != query["value"]:
                continue
            if query.get("eventid") and event["id"] not in {
                str(i)
                for i in (query["eventid"] if isinstance(query["eventid"], list) else [query["eventid"]])
            }:
                continue
            rows.append(self._row(event, attribute, query))
        limit = int(query.get("limit") or 0)
        if limit:
            page = max(1, int(query.get("page") or 1))
            rows = rows[(page - 1) * limit : page * limit]
        return rows

    def _row(self, event: dict[str, Any], attribute: dict[str, Any], query: dict[str, Any]) -> dict[str, Any]:
        row = {k: v for k, v in attribute.items() if k not in ("decayed", "Tag", "Sighting")}
        if flag(query.get("includeSightings")):
            row["Sighting"] = self._sightings_of(attribute)
        if flag(query.get("includeEventUuid")):
            row["event_uuid"] = event.get("uuid")
        row["Event"] = self.state.embedded_event(event)
        tags = list(attribute.get("Tag", []))
        if flag(query.get("includeEventTags")):
            names = {t.get("name") for t in tags}
            tags += [
                {k: t.get(k) for k in ("id", "name", "colour", "numerical_value")} | {"inherited": 1}
                for t in event.get("Tag", [])
                if t.get("name") not in names
            ]
        if tags:
            row["Tag"] = tags
        if self.state.decaying_model and flag(query.get("includeDecayScore")):
            row["decay_score"] = [
                {
                    "score": 0 if attribute.get("decayed") else 80,
                    "decayed": bool(attribute.get("decayed")),
                    "DecayingModel": {"id": "1", "name": "fake"},
                }
            ]
        return row

    def _sightings(
        self, user: dict[str, Any], role: dict[str, Any], method: str, path: str, body: dict[str, Any]
    ) -> Reply:
        parts = path.split("/")
        if parts[1] == "add" and method == "POST":
            if not role["perm_sighting"]:
                return _forbidden(path)
            if len(parts) == 3:
                found = self.state.find_attribute(parts[2])
                targets = [found] if found and self.state.visible(user, found[0]) else []
            else:
                values = set(body.get("values") or [])
                targets = [
                    (e, a)
                    for e, a in self.state.attributes()
                    if a.get("value") in values and not a.get("deleted") and self.state.visible(user, e)
                ]
            if not targets:
                return 200, {"message": NO_MATCH}  # HTTP 200 and no `errors`: a refusal all the same
            made = [self._sighting(user, e, a, body) for e, a in targets]
            return 200, {"Sighting": made[-1]}  # a real MISP answers with the last sighting only
        if parts[1] == "restSearch" and len(parts) == 3 and method == "POST":
            ref = str(body.get("id", ""))
            if not ref.isdecimal():
                message = f"Invalid ID `{ref}` provided."
                return 400, {"name": message, "message": message, "url": f"/{path}"}
            key = "attribute_id" if parts[2] == "attribute" else "event_id"
            return 200, {
                "response": [
                    {
                        "Sighting": dict(
                            {k: v for k, v in s.items() if k != "attribute_uuid"},
                            Organisation=self._org_ref(s["org_id"]),
                        )
                    }
                    for s in self.state.sightings
                    if s.get(key) == ref
                ]
            }
        return _not_found(path, "sighting")

    def _sighting(
        self, user: dict[str, Any], event: dict[str, Any], attribute: dict[str, Any], body: dict[str, Any]
    ) -> dict[str, Any]:
        sighting = {
            "id": self.state.next_id("sighting"),
            "attribute_id": attribute["id"],
            "event_id": event["id"],
            "org_id": user["org_id"],
            "date_sighting": str(body.get("timestamp") or self.state.now()),
            "uuid": f"sighting-{len(self.state.sightings) + 1}",
            "source": body.get("source", ""),
            "type": str(body.get("type", "0")),
            "value": attribute.get("value"),
            "attribute_uuid": attribute.get("uuid"),
        }
        self.state.sightings.append(sighting)
        return {k: v for k, v in sighting.items() if k not in ("value", "attribute_uuid")}

    def _org_ref(self, org_id: str) -> dict[str, Any]:
        org = self.state.orgs[org_id]
        return {"id": org["id"], "uuid": org["uuid"], "name": org["name"]}
