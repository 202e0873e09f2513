"""End to end on the README's site (`first-contact`, the `ci` services plus sample data): init, render, up,
sample alerts, verify, real data, faults, idempotence, a site re-created over old volumes, down.

One site is brought up for the module (bringing OpenSearch up per test would take most of the CI budget);
each test uses its own indicators and log files, so the tests do not depend on each other's data. The site has
its own compose project (name + site id) and free ports: the suite runs beside any other site on the host.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import shutil
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from e2e_support import (
    alert_keys,
    alerts_for_domain,
    choose_indicators,
    cli,
    cli_ok,
    compose_project_containers,
    compose_project_networks,
    container_ids,
    dns_line,
    expected_matches,
    free_ports,
    images_mode,
    init_args,
    publish_domains,
    sample_matches,
    search_alerts,
    stable_count,
    wait_for,
    write_atomically,
)

from minisoc.correlator.clients.opensearch import OpenSearchRest
from minisoc.errors import MinisocError
from minisoc.ops import load_site
from minisoc.ops.feed_dir import publish_event

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]
ALERT_TIMEOUT_S = 240


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, docker_engine: None) -> Iterator[Path]:
    site_dir = tmp_path_factory.mktemp("e2e") / "site"
    mode = images_mode()  # MINISOC_E2E_IMAGES=upstream: the release check on official images, with MISP
    ports = free_ports(8 if mode == "upstream" else 6)
    cli_ok(*init_args(site_dir, mode, ports[:-3], syslog_ports=ports[-3:]))
    cli_ok("render", str(site_dir))
    started = time.monotonic()
    try:
        report = json.loads(cli_ok("up", str(site_dir), "--json"))
        waited = next(c["seconds"] for c in report["checks"] if c["name"] == "services healthy")
        print(f"\n[e2e] up -> all healthy: {time.monotonic() - started:.1f}s (compose --wait: {waited}s)")
        yield site_dir
    finally:
        code, _, err = cli("down", str(site_dir), "--volumes")
        print(f"[e2e] down --volumes exit {code} {err[-500:]}")


def feed_dir(site_dir: Path) -> Path:
    path = load_site(site_dir).paths.local_feed_dir
    assert path is not None
    return path


def log_dir(site_dir: Path) -> Path:
    return load_site(site_dir).paths.log_dir


def status(site_dir: Path) -> dict:
    return json.loads(cli_ok("status", str(site_dir), "--json"))


def unique_domain(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}.e2e.minisoc.invalid"


def project_of(site_dir: Path) -> str:
    return load_site(site_dir).profile.project_name


def test_sample_data_raises_its_alerts_within_minutes_of_up(site: Path) -> None:
    """The README's promise: the first site shows the product working, without the user doing anything."""
    manifest = json.loads((feed_dir(site) / "manifest.json").read_text())
    (ours,) = [u for u, entry in manifest.items() if entry["Orgc"]["name"] == "minisoc sample data"]
    event = json.loads((feed_dir(site) / f"{ours}.json").read_text())["Event"]
    expected = sample_matches(log_dir(site), {a["value"] for a in event["Attribute"]})
    assert sum(expected.values()) >= 10

    def per_file() -> Counter[str]:
        alerts = search_alerts(site, {"nested": {  # any indicator of the alert from that event
            "path": "threat.enrichments",
            "query": {"term": {"threat.enrichments.indicator.misp.event_uuid": ours}},
        }})
        # one alert per Zeek connection: count every record it lists (conn, ssh, ssl... of one connection)
        return Counter(Path(r["log"]["file"]["path"]).name
                       for a in alerts for r in a.get("minisoc", {}).get("records") or [a])

    state = load_site(site).paths.read_state()
    up_started = datetime.fromisoformat(state["last_up"]).timestamp() - state["up_total_s"]
    stable_count(lambda: per_file().total(), expected.total(), ALERT_TIMEOUT_S)
    print(f"\n[e2e] sample alerts: {per_file().total()}, all in {time.time() - up_started:.0f}s from `up`")
    assert per_file() == expected


def test_status_reports_the_drop_folders(site: Path) -> None:
    result = status(site)
    assert result["paths"]["sensor.log_dir"] == str(log_dir(site))
    assert result["paths"]["intel.local_feed_dir"] == str(feed_dir(site))
    assert result["all_ready"], result["services"]


