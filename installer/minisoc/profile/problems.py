"""Turn pydantic validation errors into `dotted.path: what is wrong; hint: how to fix` Problems."""

from __future__ import annotations

import difflib
import fnmatch
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from minisoc.errors import Problem

_TYPE_HINTS = {
    "int_parsing": "write a whole number without quotes",
    "int_type": "write a whole number",
    "int_from_float": "write a whole number",
    "float_parsing": "write a number",
    "float_type": "write a number",
    "bool_parsing": "write true or false",
    "bool_type": "write true or false",
    "string_type": "write a text value (quote it if YAML reads it as a number or boolean)",
    "list_type": "write a YAML list (lines starting with '- ')",
    "dict_type": "write a YAML mapping (key: value lines)",
    "model_type": "write a YAML mapping (key: value lines)",
    "missing": "add it; `minisoc profile sample` shows every field",
    "url_parsing": "write a full URL such as https://misp.example.org/",
    "url_scheme": "use an http:// or https:// URL",
}


_PATH_HINTS = {
    "site.name": "use lower-case letters, digits and '-', e.g. my-campus",
    "site.admin_email": "write an address such as soc@example.org",
    "sensor.interface": "use the name `ip link` shows, e.g. eth0 (no '/')",
    "sensor.log_dir": "use a folder relative to SITE_DIR, e.g. logs/zeek",
    "intel.local_feed_dir": "use a folder relative to SITE_DIR, e.g. feeds/local, or null",
    "intel.intel_files.*": "use a path relative to SITE_DIR, e.g. intel/blocklist.intel",
    "intel.warninglists.*": "use a path relative to SITE_DIR, e.g. warninglists/",
    "intel.feeds.*.name": "use lower-case letters, digits and '-', e.g. circl-osint",
    "intel.sync_interval": "write seconds or a duration between 10s and 7d, e.g. 5m",
    "images.*": "write name:tag or name:tag@sha256:<64 hex digits>, e.g. zeek/zeek:7.0.5",
    "ports.*.port": "use a TCP port between 1 and 65535",
    "ports.*.bind": "use an IP address such as 127.0.0.1",
    "site.topology": "write single or distributed",
    "site.host_links": "write ports (real hosts) or docker-network (every host on one Docker engine)",
    "hosts.*.name": "use lower-case letters, digits and '-', e.g. sensor1",
    "hosts.*.address": "write the DNS name or IP address the other hosts reach it at, e.g. 10.0.0.11",
    "hosts.*.roles": "list one or more of sensor, hub, storage",
    "hosts.*.roles.*": "use sensor, hub or storage",
}
_BOUND_HINTS = {
    "greater_than_equal": "use a value of at least {ge}",
    "greater_than": "use a value above {gt}",
    "less_than_equal": "use a value of at most {le}",
    "less_than": "use a value below {lt}",
}


def _hint(detail: ErrorDetails, loc: list[str], model: type[BaseModel]) -> str:
    pattern_path = ".".join("*" if part.isdigit() else part for part in loc)
    for pattern, hint in _PATH_HINTS.items():
        if fnmatch.fnmatchcase(pattern_path, pattern):
            return hint
    kind = detail["type"]
    if kind in _BOUND_HINTS:
        return _BOUND_HINTS[kind].format(**detail.get("ctx", {}))
    if kind in _TYPE_HINTS:
        return _TYPE_HINTS[kind]
    if kind == "literal_error":
        return f"use one of {detail.get('ctx', {}).get('expected', 'the allowed values')}"
    return _description(model, loc) or "`minisoc profile schema` shows what is allowed"


def problems_from_validation(error: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """One Problem per pydantic error, with a dotted path and a hint."""
    return [_problem(detail, model) for detail in error.errors(include_url=False)]


def _problem(detail: ErrorDetails, model: type[BaseModel]) -> Problem:
    loc = [str(part) for part in detail["loc"] if part != "[key]"]
    path = ".".join(loc) or "(top level)"
    kind = detail["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        close = difflib.get_close_matches(loc[-1], allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return Problem(path, "unknown key", hint + "allowed keys here: " + ", ".join(allowed))
    if "[key]" in [str(part) for part in detail["loc"]]:
        allowed_values = detail.get("ctx", {}).get("expected", "")
        return Problem(path, f"unknown name {loc[-1]!r}", f"use one of {allowed_values}")
    return Problem(path, _message(detail), _hint(detail, loc, model))


def _message(detail: ErrorDetails) -> str:
    text = detail["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        text = text.removeprefix(prefix)
    text = text[:1].lower() + text[1:]
    if detail["type"] == "string_pattern_mismatch":
        text = "does not have the expected form"
    given = detail.get("input")
    if detail["type"] != "missing" and isinstance(given, str | int | float | bool):
        shown = repr(given) if len(repr(given)) <= 80 else repr(given)[:77] + "..."
        text += f" (got {shown})"
    return text


def _submodel(model: type[BaseModel], path: list[str]) -> type[BaseModel] | None:
    """The model class reached by following `path` through fields (list indexes and dict keys skipped)."""
    current: Any = model
    for part in path:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = _field_by_key(current, part)
        if field is None:
            if part.isdigit():
                continue
            return None
        current = _inner_model(field.annotation)
        if current is None:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _field_by_key(model: type[BaseModel], key: str) -> Any:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field
    return None


def _inner_model(annotation: Any) -> Any:
    """The BaseModel inside X, X | None, list[X] or dict[K, X], else the annotation itself."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    return annotation


def _allowed_keys(model: type[BaseModel], path: list[str]) -> list[str]:
    found = _submodel(model, [part for part in path if not part.isdigit()] if path else [])
    if found is None:
        return []
    return sorted(field.alias or name for name, field in found.model_fields.items())


def _description(model: type[BaseModel], loc: list[str]) -> str | None:
    if not loc:
        return None
    parent = _submodel(model, [part for part in loc[:-1] if not part.isdigit()])
    if parent is None:
        return None
    field = _field_by_key(parent, loc[-1])
    description = getattr(field, "description", None)
    return description if isinstance(description, str) else None
