"""sensor.retention_days and sensor.zeek_intel in the profile: validated with a dotted path, rendered into the
correlator's config (housekeeping only when this site's Zeek writes the logs), the log mount writable then."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from minisoc.cli.main import main
from minisoc.render import render_site
from render_support import fixed_secret, site_from_template

VALID = "site: {name: lab, admin_email: soc@example.org}\n"


@pytest.mark.parametrize(
    ("sensor", "path"),
    [
        ("{retention_days: 0}", "sensor.retention_days"),
        ("{retention_days: 5000}", "sensor.retention_days"),
        ("{zeek_intel: {max_items: -1}}", "sensor.zeek_intel.max_items"),
        ("{zeek_intel: {policy: random}}", "sensor.zeek_intel.policy"),
        ("{zeek_intel: {budget: 5}}", "sensor.zeek_intel.budget"),
    ],
)
def test_bad_sensor_hygiene_settings_exit_2_with_their_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sensor: str, path: str
) -> None:
    (tmp_path / "minisoc.yaml").write_text(VALID + f"sensor: {sensor}\n", encoding="utf-8")
    assert main(["profile", "check", str(tmp_path)]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith(f"error: {path}: ")]
    assert errors and ("unknown key" in errors[0]) == path.endswith(".budget"), errors


def test_good_sensor_hygiene_settings_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sensor = "{retention_days: 14, zeek_intel: {max_items: 1000, policy: zeek_only_types}}"
    (tmp_path / "minisoc.yaml").write_text(VALID + f"sensor: {sensor}\n", encoding="utf-8")
    assert main(["profile", "check", str(tmp_path)]) == 0, capsys.readouterr().err


def rendered(tmp_path: Path, *assignments: str) -> tuple[dict[str, object], dict[str, object]]:
    site, profile = site_from_template(tmp_path, "small-site", *assignments)
    render_site(site, profile, secrets=fixed_secret)
    config = yaml.safe_load((site / "config" / "correlator" / "correlator.yaml").read_text())
    compose = yaml.safe_load((site / "compose.yaml").read_text())
    return config, compose["services"]["correlator"]


def log_mount(correlator: dict[str, object]) -> dict[str, object]:
    volumes = correlator["volumes"]
    assert isinstance(volumes, list)
    return next(volume for volume in volumes if volume["target"] == "/logs/zeek")


def test_a_live_sensor_has_its_rotated_logs_kept_by_the_correlator(tmp_path: Path) -> None:
    config, correlator = rendered(tmp_path, "sensor.retention_days=14")
    logs = config["logs"]
    assert isinstance(logs, dict)
    assert logs["housekeeping"]["retention_days"] == 14 and logs["housekeeping"]["compress"] is True
    assert log_mount(correlator)["read_only"] is False  # it gzips and deletes there


def test_an_external_sensors_logs_are_only_read(tmp_path: Path) -> None:
    config, correlator = rendered(tmp_path, "sensor.mode=external")
    logs = config["logs"]
    assert isinstance(logs, dict)
    assert logs["housekeeping"] is None
    assert log_mount(correlator)["read_only"] is True


def test_retention_shorter_than_the_retro_hunt_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "minisoc.yaml").write_text(
        VALID + "sensor: {retention_days: 3}\nintel: {retro_hunt_days: 7}\n", encoding="utf-8"
    )
    assert main(["profile", "check", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: sensor.retention_days: 3 days is shorter than intel.retro_hunt_days (7): the retro-hunt "
        "would miss the logs deleted before; hint: set sensor.retention_days to at least 7, or lower "
        "intel.retro_hunt_days"
    ]
    external = "sensor: {mode: external, retention_days: 3}\nintel: {retro_hunt_days: 7}\n"
    (tmp_path / "minisoc.yaml").write_text(VALID + external, encoding="utf-8")
    assert main(["profile", "check", str(tmp_path)]) == 0  # an external sensor's logs are not pruned here
