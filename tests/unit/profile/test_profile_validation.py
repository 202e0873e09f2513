"""Profile validation through the CLI edge: each bad input exits 2 with its exact `dotted.path` line."""

from __future__ import annotations

from pathlib import Path

import pytest

from minisoc.cli.main import main

VALID = """\
site: {name: lab, admin_email: soc@example.org}
sensor: {mode: live, interface: eth0}
"""


def check(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    (tmp_path / "minisoc.yaml").write_text(text, encoding="utf-8")
    code = main(["profile", "check", str(tmp_path)])
    captured = capsys.readouterr()
    return code, captured.err.splitlines()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param(
            "resources: {ram_budget_mb: 8192, colour: red}\n",
            "error: resources.colour: unknown key; "
            "hint: allowed keys here: disk_budget_gb, limits, ram_budget_mb",
            id="unknown-key",
        ),
        pytest.param(
            "opensearch: {heap_mb: lots}\n",
            "error: opensearch.heap_mb: input should be a valid integer, "
            "unable to parse string as an integer (got 'lots'); hint: write a whole number without quotes",
            id="wrong-type",
        ),
        pytest.param(
            "ports: {opensearch: {port: 70000}}\n",
            "error: ports.opensearch.port: input should be less than or equal to 65535 (got 70000); "
            "hint: use a TCP port between 1 and 65535",
            id="port-out-of-range",
        ),
        pytest.param(
            "intel: {local_feed_dir: ../elsewhere}\n",
            "error: intel.local_feed_dir: the path must stay inside SITE_DIR ('..' is not allowed) "
            "(got '../elsewhere'); hint: use a folder relative to SITE_DIR, e.g. feeds/local, or null",
            id="path-escapes-site-dir",
        ),
        pytest.param(
            "intel: {warninglists: [/etc/passwd]}\n",
            "error: intel.warninglists.0: an absolute path is not allowed here (got '/etc/passwd'); "
            "hint: use a path relative to SITE_DIR, e.g. warninglists/",
            id="absolute-path-not-allowed",
        ),
        pytest.param(
            "opensearch: {heap_mb: 6000}\nresources: {ram_budget_mb: 8192}\n",
            "error: opensearch.heap_mb: 6000 MB is more than half the RAM budget (8192 MB); "
            "hint: lower opensearch.heap_mb to at most 4096, or raise resources.ram_budget_mb",
            id="heap-over-budget-share",
        ),
        pytest.param(
            "ports: {dashboards: {port: 9200}}\n",
            "error: ports.dashboards.port: host port 9200 is already used by ports.opensearch; "
            "hint: give each service its own host port",
            id="two-services-one-port",
        ),
        pytest.param(
            "ports: {misp: {port: 8443, bind: 0.0.0.0}}\n",
            "error: ports.misp.bind: binding 0.0.0.0 exposes the port to the network; "
            "hint: set expose: true to say so explicitly, or bind 127.0.0.1",
            id="wildcard-bind-without-expose",
        ),
        pytest.param(
            "images: {zeek: 'zeek/zeek latest'}\n",
            "error: images.zeek: does not have the expected form (got 'zeek/zeek latest'); "
            "hint: write name:tag or name:tag@sha256:<64 hex digits>, e.g. zeek/zeek:7.0.5",
            id="bad-image-reference",
        ),
        pytest.param(
            "security: {tls: {extra_names: [soc.example.org, 192.0.2.7, 'bad name!']}}\n",
            "error: security.tls.extra_names.2: 'bad name!' is neither a DNS name nor an IP address; "
            "hint: use a host name (letters, digits, '-', dots; '*.' first for a wildcard) or an IP address",
            id="bad-certificate-name",
        ),
    ],
)
def test_bad_input_exits_2_with_dotted_path_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, expected: str
) -> None:
    code, lines = check(tmp_path, VALID + extra, capsys)
    assert code == 2
    assert expected in lines


