"""`minisoc profile sample`: every field of the profile with its default and description, as commented YAML,
generated from the schema itself (so it cannot drift from it).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from minisoc.profile.model import SiteProfile

# Values for the fields a site must choose (no default): valid examples.
_REQUIRED_EXAMPLES: dict[str, object] = {"site.name": "my-site", "site.admin_email": "soc@example.org"}


def sample_profile() -> str:
    lines = [
        "# minisoc site profile: every field with its default (docs/profile.md explains each).",
        "# Fields marked (required) have no default; the value shown is an example.",
    ]
    lines += _model_lines(SiteProfile, prefix="", indent=0)
    return "\n".join(lines) + "\n"


def _model_lines(model: type[BaseModel], prefix: str, indent: int) -> list[str]:
    lines: list[str] = []
    pad = "  " * indent
    for name, field in model.model_fields.items():
        key = field.alias or name
        dotted = f"{prefix}{key}"
        comment = field.description or ""
        nested = _nested_model(field.annotation)
        if nested is not None and field.default is not None:
            if comment:
                lines.append(f"{pad}# {comment}")
            lines.append(f"{pad}{key}:")
            lines += _model_lines(nested, prefix=f"{dotted}.", indent=indent + 1)
            continue
        if field.is_required():
            value: object = _REQUIRED_EXAMPLES.get(dotted, "")
            comment = f"(required) {comment}".strip()
        elif field.default_factory is not None:
            value = field.default_factory()  # type: ignore[call-arg]
        else:
            value = field.default
        rendered = _scalar(value)
        lines.append(f"{pad}{key}: {rendered}" + (f"  # {comment}" if comment else ""))
    return lines


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _scalar(value: object) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True)
    if isinstance(value, PurePosixPath):
        value = str(value)
    if value is PydanticUndefined:
        value = None
    text = yaml.safe_dump(value, default_flow_style=True, width=1000).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()
