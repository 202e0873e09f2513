"""Analyst review of stored alerts (`minisoc alerts list/ack`): find the site's store, list, acknowledge.

The store is the one the site's correlator writes to (SITE_DIR/config/correlator/correlator.yaml, rendered by
`minisoc render`), a correlator.yaml given directly (inside the container), or a `--store` URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pydantic
import yaml

from minisoc.correlator.config import CorrelatorConfig
from minisoc.correlator.sinks.open import AlertRepository, open_configured_store, open_store_url
from minisoc.correlator.sinks.sightings import MispSightingSink, false_positive_sighting
from minisoc.correlator.typing import SinkUnavailable
from minisoc.errors import Problem, ProfileError, UsageError

SITE_CORRELATOR_CONFIG = Path("config") / "correlator" / "correlator.yaml"
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`15m`, `2h`, `7d`, `1w`, `30s` -> the UTC time that long ago."""
    found = _DURATION.match(text)
    if found is None:
        raise UsageError(
            f"--since {text!r}: not a duration", "use a number and a unit: 30s, 15m, 2h, 7d or 1w"
        )
    seconds = int(found.group(1)) * _UNIT_SECONDS[found.group(2)]
    return (now or datetime.now(UTC)) - timedelta(seconds=seconds)


def load_correlator_config(path: Path) -> CorrelatorConfig:
    """Read and validate a correlator.yaml; problems as `dotted.path: message` lines (exit 2)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(
            f"{path}: cannot read ({error.strerror or error})",
            "render the site first (`minisoc render SITE_DIR`) or pass --config",
        ) from None
    except yaml.YAMLError as error:
        raise UsageError(f"{path}: not valid YAML ({error})", "fix the file or render it again") from None
    try:
        return CorrelatorConfig.model_validate(document if document is not None else {})
    except pydantic.ValidationError as error:
        problems = [
            Problem(".".join(str(p) for p in item["loc"]) or "(root)", item["msg"]) for item in error.errors()
        ]
        raise ProfileError(problems, source=str(path)) from None


@dataclass
class ReviewTarget:
    """Where alerts are read from, and MISP settings for false-positive sightings (when known)."""

    store: AlertRepository
    config: CorrelatorConfig | None
    description: str


def open_review_target(
    site_dir: Path | None, store_url: str | None, config_path: Path | None
) -> ReviewTarget:
    if store_url:
        return ReviewTarget(open_store_url(store_url, create=False), None, store_url.split("://", 1)[0])
    path = config_path or (site_dir or Path.cwd()) / SITE_CORRELATOR_CONFIG
    if not path.is_file():
        raise UsageError(
            f"{path}: no correlator configuration here",
            "run `minisoc render SITE_DIR` first, or pass --store sqlite:///alerts.db "
            "or --store https://opensearch:9200",
        )
    config = load_correlator_config(path)
    return ReviewTarget(open_configured_store(config, create=False), config, config.sink.kind)


def list_recent(target: ReviewTarget, since: str | None, limit: int) -> list[dict[str, Any]]:
    return target.store.list_alerts(parse_since(since) if since else None, limit=limit)


@dataclass
class AckResult:
    alert: dict[str, Any]
    sighting: str  # "sent", "not sent: <why>", "not requested"


def acknowledge(target: ReviewTarget, alert_id: str, false_positive: bool) -> AckResult:
    """Mark the alert; for a false positive, also send a false-positive sighting when MISP is configured."""
    doc = target.store.ack(alert_id, false_positive=false_positive)
    if not false_positive:
        return AckResult(doc, "not requested")
    config = target.config
    if config is None or config.intel.misp is None or not config.sightings.enabled:
        return AckResult(doc, "not sent: no MISP configured for this store")
    try:
        MispSightingSink(config.intel.misp).add_sightings(
            [false_positive_sighting(doc, config.sightings.source)]
        )
    except (SinkUnavailable, UsageError) as error:
        return AckResult(doc, f"not sent: {error}")
    return AckResult(doc, "sent")
