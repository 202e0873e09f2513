"""The docker compose argv builders and the `compose ps` parser (pure functions: no engine needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minisoc.compose import ComposeProject
from minisoc.compose import argv as compose
from minisoc.compose.runner import parse_ps


def test_compose_argv_puts_project_files_and_env_before_the_subcommand() -> None:
    argv = compose.compose_argv(
        "soc", [Path("/s/compose.yaml"), Path("/s/extra.yaml")], Path("/s/.env"), "ps"
    )
    assert argv == [
        "docker",
        "compose",
        "--project-name",
        "soc",
        "--file",
        "/s/compose.yaml",
        "--file",
        "/s/extra.yaml",
        "--env-file",
        "/s/.env",
        "ps",
    ]


def test_compose_argv_without_env_file_has_no_env_flag() -> None:
    argv = compose.compose_argv("soc", [Path("c.yaml")], None, "config")
    assert "--env-file" not in argv
    assert argv[-1] == "config"


@pytest.mark.parametrize(("project", "files"), [("", [Path("c.yaml")]), ("soc", [])])
def test_compose_argv_refuses_missing_project_or_files(project: str, files: list[Path]) -> None:
    with pytest.raises(ValueError):
        compose.compose_argv(project, files, None)


def test_up_waits_with_timeout_and_never_builds_by_default() -> None:
    args = compose.up_args(wait_timeout_s=420)
    assert args[:3] == ["up", "--detach", "--remove-orphans"]
    assert args[args.index("--wait-timeout") + 1] == "420"
    assert "--wait" in args
    assert "--no-build" in args and "--build" not in args


def test_up_names_services_last_and_can_force_recreate() -> None:
    args = compose.up_args(wait=False, services=["correlator"], force_recreate=True)
    assert "--wait" not in args
    assert args[-1] == "correlator"
    assert "--force-recreate" in args


def test_recreate_makes_new_containers_for_exactly_the_named_services_and_waits() -> None:
    args = compose.recreate_args(["zeek", "correlator", "zeek"], wait_timeout_s=90)
    assert args[0] == "up" and args[-2:] == ["correlator", "zeek"]  # sorted, once each
    assert "--force-recreate" in args and "--no-deps" in args and "--no-build" in args
    assert args[args.index("--wait-timeout") + 1] == "90"


def test_recreate_refuses_no_service_which_would_recreate_them_all() -> None:
    with pytest.raises(ValueError):
        compose.recreate_args([])


def test_down_keeps_volumes_unless_asked() -> None:
    assert "--volumes" not in compose.down_args()
    assert compose.down_args(volumes=True)[-1] == "--volumes"
    assert "--remove-orphans" in compose.down_args()


def test_ps_logs_and_config_ask_for_machine_readable_output() -> None:
    assert compose.ps_args() == ["ps", "--format", "json", "--all"]
    assert compose.config_args() == ["config", "--format", "json"]
    assert compose.logs_args("opensearch", tail=50, follow=True) == [
        "logs",
        "--no-color",
        "--follow",
        "--tail",
        "50",
        "opensearch",
    ]


def test_service_action_refuses_unknown_actions() -> None:
    assert compose.service_args("stop", "opensearch") == ["stop", "opensearch"]
    with pytest.raises(ValueError):
        compose.service_args("rm", "opensearch")


def test_project_argv_uses_its_files() -> None:
    project = ComposeProject("site-a", (Path("/x/compose.yaml"),), Path("/x/.env"))
    assert project.argv("ps")[:8] == [
        "docker",
        "compose",
        "--project-name",
        "site-a",
        "--file",
        "/x/compose.yaml",
        "--env-file",
        "/x/.env",
    ]


ROWS = [
    {
        "Service": "opensearch",
        "Name": "s-opensearch-1",
        "State": "running",
        "Health": "healthy",
        "ExitCode": 0,
    },
    {
        "Service": "correlator",
        "Name": "s-correlator-1",
        "State": "running",
        "Health": "starting",
        "ExitCode": 0,
    },
    {"Service": "feedserver", "Name": "s-feedserver-1", "State": "exited", "Health": "", "ExitCode": 137},
]


@pytest.mark.parametrize("output", [json.dumps(ROWS), "\n".join(json.dumps(row) for row in ROWS) + "\n"])
def test_parse_ps_accepts_array_and_json_lines(output: str) -> None:
    states = parse_ps(output)
    assert [s.service for s in states] == ["correlator", "feedserver", "opensearch"]
    by_name = {s.service: s for s in states}
    assert by_name["opensearch"].ready
    assert not by_name["correlator"].ready  # still starting
    assert not by_name["feedserver"].ready and by_name["feedserver"].exit_code == 137


def test_parse_ps_of_nothing_is_empty() -> None:
    assert parse_ps("  \n") == []