def test_verify_passes_and_is_recorded(site: Path) -> None:
    code, out, _ = cli("verify", str(site), "--json")
    report = json.loads(out)
    assert code == 0, report
    health = next(c for c in report["checks"] if c["name"] == "correlator /healthz")
    assert health["ok"] and health["detail"] == "HTTP 200 ok", health  # not degraded: the feed synced
    latency = next(c["seconds"] for c in report["checks"] if c["name"] == "canary alert")
    print(f"\n[e2e] canary latency (indicator published -> alert searchable): {latency:.1f}s")
    syslog = next(c for c in report["checks"] if c["name"] == "syslog canary")  # through rsyslog
    assert syslog["ok"], syslog
    print(f"[e2e] syslog canary (line sent -> syslog alert searchable): {syslog['seconds']:.1f}s")
    assert status(site)["verify"]["last_pass"] is not None
    assert alerts_for_domain(site, ".verify.minisoc.invalid") == []  # the canary cleaned up after itself


def test_real_logs_against_real_feed_give_exactly_the_expected_alerts(site: Path, shared_data: Path) -> None:
    zeek = shared_data / "zeek"
    dns_files = [zeek / "json/zat/dns.log", zeek / "json/wrccdc-zeek6.2/dns.json.gz"]
    other_files = [
        zeek / "json/zat" / name for name in ("conn.log", "http.log", "ssl.log", "files.log", "x509.log")
    ]
    other_files += [zeek / "tsv/zat/conn.log", zeek / "json/wrccdc-zeek6.2/ssl.json.gz"]
    indicators = choose_indicators(dns_files, other_files)
    expected = expected_matches(dns_files, indicators)
    assert len(expected.keys) >= 5, "the sample data should give a handful of matches"
    feeds = feed_dir(site)
    tweetfeed = shared_data / "misp/feeds/tweetfeed-2026-08-10_16"
    manifest = json.loads((tweetfeed / "manifest.json").read_text())
    for event_uuid, entry in manifest.items():  # the real feed: same files, announced event by event
        event = json.loads((tweetfeed / f"{event_uuid}.json").read_text())["Event"]
        publish_event(feeds, event_uuid, event, entry, [])
    publish_domains(feeds, indicators, "e2e: domains seen in the sample Zeek logs")
    time.sleep(2 * load_site(site).profile.intel.sync_interval + 5)  # indicators first, then the logs
    target = log_dir(site) / "real"
    target.mkdir(exist_ok=True)
    for path in dns_files + other_files:
        name = f"{path.parent.name}.{path.name}"  # Zeek naming: the log type is the last dotted part
        shutil.copy(path, target / f".{name}")
        (target / f".{name}").replace(target / name)
    # Keyed by (zeek uid, query), not by file: the site's sample logs hold a copy of zat's dns.log, and a line
    # seen in two files is one alert (its id hashes the line, not the path; retro-hunt sees the copy first).
    expected_keys = Counter((uid, q) for (_, uid, q) in expected.keys)

    def matching() -> list[tuple[str, str]]:
        return [
            (uid, q)
            for alert in alerts_for_domain(site, "")
            if any(e["indicator"]["name"] in indicators for e in alert["threat"]["enrichments"])
            for (_, uid, q) in alert_keys([alert])
        ]

    stable_count(lambda: len(matching()), len(expected_keys), ALERT_TIMEOUT_S)
    assert Counter(matching()) == expected_keys


def _as_user(site: Path, user: str | None, password: str | None = None) -> OpenSearchRest:
    admin = load_site(site).opensearch()
    secret = None if user is None else password or load_site(site).read_secret(f"opensearch-{user}-password")
    return dataclasses.replace(admin, username=user, password=secret)


