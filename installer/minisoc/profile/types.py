"""Constrained scalar types of the profile schema (names, e-mail, interface, paths, durations, images)."""

from __future__ import annotations

import ipaddress
import re
from pathlib import PurePosixPath
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"
SITE_ID_PATTERN = r"^[a-z][a-z0-9]{5}$"  # starts with a letter: YAML never reads it as a number
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
IMAGE_PATTERN = (
    r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*"
    r":[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(?:@sha256:[a-f0-9]{64})?$"
)
_INTERFACE_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,14}$")
_DURATION_RE = re.compile(r"^([0-9]+)\s*(s|m|h|d)?$")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _check_interface(value: str) -> str:
    if "/" in value:
        raise ValueError("an interface name cannot contain '/'")
    if value in {".", ".."} or not _INTERFACE_RE.match(value):
        raise ValueError("not a network interface name (1-15 letters, digits, '_', '.', ':', '@' or '-')")
    return value


def _check_relative_path(value: PurePosixPath) -> PurePosixPath:
    if value.is_absolute():
        raise ValueError("an absolute path is not allowed here")
    if ".." in value.parts:
        raise ValueError("the path must stay inside SITE_DIR ('..' is not allowed)")
    if str(value) in {"", "."}:
        raise ValueError("the path must name a folder or file inside SITE_DIR, not SITE_DIR itself")
    return value


def _check_host_or_site_path(value: PurePosixPath) -> PurePosixPath:
    if ".." in value.parts:
        raise ValueError("'..' is not allowed in a path")
    if value.is_absolute():
        return value
    return _check_relative_path(value)


def _check_ip_address(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError("not an IP address (e.g. 127.0.0.1)") from None
    return value


def _parse_duration(value: object) -> object:
    if isinstance(value, str):
        match = _DURATION_RE.match(value.strip())
        if not match:
            raise ValueError("not a duration: use seconds, or a number with s, m, h or d (e.g. 90s, 5m, 1h)")
        return int(match.group(1)) * _DURATION_UNITS[match.group(2) or "s"]
    return value


Slug = Annotated[str, Field(pattern=SLUG_PATTERN, description="lower-case letters, digits and '-'")]
SiteId = Annotated[
    str, Field(pattern=SITE_ID_PATTERN, description="6 characters: a lower-case letter, then letters, digits")
]
Email = Annotated[str, Field(pattern=EMAIL_PATTERN, max_length=254)]
InterfaceName = Annotated[str, AfterValidator(_check_interface)]
SitePath = Annotated[
    PurePosixPath,
    AfterValidator(_check_relative_path),
    WithJsonSchema({"type": "string", "description": "a relative path inside SITE_DIR"}),
]
"""A relative path that stays inside SITE_DIR."""
HostOrSitePath = Annotated[
    PurePosixPath,
    AfterValidator(_check_host_or_site_path),
    WithJsonSchema({"type": "string", "description": "a path inside SITE_DIR, or an absolute host path"}),
]
"""A relative path inside SITE_DIR, or (only where the profile says so) an absolute host path."""
DurationSeconds = Annotated[
    int,
    BeforeValidator(_parse_duration),
    Field(ge=10, le=7 * 86400),
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer"}, {"type": "string", "pattern": r"^[0-9]+\s*[smhd]?$"}],
            "description": "seconds, or a number with s, m, h or d",
        }
    ),
]
ImageRef = Annotated[str, Field(pattern=IMAGE_PATTERN, description="name:tag or name:tag@sha256:<digest>")]
Port = Annotated[int, Field(ge=1, le=65535)]
BindAddress = Annotated[str, AfterValidator(_check_ip_address)]
