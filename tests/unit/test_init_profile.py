"""`minisoc init` and `minisoc profile schema|sample`: templates, --set edits, comments kept, no overwrite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minisoc.cli.main import main
from minisoc.profile.load import load_profile, parse_profile
from minisoc.profile.model import SiteProfile


@pytest.mark.parametrize("template", ["small-site", "training-lab", "reference", "ci"])
def test_init_writes_a_valid_commented_profile(
    tmp_path: Path, template: str, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    assert main(["init", str(site), "--template", template, "--non-interactive"]) == 0
    text = (site / "minisoc.yaml").read_text()
    assert text.startswith(f"# minisoc site profile (template: {template})")
    assert load_profile(site).version == 1
    assert f"wrote {site / 'minisoc.yaml'}" in capsys.readouterr().out


def test_set_values_are_applied_with_comments_kept(tmp_path: Path) -> None:
    site = tmp_path / "site"
    code = main(
        [
            "init",
            str(site),
            "--template",
            "small-site",
            "--non-interactive",
            "--set",
            "site.name=campus-a",
            "--set",
            "opensearch.heap_mb=2048",
            "--set",
            "ports.misp.expose=true",
            "--set",
            "intel.misp.url=https://misp.example.org/",
        ]
    )
    assert code == 0
    text = (site / "minisoc.yaml").read_text()
    assert "# short name (lower-case, digits, '-')" in text
    assert "# JVM heap; the container is limited to twice this" in text
    profile = load_profile(site)
    assert (profile.site.name, profile.opensearch.heap_mb) == ("campus-a", 2048)
    assert profile.ports.misp is not None and profile.ports.misp.expose
    assert str(profile.intel.misp.url) == "https://misp.example.org/"
    assert not profile.runs_local_misp


def test_bad_set_value_is_refused_with_its_dotted_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    code = main(
        [
            "init",
            str(site),
            "--template",
            "ci",
            "--non-interactive",
            "--set",
            "sensor.interface=eth0/1",
            "--set",
            "opensearch.heap_size=1g",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err.splitlines()
    assert (
        "error: sensor.interface: an interface name cannot contain '/' (got 'eth0/1'); "
        "hint: use the name `ip link` shows, e.g. eth0 (no '/')" in err
    )
    assert any(
        line.startswith("error: opensearch.heap_size: unknown key; hint: did you mean 'heap_mb'?")
        for line in err
    )
    assert not (site / "minisoc.yaml").exists()
    assert main(["init", str(site), "--template", "ci", "--non-interactive", "--set", "nonsense"]) == 2
    assert "expected dotted.key=value" in capsys.readouterr().err


def test_init_refuses_to_overwrite_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    assert main(["init", str(site), "--template", "ci", "--non-interactive"]) == 0
    (site / "minisoc.yaml").write_text((site / "minisoc.yaml").read_text() + "# my notes\n")
    assert main(["init", str(site), "--template", "small-site", "--non-interactive"]) == 2
    assert "a site profile exists already; hint: edit it, or pass --force" in capsys.readouterr().err
    assert "# my notes" in (site / "minisoc.yaml").read_text()
    assert main(["init", str(site), "--template", "small-site", "--non-interactive", "--force"]) == 0
    assert "# my notes" not in (site / "minisoc.yaml").read_text()


def test_unknown_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "s"), "--template", "huge", "--non-interactive"]) == 2
    hint = "hint: use one of ci, first-contact, reference, small-site, training-lab"
    assert hint in capsys.readouterr().err


def test_schema_is_json_and_lists_the_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert set(schema["properties"]) == {
        "version",
        "site",
        "sensor",
        "intel",
        "opensearch",
        "correlator",
        "resources",
        "ports",
        "images",
        "security",
    }
    assert schema["additionalProperties"] is False
    defs = schema["$defs"]
    assert set(defs["Images"]["properties"]) >= {"misp-core", "zeek", "opensearch"}
    assert defs["PortBinding"]["properties"]["port"]["maximum"] == 65535


def test_sample_lists_every_field_and_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "sample"]) == 0
    sample = capsys.readouterr().out
    profile = parse_profile(sample)
    assert profile == SiteProfile.model_validate(
        {"site": {"name": "my-site", "admin_email": "soc@example.org"}}
    )
    for key in ("retro_hunt_days:", "heap_mb:", "cert_validity_days:", "local_feed_dir:", "misp-core:"):
        assert key in sample
