"""Site identity: every site its own compose project and volumes; `up` refuses another site's data at once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

from minisoc.cli.main import main
from minisoc.compose import Completed
from minisoc.ops.identity import (
    FoundContainer,
    FoundVolume,
    containers_argv,
    identity_problem,
    parse_containers,
    parse_volumes,
    volume_inspect_argv,
    volume_names_argv,
    wanted_volume_labels,
)
from minisoc.profile import load_profile
from minisoc.profile.create import create_profile
from minisoc.render import render_site
from minisoc.render.identity import SECRETS_LABEL, SITE_ID_LABEL
from render_support import fixed_secret


def compose_of(site: Path) -> dict:
    return yaml.safe_load((site / "compose.yaml").read_text())


def test_two_sites_from_one_template_get_their_own_project_and_volume_labels(tmp_path: Path) -> None:
    projects, labels = set(), set()
    for name in ("a", "b"):
        site = tmp_path / name
        _, profile = create_profile(site, "ci", ["site.name=lab"])  # same template, same site name
        render_site(site, profile)
        assert profile.site.id is not None and profile.project_name == f"minisoc-lab-{profile.site.id}"
        projects.add(compose_of(site)["name"])
        volume = compose_of(site)["volumes"]["opensearch-data"]["labels"]
        labels.add((volume[SITE_ID_LABEL], volume[SECRETS_LABEL]))
    assert len(projects) == 2 and len(labels) == 2


def test_init_force_keeps_the_site_id_and_set_can_choose_it(tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert main(["init", str(site), "--template", "ci", "--non-interactive"]) == 0
    first = load_profile(site).site.id
    assert first is not None and len(first) == 6
    assert (
        "  interface: null\n" in (site / "minisoc.yaml").read_text()
    )  # the template's null, kept as written
    assert main(["init", str(site), "--template", "small-site", "--non-interactive", "--force"]) == 0
    assert load_profile(site).site.id == first
    assert (
        main(["init", str(site), "-t", "ci", "--non-interactive", "--force", "--set", "site.id=k2demo"]) == 0
    )
    assert load_profile(site).site.id == "k2demo"


def test_site_id_must_start_with_a_letter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["init", str(tmp_path / "s"), "-t", "ci", "--non-interactive", "--set", "site.id=123456"])
    assert code == 2
    assert "site.id" in capsys.readouterr().err


def test_volume_labels_stay_when_a_secret_is_rotated_and_change_with_a_new_generation(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _, profile = create_profile(site, "ci")
    render_site(site, profile)
    before = compose_of(site)["volumes"]
    secrets = {p.name: p.read_text() for p in (site / "secrets").iterdir()}
    (site / "secrets" / "opensearch-analyst-password").unlink()  # the documented rotation
    render_site(site, profile)
    assert compose_of(site)["volumes"] == before  # compose would offer to recreate a relabelled volume
    text = (site / "compose.yaml").read_text()
    assert not [name for name, value in secrets.items() if value in text]  # a fingerprint, never a value
    for path in (site / "secrets").iterdir():  # the site re-created in place: new secrets
        path.unlink()
    (site / ".env").unlink()
    render_site(site, profile)
    after = compose_of(site)["volumes"]["opensearch-data"]["labels"]
    assert after[SITE_ID_LABEL] == before["opensearch-data"]["labels"][SITE_ID_LABEL]
    assert after[SECRETS_LABEL] != before["opensearch-data"]["labels"][SECRETS_LABEL]


def test_a_profile_without_id_keeps_the_old_project_name_and_unlabelled_volumes(tmp_path: Path) -> None:
    site = tmp_path / "old"
    site.mkdir()
    (site / "minisoc.yaml").write_text("version: 1\nsite: {name: old, admin_email: a@example.org}\n")
    profile = load_profile(site)
    render_site(site, profile, secrets=fixed_secret)
    assert compose_of(site)["name"] == "minisoc-old"
    assert compose_of(site)["volumes"] and all(v == {} for v in compose_of(site)["volumes"].values())


WANTED = {"opensearch-data": {SITE_ID_LABEL: "abc123", SECRETS_LABEL: "f00d"}}


def volume(**labels: str) -> FoundVolume:
    return FoundVolume(
        "minisoc-ci-abc123_opensearch-data", {"com.docker.compose.volume": "opensearch-data", **labels}
    )


def test_identity_problem_accepts_own_volumes_and_containers(tmp_path: Path) -> None:
    own = volume(**{SITE_ID_LABEL: "abc123", SECRETS_LABEL: "f00d"})
    assert identity_problem(tmp_path, WANTED, [own], [FoundContainer("c1", str(tmp_path))]) is None
    assert identity_problem(tmp_path, WANTED, [], []) is None
    assert identity_problem(tmp_path, {}, [volume()], []) is None  # a site without id checks nothing


@pytest.mark.parametrize(
    ("found", "containers", "field", "words"),
    [
        (volume(**{SITE_ID_LABEL: "abc123", SECRETS_LABEL: "beef"}), [], "secrets/", "other secrets"),
        (volume(**{SITE_ID_LABEL: "zzz999", SECRETS_LABEL: "f00d"}), [], "site.id", "site id zzz999"),
        (volume(), [], "site.id", "no site id"),
        (None, [FoundContainer("minisoc-ci-abc123-opensearch-1", "/srv/copy")], "site.id", "/srv/copy"),
    ],
)
def test_identity_problem_names_the_cause_and_the_way_out(
    tmp_path: Path,
    found: FoundVolume | None,
    containers: list[FoundContainer],
    field: str,
    words: str,
) -> None:
    problem = identity_problem(tmp_path, WANTED, [found] if found else [], containers)
    assert problem is not None and problem.exit_code == 2
    assert problem.message.startswith(field) and words in problem.message
    assert problem.hint and ("down" in problem.hint)


def test_argv_and_parsers() -> None:
    assert volume_names_argv("p") == [
        "docker",
        "volume",
        "ls",
        "--quiet",
        "--filter",
        "label=com.docker.compose.project=p",
    ]
    assert volume_inspect_argv(["a", "b"]) == ["docker", "volume", "inspect", "a", "b"]
    assert containers_argv("p")[:5] == [
        "docker",
        "ps",
        "--all",
        "--filter",
        "label=com.docker.compose.project=p",
    ]
    inspect = json.dumps([{"Name": "v", "Labels": {"a": "1"}}, {"Name": "w", "Labels": None}])
    assert parse_volumes(inspect) == [FoundVolume("v", {"a": "1"}), FoundVolume("w", {})]
    assert parse_containers("c1\t/srv/a\nc2\t\n\n") == [
        FoundContainer("c1", "/srv/a"),
        FoundContainer("c2", ""),
    ]
    assert wanted_volume_labels({"volumes": {"a": {"labels": {"x": "1"}}, "b": {}}}) == {"a": {"x": "1"}}


def test_up_stops_with_exit_2_before_compose_runs_when_the_volumes_hold_other_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    _, profile = create_profile(site, "ci")
    render_site(site, profile)
    project = profile.project_name
    calls: list[list[str]] = []

    def fake_run(argv: Sequence[str], **_: object) -> Completed:
        calls.append(list(argv))
        if argv[:3] == ["docker", "volume", "ls"]:
            return Completed(list(argv), 0, f"{project}_opensearch-data\n", "")
        if argv[:3] == ["docker", "volume", "inspect"]:
            labels = {
                "com.docker.compose.project": project,
                "com.docker.compose.volume": "opensearch-data",
                SITE_ID_LABEL: str(profile.site.id),
                SECRETS_LABEL: "0123456789abcdef",  # the old site's secrets generation
            }
            return Completed(list(argv), 0, json.dumps([{"Name": argv[3], "Labels": labels}]), "")
        if argv[:2] == ["docker", "ps"]:
            return Completed(list(argv), 0, "", "")
        raise AssertionError(f"up went on to {argv}")

    monkeypatch.setattr("minisoc.ops.identity.run_command", fake_run)
    assert main(["up", str(site)]) == 2
    err = capsys.readouterr().err
    assert "other secrets" in err and "hint:" in err and "down --volumes" in err and ".env" in err
    assert "Traceback" not in err
    assert len(calls) == 3
