"""Which image each service runs: profile override > lock file > pinned default (stacks/images.yaml).

`minisoc.lock` records, per service, the image reference and its digest once known (`minisoc images` may
fill digests in). With a lock present, a newer minisoc with newer default pins renders the same images.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from minisoc import __version__
from minisoc.errors import UsageError
from minisoc.profile.model import SERVICE_NAMES, ServiceName, SiteProfile
from minisoc.profile.types import IMAGE_PATTERN
from minisoc.resources import stacks_dir

DIGEST_PATTERN = r"^sha256:[a-f0-9]{64}$"


class LockedImage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    image: str = Field(pattern=IMAGE_PATTERN, description="name:tag (without digest)")
    digest: str | None = Field(None, pattern=DIGEST_PATTERN)

    @property
    def reference(self) -> str:
        """What compose.yaml names: name:tag@digest when the digest is known."""
        return f"{self.image}@{self.digest}" if self.digest else self.image


class LockFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    images: dict[ServiceName, LockedImage] = Field(default_factory=dict)


def default_images() -> dict[ServiceName, str]:
    """The pinned default image of every service (package data)."""
    data = yaml.safe_load((stacks_dir() / "images.yaml").read_text(encoding="utf-8"))
    return {service: str(data[service]).format(version=__version__) for service in SERVICE_NAMES}


def read_lock(lock_file: Path) -> LockFile | None:
    """The lock file of a site, or None when there is none."""
    if not lock_file.is_file():
        return None
    try:
        return LockFile.model_validate(yaml.safe_load(lock_file.read_text(encoding="utf-8")) or {})
    except (yaml.YAMLError, ValidationError) as error:
        raise UsageError(
            f"{lock_file}: not a valid minisoc lock file ({error.__class__.__name__})",
            "fix it, or delete it and run `minisoc render` to write a new one",
        ) from None


def resolve_images(profile: SiteProfile, lock: LockFile | None) -> LockFile:
    """The image (and digest, when known) of every enabled service."""
    defaults = default_images()
    locked = lock.images if lock is not None else {}
    resolved: dict[ServiceName, LockedImage] = {}
    for service in profile.enabled_services():
        override = profile.images.for_service(service)
        previous = locked.get(service)
        if override is not None:
            name, _, digest = override.partition("@")
            kept = previous.digest if previous is not None and previous.image == name else None
            resolved[service] = LockedImage(image=name, digest=digest or kept)
        elif previous is not None:
            resolved[service] = previous
        else:
            resolved[service] = LockedImage(image=defaults[service])
    return LockFile(images=resolved)


def format_lock(lock: LockFile) -> str:
    header = (
        "# minisoc.lock: the image of every service of this site, with its digest once known.\n"
        "# Written by `minisoc render`; keep it with minisoc.yaml to reproduce this deployment.\n"
    )
    body = {
        "version": lock.version,
        "images": {name: entry.model_dump() for name, entry in sorted(lock.images.items())},
    }
    return header + yaml.safe_dump(body, sort_keys=True, default_flow_style=False)