def test_interface_with_a_slash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = check(tmp_path, VALID.replace("interface: eth0", "interface: eth0/1"), capsys)
    assert code == 2
    assert lines == [
        "error: sensor.interface: an interface name cannot contain '/' (got 'eth0/1'); "
        "hint: use the name `ip link` shows, e.g. eth0 (no '/')"
    ]


def test_absolute_log_dir_only_in_external_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = check(tmp_path, VALID + "", capsys)
    assert code == 0
    live = VALID.replace("interface: eth0}", "interface: eth0, log_dir: /var/log/zeek}")
    code, lines = check(tmp_path, live, capsys)
    assert code == 2
    assert lines == [
        "error: sensor.log_dir: an absolute path (/var/log/zeek) is allowed only in external mode; "
        "hint: use a path relative to SITE_DIR, e.g. logs/zeek"
    ]
    external = live.replace("mode: live", "mode: external")
    assert check(tmp_path, external, capsys)[0] == 0


def test_every_problem_is_reported_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = VALID.replace("eth0", "eth0/1") + (
        "opensearch: {heap_mb: 6000}\n"
        "resources: {ram_budget_mb: 8192, colour: red}\n"
        "ports: {dashboards: {port: 9200}, correlator: {port: 0}}\n"
    )
    code, lines = check(tmp_path, text, capsys)
    assert code == 2
    paths = [line.removeprefix("error: ").split(":")[0] for line in lines]
    # schema problems and cross-field problems together, in one run
    assert paths == [
        "sensor.interface",
        "resources.colour",
        "ports.correlator.port",
        "opensearch.heap_mb",
        "resources.ram_budget_mb",
        "ports.dashboards.port",
    ]


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = check(tmp_path, "site:\n  name: lab\n  admin_email: [soc@example.org\n", capsys)
    assert code == 2
    assert len(lines) == 1
    assert lines[0].startswith("error: minisoc.yaml:4:1: YAML syntax error: ")
    assert lines[0].endswith("; hint: fix the YAML at that line and column")


def test_duplicate_keys_and_aliases_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = check(tmp_path, VALID + "site: {name: other, admin_email: a@b.org}\n", capsys)
    assert (code, lines) == (
        2,
        [
            "error: minisoc.yaml:3:1: YAML syntax error: duplicate key 'site'; "
            "hint: fix the YAML at that line and column"
        ],
    )
    code, lines = check(tmp_path, "base: &b {name: lab, admin_email: a@b.org}\nsite: *b\n", capsys)
    assert code == 2
    assert "aliases (*name) are not allowed" in lines[0]


def test_missing_required_and_empty_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = check(tmp_path, "site: {name: lab}\n", capsys)
    assert (code, lines) == (
        2,
        ["error: site.admin_email: field required; hint: write an address such as soc@example.org"],
    )
    code, lines = check(tmp_path, "", capsys)
    assert (code, lines) == (
        2,
        [
            "error: (top level): the profile is empty; "
            "hint: start from `minisoc profile sample` or `minisoc init`"
        ],
    )


def test_no_profile_in_site_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "check", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no site profile here; hint: create one with `minisoc init" in err
    assert "Traceback" not in err


def test_symlink_out_of_site_dir_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "feeds").symlink_to(tmp_path)
    code, lines = check(site, VALID + "intel: {local_feed_dir: feeds}\n", capsys)
    assert code == 2
    assert lines == [
        "error: intel.local_feed_dir: feeds leads outside SITE_DIR (through a symlink); "
        "hint: use a real folder inside SITE_DIR"
    ]


def test_valid_profile_passes_with_services_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = check(tmp_path, VALID, capsys)
    assert code == 0
    (tmp_path / "minisoc.yaml").write_text(VALID + "intel: {misp: {enabled: false}}\n", encoding="utf-8")
    assert main(["profile", "check", str(tmp_path), "--json"]) == 0
    out = capsys.readouterr().out
    assert '"project": "minisoc-lab"' in out
    assert '"misp-core"' not in out
