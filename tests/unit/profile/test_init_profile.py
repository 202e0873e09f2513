"""`minisoc init` and `minisoc profile schema|sample`: templates, --set edits, comments kept, no overwrite."""

from __future__ import annotations

import json
import os
import pty
import select
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import minisoc
from minisoc.cli import build_app
from minisoc.cli.main import main
from minisoc.profile import SiteProfile, load_profile, parse_profile


@pytest.mark.parametrize("template", ["small-site", "training-lab", "reference", "ci"])
def test_init_writes_a_valid_commented_profile(
    tmp_path: Path, template: str, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    assert main(["init", str(site), "--template", template, "--non-interactive"]) == 0
    text = (site / "minisoc.yaml").read_text()
    assert text.startswith(f"# minisoc site profile (template: {template})")
    assert load_profile(site).version == 1
    out = capsys.readouterr().out
    assert f"wrote {site / 'minisoc.yaml'}" in out
    assert f"next: minisoc up {site}" in out  # the quick start's next step: up renders, starts, provisions


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


@pytest.mark.parametrize("blocker", ["profile-is-a-folder", "site-dir-is-a-file"])
def test_init_force_on_the_wrong_kind_of_path_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], blocker: str
) -> None:
    site = tmp_path / "site"
    if blocker == "profile-is-a-folder":
        (site / "minisoc.yaml").mkdir(parents=True)
        (site / "minisoc.yaml" / "notes.txt").write_text("mine")
    else:
        site.write_text("not a folder")
    assert main(["init", str(site), "--template", "ci", "--non-interactive", "--force"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "; hint: " in err[0], err
    assert ("is a folder, not a file" if blocker == "profile-is-a-folder" else "is not a folder") in err[0]
    if blocker == "profile-is-a-folder":
        assert (site / "minisoc.yaml" / "notes.txt").read_text() == "mine"  # nothing of the user's is lost
    else:
        assert site.read_text() == "not a folder"


def test_unknown_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "s"), "--template", "huge", "--non-interactive"]) == 2
    hint = (
        "hint: use one of ci, distributed, distributed-ci, first-contact, reference, small-site, "
        "training-lab"
    )
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
        "inputs",
        "resources",
        "ports",
        "images",
        "security",
        "kafka",
        "hosts",
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


def _interactive_init(site: Path, template: str, answers: list[str], *extra: str) -> Result:
    """`minisoc init --interactive` answering `answers` (one line each) as a user would."""
    runner = CliRunner()
    return runner.invoke(
        build_app(), ["init", str(site), "--template", template, "--interactive", *extra],
        input="".join(f"{line}\n" for line in answers),
    )


@pytest.mark.parametrize("template", ["small-site", "training-lab", "reference", "ci"])
def test_interactive_defaults_are_the_templates_values(tmp_path: Path, template: str) -> None:
    """Pressing Enter at every question writes the template as it is (ci: name ci, 3072 MB, no Dashboards)."""
    assert main(["init", str(tmp_path / "plain"), "--template", template, "--non-interactive"]) == 0
    result = _interactive_init(tmp_path / "asked", template, [""] * 12)
    assert result.exit_code == 0, result.output
    asked, plain = load_profile(tmp_path / "asked"), load_profile(tmp_path / "plain")
    unique = {"site": {"id"}}  # a per-site random id, where profiles have one
    assert asked.model_dump(exclude=unique) == plain.model_dump(exclude=unique)
    written = (tmp_path / "asked" / "minisoc.yaml").read_text()
    assert written.startswith(f"# minisoc site profile (template: {template})")
    if template == "ci":
        profile = load_profile(tmp_path / "asked")
        assert (profile.site.name, profile.resources.ram_budget_mb) == ("ci", 3072)
        assert not profile.opensearch.dashboards.enabled
        assert "[ci]" in result.output and "[3072]" in result.output