def test_opensearch_users_log_in_with_least_privilege_over_tls_only(site: Path) -> None:
    for user in ("admin", "correlator", "analyst", "kibanaserver"):
        code, info = _as_user(site, user).request("GET", "/_plugins/_security/authinfo")
        assert code == 200 and info["user_name"] == user, (user, code)
    assert _as_user(site, None).request("GET", "/")[0] == 401  # no anonymous access
    assert _as_user(site, "admin", "not-the-password-1234").request("GET", "/")[0] == 401
    analyst = _as_user(site, "analyst")
    assert analyst.request("GET", "/minisoc-alerts/_search?size=1")[0] == 200
    assert analyst.request("POST", "/minisoc-alerts/_doc", {"event": {"kind": "alert"}})[0] == 403
    correlator = _as_user(site, "correlator")
    assert correlator.request("PUT", "/not-minisoc-e2e")[0] == 403
    assert correlator.request("GET", "/_plugins/_security/api/internalusers")[0] == 403
    admin = _as_user(site, "admin")
    plain = dataclasses.replace(admin, base_url=admin.base_url.replace("https://", "http://"))
    with pytest.raises(MinisocError):  # TLS only: a plain HTTP request gets no HTTP answer at all
        plain.request("GET", "/")


def test_alerts_list_and_ack_from_the_host(site: Path) -> None:
    secrets = [load_site(site).read_secret(p.name) for p in (site / "secrets").iterdir()]
    listed = json.loads(cli_ok("alerts", "list", str(site), "--json"))
    assert listed, "the real-data test above leaves alerts behind"
    alert_id = listed[0]["event"]["id"]
    code, out, err = cli("alerts", "ack", alert_id, str(site), "--false-positive", "--json")
    assert code == 0, err
    assert json.loads(out)["ack"]["state"] == "false_positive"
    again = json.loads(cli_ok("alerts", "list", str(site), "--since", "30d", "--json"))
    states = {a["event"]["id"]: a["minisoc"]["ack"]["state"] for a in again}
    assert states[alert_id] == "false_positive"
    assert not [s for s in secrets if len(s) >= 8 and (s in out or s in err)]


def test_opensearch_down_while_logs_arrive_gives_each_alert_once(site: Path) -> None:
    domain = unique_domain("osdown")
    publish_domains(feed_dir(site), [domain], "e2e: OpenSearch outage")
    wait_for("indicator synced", lambda: _indicator_loaded(site), 60)
    time.sleep(load_site(site).profile.intel.sync_interval + 3)
    project = load_site(site).project()
    project.service_action("stop", "opensearch")
    now = time.time()
    lines = [dns_line(f"Cosdown{i:04d}", f"h{i}.{domain}", now + i) for i in range(40)]
    for part in range(4):  # logs keep arriving while OpenSearch is down
        write_atomically(
            log_dir(site) / f"osdown-{part}.dns.log", "".join(lines[part * 10 : (part + 1) * 10]).encode()
        )
        time.sleep(3)
    project.service_action("start", "opensearch")
    wait_for("opensearch healthy", lambda: status(site)["all_ready"], 240, interval_s=5)
    count = stable_count(lambda: len(alerts_for_domain(site, domain)), 40, ALERT_TIMEOUT_S)
    assert count == 40
    uids = Counter(alert["zeek"]["uid"] for alert in alerts_for_domain(site, domain))
    assert set(uids.values()) == {1} and len(uids) == 40


def _indicator_loaded(site: Path) -> bool:
    intel = status(site).get("intel", {})
    return bool(intel.get("available")) and intel.get("indicators", 0) > 0


def test_correlator_killed_mid_batch_loses_and_duplicates_nothing(site: Path) -> None:
    domain = unique_domain("kill")
    publish_domains(feed_dir(site), [domain], "e2e: correlator crash")
    time.sleep(2 * load_site(site).profile.intel.sync_interval + 3)
    now = time.time()
    rows = []
    for i in range(30000):  # every 100th line matches: 300 alerts spread over several batches
        query = f"m{i}.{domain}" if i % 100 == 0 else f"benign{i}.example.org"
        rows.append(dns_line(f"Ckill{i:06d}", query, now + i / 1000))
    write_atomically(log_dir(site) / "kill.dns.log", "".join(rows).encode())
    time.sleep(1.0)
    project = load_site(site).project()
    project.service_action("kill", "correlator")
    project.service_action("start", "correlator")
    count = stable_count(lambda: len(alerts_for_domain(site, domain)), 300, ALERT_TIMEOUT_S)
    assert count == 300
    assert len({alert["zeek"]["uid"] for alert in alerts_for_domain(site, domain)}) == 300


