"""`minisoc lab create`: N copies, each isolated (compose project, port block, fanout group, credentials),
written whole or not at all; a bad `--set` is one `path: problem; hint` line and nothing on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from lab_support import NO_REGISTRY, make_lab, plan

import minisoc.lab.create as create_module
from minisoc.cli.main import main
from minisoc.errors import UsageError
from minisoc.lab import check_isolation, copies, port_block, read_manifest
from minisoc.lab.plan import CopyPlan
from minisoc.ops import load_site
from minisoc.security.opensearch import ANALYST_USER, PASSWORD_SECRETS


def test_three_copies_each_with_their_own_project_ports_fanout_and_credentials(tmp_path: Path) -> None:
    lab_dir = tmp_path / "class"
    created = make_lab(lab_dir, 3)
    sites = copies(lab_dir)
    names = ["copy-01", "copy-02", "copy-03"]
    assert [site.name for site in sites] == names == [path.name for path in created.copies]
    assert read_manifest(lab_dir).count == 3
    loaded = [load_site(site) for site in sites]
    projects = {site.profile.project_name for site in loaded}
    assert len(projects) == 3
    assert [site.profile.site.name for site in loaded] == [f"training-lab-{n:02d}" for n in (1, 2, 3)]
    ports = [site.profile.ports.opensearch.port for site in loaded if site.profile.ports.opensearch]
    assert ports == [9210, 9220, 9230]  # base + K x stride: copy 1 never takes a single site's 9200
    passwords = {site.read_secret(PASSWORD_SECRETS[ANALYST_USER]) for site in loaded}
    assert len(passwords) == 3
    cas = {site.paths.ca_file.read_bytes() for site in loaded}
    assert len(cas) == 3  # each copy its own PKI
    volumes = [set((site.paths.compose_document().get("volumes") or {}).keys()) for site in loaded]
    assert volumes[0]  # named volumes, which compose prefixes with each copy's own project
    for site in loaded:
        assert any(site.paths.log_dir.iterdir())  # the template's sample logs: exercises start with alerts


def test_live_copies_get_distinct_fanout_groups_in_their_zeek_config(tmp_path: Path) -> None:
    sets = [*NO_REGISTRY, "sensor.mode=live", "sensor.interface=eth0"]
    plans = plan(tmp_path / "class", 4, sets)
    assert len({item.fanout for item in plans}) == 4
    make_lab(tmp_path / "lab", 2, sets)
    configs = sorted((tmp_path / "lab").glob("copy-*/config/zeek/local.zeek"))
    lines = {next(line for line in path.read_text().splitlines() if "fanout_id" in line) for path in configs}
    assert len(configs) == 2 and len(lines) == 2


def test_the_isolation_check_sees_a_shared_port() -> None:
    plans = plan(Path("/nonexistent/lab"), 2)
    clash = CopyPlan(3, "copy-03", plans[1].text, plans[1].profile)  # a copy sharing copy 2's everything
    with pytest.raises(UsageError, match="share the compose project"):
        check_isolation([*plans, clash])


def test_port_blocks_and_their_limits() -> None:
    assert port_block({"opensearch": 9200, "correlator": 8088}, 2, 10, 30000) == {
        "opensearch": 39220, "correlator": 38108}  # fmt: skip
    with pytest.raises(UsageError, match=r"ports\.opensearch: copy 9 would publish port 65900, outside"):
        port_block({"opensearch": 65000}, 9, 100)


def test_a_failed_create_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_render = create_module.render_site
    calls = []

    def render_then_fail(site_dir: Path, *args: object, **kwargs: object) -> object:
        calls.append(site_dir)
        if len(calls) == 2:
            raise OSError("disk full (simulated)")
        return real_render(site_dir, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(create_module, "render_site", render_then_fail)
    with pytest.raises(OSError, match="simulated"):
        make_lab(tmp_path / "class", 3)
    assert len(calls) == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == []  # no lab, no hidden stage folder


def test_an_existing_lab_is_not_overwritten(tmp_path: Path) -> None:
    make_lab(tmp_path / "class", 1)
    before = sorted(str(path) for path in (tmp_path / "class").rglob("*"))
    with pytest.raises(UsageError, match="exists and is not an empty folder"):
        make_lab(tmp_path / "class", 2)
    assert sorted(str(path) for path in (tmp_path / "class").rglob("*")) == before


@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        ("opensearch.heap_mb=abc", "error: opensearch.heap_mb: input should be a valid integer"),
        ("nosuch.key=1", "error: nosuch: unknown key; hint: allowed keys here:"),
        ("site.name=x", "error: --set site.name=x: every copy gets its own site.name from the lab; hint:"),
    ],
)
def test_a_bad_set_is_one_error_line_and_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], assignment: str, expected: str
) -> None:
    code = main(["lab", "create", str(tmp_path / "class"), "--count", "2", "--set", assignment])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(expected), err
    assert "; hint: " in err.splitlines()[0] and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_count_and_stride_are_checked() -> None:
    with pytest.raises(UsageError, match="--count 0"):
        plan(Path("/nonexistent/lab"), 0)
    with pytest.raises(UsageError, match=r"--name x+: copies are named x+-NN, over 40 characters"):
        plan(Path("/nonexistent/lab"), 2, name="x" * 39)