def test_each_answer_is_checked_when_given_and_asked_again(tmp_path: Path) -> None:
    """A bad answer is reported with its dotted path and hint and asked again; the good answers are kept."""
    answers = [
        "My Site", "campus-a",  # site name: refused, then accepted
        "y", "eth0/1", "y", "eth1",  # live capture: a bad interface, then a good one
        "y",  # MISP on: the ci budget no longer fits, left to the RAM question
        "", "",  # OpenSearch yes, Dashboards no (the template's values)
        "4000", "9000",  # too small for the services now enabled, then enough
        "not-an-email", "soc@campus.example",
    ]
    result = _interactive_init(tmp_path / "site", "ci", answers)
    assert result.exit_code == 0, result.output
    assert (
        "site.name: does not have the expected form (got 'My Site'); "
        "hint: use lower-case letters, digits and '-', e.g. my-campus" in result.output
    )
    assert "sensor.interface: an interface name cannot contain '/' (got 'eth0/1')" in result.output
    assert "resources.ram_budget_mb: the enabled services need 5696 MB" in result.output
    assert "more than the budget of 4000 MB" in result.output
    assert "site.admin_email: does not have the expected form (got 'not-an-email')" in result.output
    profile = load_profile(tmp_path / "site")
    assert (profile.site.name, profile.site.admin_email) == ("campus-a", "soc@campus.example")
    assert (profile.sensor.mode, profile.sensor.interface) == ("live", "eth1")
    assert profile.runs_local_misp and not profile.opensearch.dashboards.enabled
    assert profile.resources.ram_budget_mb == 9000
    text = (tmp_path / "site" / "minisoc.yaml").read_text()
    assert "log_dir: logs/zeek               # tests write Zeek logs here" in text  # comments kept


def test_a_text_answer_stays_text(tmp_path: Path) -> None:
    """`yes`, `8192` or `null` typed as a site name is that name (YAML would read true, 8192, null)."""
    for name in ("yes", "8192", "null"):
        site = tmp_path / name
        result = _interactive_init(site, "ci", [name, *[""] * 10])
        assert result.exit_code == 0, result.output
        assert load_profile(site).site.name == name


def test_set_values_are_the_questions_defaults(tmp_path: Path) -> None:
    """--set is applied first: its values are offered as defaults (and a bad --set asks nothing)."""
    result = _interactive_init(tmp_path / "site", "ci", [""] * 12, "--set", "resources.ram_budget_mb=4096")
    assert result.exit_code == 0, result.output
    assert "[4096]" in result.output
    assert load_profile(tmp_path / "site").resources.ram_budget_mb == 4096
    assert main(["init", str(tmp_path / "bad"), "-t", "ci", "--interactive", "--set", "site.name=A B"]) == 2
    assert not (tmp_path / "bad").exists()


def test_init_asks_on_a_real_terminal(tmp_path: Path) -> None:
    """Without --interactive, on a terminal (a pty here) `init` asks; answers typed there are used."""
    site = tmp_path / "site"
    env = {**os.environ, "PYTHONPATH": str(Path(minisoc.__file__).parent.parent), "TERM": "dumb"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: the CLI on the pty
        os.execve(sys.executable, [sys.executable, "-m", "minisoc", "init", str(site), "-t", "ci"], env)
    transcript = b""
    answers = ["yes", "", "", "", "", "4096", ""]  # name, capture, MISP, OpenSearch, Dashboards, RAM, e-mail
    answered = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        transcript += chunk
        while answered < transcript.count(b"]: "):  # every prompt ends so: `Question [default]: `
            os.write(fd, (answers[answered] if answered < len(answers) else "").encode() + b"\n")
            answered += 1
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, transcript.decode(errors="replace")
    assert b"Site name (lower-case, digits, -) [ci]:" in transcript
    profile = load_profile(site)
    assert (profile.site.name, profile.resources.ram_budget_mb) == ("yes", 4096)


def test_a_default_kept_is_checked_too(tmp_path: Path) -> None:
    """MISP switched on, then Enter at the RAM question: the template's 3072 MB no longer fits, so it is
    asked again there (not reported at the end, after every question, with nothing written)."""
    # name, capture, MISP, OpenSearch, Dashboards, RAM twice, e-mail
    answers = ["", "", "y", "", "", "", "6144", ""]
    result = _interactive_init(tmp_path / "site", "ci", answers)
    assert result.exit_code == 0, result.output
    assert "resources.ram_budget_mb: the enabled services need 4672 MB" in result.output
    assert result.output.count("RAM budget for all services (MB) [3072]:") == 2
    assert load_profile(tmp_path / "site").resources.ram_budget_mb == 6144