def test_corrupt_lines_and_truncated_gzip_are_counted_and_the_rest_processed(site: Path) -> None:
    domain = unique_domain("corrupt")
    publish_domains(feed_dir(site), [domain], "e2e: corrupt input")
    time.sleep(2 * load_site(site).profile.intel.sync_interval + 3)
    before = _parse_errors(site)
    now = time.time()
    good = [dns_line(f"Ccorrupt{i}", f"g{i}.{domain}", now) for i in range(5)]
    mixed = [
        *good[:2],
        "{not json at all\n",
        '{"ts": "yesterday", "uid": 5\n',
        *good[2:],
        "\x00\x01garbage\n",
    ]
    write_atomically(log_dir(site) / "corrupt.dns.log", "".join(mixed).encode())
    whole = gzip.compress("".join(dns_line(f"Cgz{i}", f"z{i}.{domain}", now) for i in range(200)).encode())
    write_atomically(log_dir(site) / "truncated.dns.log.gz", whole[: len(whole) // 2])
    count = stable_count(
        lambda: len([a for a in alerts_for_domain(site, domain) if a["zeek"]["uid"].startswith("Ccorrupt")]),
        5,
        ALERT_TIMEOUT_S,
    )
    assert count == 5
    wait_for("parse errors counted", lambda: _parse_errors(site) >= before + 3, 60)
    assert status(site)["all_ready"]


def _parse_errors(site: Path) -> int:
    import urllib.request

    with urllib.request.urlopen(load_site(site).correlator_url() + "/metrics", timeout=5) as response:
        text = response.read().decode()
    return int(
        sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("minisoc_parse_errors_total")
        )
    )


def test_feed_server_unreachable_keeps_indicators_and_sync_age_grows(site: Path) -> None:
    project = load_site(site).project()
    before = status(site)["intel"]
    project.service_action("stop", "feedserver")
    try:
        interval = load_site(site).profile.intel.sync_interval
        time.sleep(2 * interval + 5)
        first = status(site)["intel"]
        time.sleep(interval + 5)
        second = status(site)["intel"]
    finally:
        project.service_action("start", "feedserver")
    assert first["indicators"] == second["indicators"] == before["indicators"] > 0
    assert second["oldest_sync_age_s"] > first["oldest_sync_age_s"] > 0


def test_up_twice_changes_nothing_and_render_keeps_secrets(site: Path) -> None:
    secrets_dir = load_site(site).paths.secrets_dir
    secrets = {path.name: path.read_bytes() for path in secrets_dir.iterdir()}
    before = container_ids(site)
    cli_ok("up", str(site))
    assert container_ids(site) == before
    cli_ok("render", str(site))
    assert {path.name: path.read_bytes() for path in secrets_dir.iterdir()} == secrets
    cli_ok("up", str(site))
    assert container_ids(site) == before


def test_down_then_up_keeps_data(site: Path) -> None:
    before = status(site)["alerts"]["count"]
    assert before > 0
    cli_ok("down", str(site))
    assert compose_project_containers(project_of(site)) == []
    cli_ok("up", str(site))
    assert status(site)["alerts"]["count"] == before


def test_a_site_recreated_over_the_old_volumes_stops_at_once_and_harms_nothing(
    site: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "recreated"
    copy.mkdir()
    shutil.copy(site / "minisoc.yaml", copy / "minisoc.yaml")  # the same site.id, so the same project
    running = container_ids(site)
    started = time.monotonic()
    code, _, err = cli("up", str(copy))  # new secrets, while the original runs
    assert code == 2 and f"belongs to the site in {site}" in err, err
    assert container_ids(site) == running
    cli_ok("down", str(site))
    code, _, err = cli("up", str(copy))  # the original is down: its volumes remain
    assert code == 2 and "other secrets" in err and "down --volumes" in err and ".env" in err, err
    print(f"\n[e2e] two refused `up`s of a re-created site: {time.monotonic() - started:.1f}s")
    assert compose_project_containers(project_of(site)) == []  # nothing was started for the copy
    cli_ok("up", str(site))  # the original still owns its data
    assert status(site)["all_ready"] and status(site)["alerts"]["count"] > 0


def test_down_with_volumes_leaves_nothing_behind(site: Path) -> None:
    project = project_of(site)
    assert project.startswith("minisoc-first-contact-") and project != "minisoc-first-contact"
    cli_ok("down", str(site), "--volumes")
    assert compose_project_containers(project) == []
    assert compose_project_networks(project) == []
    volumes = subprocess.run(
        ["docker", "volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={project}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert volumes == []
