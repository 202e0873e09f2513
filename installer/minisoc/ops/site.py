"""Where a rendered site keeps its files, as the operational commands see them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from minisoc.compose.runner import ComposeProject
from minisoc.durable import write_atomic
from minisoc.errors import UsageError

COMPOSE_FILE = "compose.yaml"
ENV_FILE = ".env"
# verify's last pass and up timings: data minisoc writes, never secrets
OPS_STATE_FILE = ".minisoc-state/ops.json"
ENGINE_LIMITS_FILE = ".minisoc-state/compose.engine-limits.yaml"  # see minisoc.ops.engine_limits


@dataclass(frozen=True)
class SiteFiles:
    site_dir: Path

    @property
    def compose_file(self) -> Path:
        return self.site_dir / COMPOSE_FILE

    @property
    def env_file(self) -> Path:
        return self.site_dir / ENV_FILE

    @property
    def state_file(self) -> Path:
        return self.site_dir / OPS_STATE_FILE

    def is_rendered(self) -> bool:
        return self.compose_file.is_file()

    @property
    def engine_limits_file(self) -> Path:
        return self.site_dir / ENGINE_LIMITS_FILE

    def project(self, name: str) -> ComposeProject:
        """The compose project: compose.yaml, plus the engine-limits override when `up` wrote one."""
        env = self.env_file if self.env_file.is_file() else None
        extra = (self.engine_limits_file,) if self.engine_limits_file.is_file() else ()
        return ComposeProject(name, (self.compose_file, *extra), env)

    def compose_document(self) -> dict[str, Any]:
        """The rendered compose.yaml as data (without variable interpolation)."""
        if not self.is_rendered():
            raise UsageError(
                f"{self.compose_file}: the site is not rendered",
                f"run `minisoc render {self.site_dir}` first",
            )
        loaded = yaml.safe_load(self.compose_file.read_text(encoding="utf-8"))
        if not isinstance(loaded, dict):
            raise UsageError(f"{self.compose_file}: not a compose file", "run `minisoc render` again")
        return loaded

    def service_images(self) -> dict[str, str]:
        """service name -> image of the rendered compose.yaml."""
        services = self.compose_document().get("services") or {}
        return {
            name: str(body["image"])
            for name, body in sorted(services.items())
            if isinstance(body, dict) and "image" in body
        }

    def read_state(self) -> dict[str, Any]:
        try:
            loaded = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def update_state(self, **values: Any) -> None:
        """Merge values into the ops state file (atomic and durable: see minisoc.durable)."""
        state = {**self.read_state(), **values}
        text = json.dumps(state, indent=2, sort_keys=True) + "\n"
        write_atomic(self.state_file, text.encode("utf-8"), mode=0o644)  # not a secret (see OPS_STATE_FILE)
