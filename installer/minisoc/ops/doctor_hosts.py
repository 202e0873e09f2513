"""`minisoc doctor` for a distributed site: which host runs what, each host's share against the resources
its profile entry declares, and with `--host NAME` the single-host checks applied to that host's share on
the machine doctor runs on (memory, disk, ports, vm.max_map_count, the capture interface)."""

from __future__ import annotations

import shutil
from pathlib import Path

from minisoc.errors import UsageError
from minisoc.ops.checks import Check, Report
from minisoc.ops.doctor import (
    check_disk,
    check_interface,
    check_max_map_count,
    check_memory,
    check_port,
    engine_checks,
    existing_parent,
    run_doctor,
)
from minisoc.ops.host import interface_exists, memory_mb, port_is_free, read_int
from minisoc.ops.hosts import SiteHost, distributed_site, site_host
from minisoc.ops.site_facts import running_services
from minisoc.profile.load import load_profile
from minisoc.profile.model import SiteProfile
from minisoc.render.host_shares import HostShare, host_share, host_shares
from minisoc.site.layout import PROFILE_FILE_NAME


def check_share(share: HostShare) -> Check:
    """A host's share against what its profile entry declares (RAM, CPUs), one line saying what it runs."""
    host = share.host
    runs = ", ".join(share.services) or "nothing placed"
    name = f"host {host.name}"
    declared = host.resources
    if declared.ram_gb is not None and share.memory_mb > declared.ram_gb * 1024 * 3 // 4:
        return Check(
            name, False, f"{runs}: {share.memory_mb} MB of limits on {declared.ram_gb} GB of RAM",
            "give the host more RAM (hosts.*.resources.ram_gb), lower opensearch.heap_mb, or add hosts of "
            f"its roles ({', '.join(host.roles)}) to spread the services",
        )
    if declared.cpus is not None and share.cpus > declared.cpus:
        return Check(
            name, False, f"{runs}: {share.cpus} CPUs of limits on {declared.cpus} cores",
            "add cores, or spread the services over more hosts of its roles",
            warning=True,
        )
    return Check(name, True, f"{runs} ({share.memory_mb} MB, {share.cpus} CPUs)")


def shares_checks(profile: SiteProfile) -> list[Check]:
    return [check_share(share) for share in host_shares(profile)]


def host_checks(profile: SiteProfile, site_dir: Path, name: str, running: set[str]) -> list[Check]:
    """The single-host checks for one host's share, on this machine (`running`: its project's services)."""
    host = next(h for h in profile.hosts if h.name == name)
    share = host_share(profile, host)
    checks = [check_share(share)]
    if share.opensearch:
        checks.append(check_max_map_count(read_int(Path("/proc/sys/vm/max_map_count"))))
    total_mb, available_mb = memory_mb()
    budget = host.resources.ram_gb * 1024 if host.resources.ram_gb else total_mb
    checks += check_memory(share.memory_mb, budget, total_mb, available_mb)
    if share.zeek and profile.sensor.interface:
        checks.append(check_interface(profile.sensor.interface, interface_exists(profile.sensor.interface)))
    disk_path = existing_parent(site_dir)
    disk_gb = host.resources.disk_gb or profile.resources.disk_budget_gb
    checks.append(check_disk(shutil.disk_usage(disk_path).free / 2**30, disk_gb, disk_path))
    for port in share.ports:
        free = port_is_free(port.address, port.port, port.protocol)
        checks.append(check_port(port.key, port.address, port.port, free, bool(running), port.protocol))
    return checks


def run_host_doctor(site_dir: Path | None, host: str | None) -> Report:
    """`minisoc doctor`: the single-host checks, or for a distributed site each host's share, and with
    `host` that host's share checked on this machine."""
    distributed = (
        site_dir is not None
        and (site_dir / PROFILE_FILE_NAME).is_file()
        and load_profile(site_dir).site.topology == "distributed"
    )
    if site_dir is None or (host is None and not distributed):
        if host is not None:
            raise UsageError("--host: give the site folder too", "minisoc doctor SITE_DIR --host NAME")
        return run_doctor(site_dir)
    site = distributed_site(site_dir)
    checks = engine_checks()
    if host is None:
        return Report("doctor", checks + shares_checks(site.profile))
    target: SiteHost = site_host(site, host)
    running = _running(target)
    return Report(f"doctor --host {host}", checks + host_checks(site.profile, target.folder, host, running))


def _running(target: SiteHost) -> set[str]:
    return running_services(target.folder, target.project().name) if target.folder.is_dir() else set()
