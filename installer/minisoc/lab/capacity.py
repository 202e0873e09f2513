"""Can this host hold N copies of a lab? RAM, disk, ports and vm.max_map_count, and how many copies fit.

The per-copy memory is the sum of the copy's enabled services' memory limits (`profile.resources`: what
Docker lets them use, the OpenSearch heap counted twice), plus `HOST_RESERVE_MB` for the host itself (the
kernel, dockerd, the trainer's browser). The decisions are pure functions; `lab_doctor` gathers the facts.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from minisoc.lab.host_ports import clashes, reserved_ports
from minisoc.lab.plan import CopyPlan
from minisoc.ops.checks import Check, Report
from minisoc.ops.doctor import check_max_map_count, check_port, engine_checks, existing_parent
from minisoc.ops.host import memory_mb, port_is_free, read_int
from minisoc.profile.model import SiteProfile
from minisoc.profile.ports import published_ports
from minisoc.profile.resources import total_memory_mb

HOST_RESERVE_MB = 2048  # kept free for the host: kernel, page cache, dockerd, a browser


def copy_memory_mb(profile: SiteProfile) -> int:
    """What one copy may use: the sum of its services' memory limits."""
    return total_memory_mb(profile)


def copies_that_fit(total_mb: int, per_copy_mb: int, reserve_mb: int = HOST_RESERVE_MB) -> int:
    """How many copies of `per_copy_mb` a host with `total_mb` holds after its reserve."""
    if per_copy_mb <= 0:
        raise ValueError("a copy needs memory")
    return max(0, (total_mb - reserve_mb) // per_copy_mb)


def copies_on_disk(free_gb: float, per_copy_gb: int) -> int:
    return int(free_gb // per_copy_gb) if per_copy_gb > 0 else 10**6


def check_lab_memory(count: int, per_copy_mb: int, total_mb: int) -> Check:
    fit = copies_that_fit(total_mb, per_copy_mb)
    return Check(
        "lab memory",
        count <= fit,
        f"{count} copies x {per_copy_mb} MiB = {count * per_copy_mb} MiB; the host has {total_mb} MiB, "
        f"{HOST_RESERVE_MB} MiB kept for itself: {fit} cop{'y' if fit == 1 else 'ies'} fit",
        f"create at most {fit} copies, lower opensearch.heap_mb or switch services off with --set, "
        "or use a bigger host",
    )


def check_lab_disk(count: int, per_copy_gb: int, free_gb: float, path: Path) -> Check:
    fit = copies_on_disk(free_gb, per_copy_gb)
    return Check(
        "lab disk",
        count <= fit,
        f"{count} copies x {per_copy_gb} GiB (resources.disk_budget_gb); {free_gb:.1f} GiB free at {path}: "
        f"{fit} fit",
        "free disk space, lower resources.disk_budget_gb with --set, or create fewer copies",
    )


def fit_summary(count: int, memory_fit: int, disk_fit: int, port_fit: int | None = None,
                kernel_ok: bool = True) -> Check:
    """How many copies this host holds: the least of what its memory, its disk and the free port blocks
    allow (`port_fit`: how many copies from copy 1 on find all their ports free; None: not checked), and
    none while vm.max_map_count is too low for OpenSearch."""
    limits = {"memory": memory_fit, "disk": disk_fit}
    if port_fit is not None:
        limits["free ports"] = port_fit
    fit = min(limits.values()) if kernel_ok else 0
    bound = "vm.max_map_count" if not kernel_ok else min(limits, key=lambda key: limits[key])
    if not fit:
        fix = ("raise vm.max_map_count first (see its check)" if not kernel_ok
               else "this host cannot hold one copy: use a bigger host")
    elif bound == "free ports" and port_fit is not None and port_fit < count:
        fix = f"pass --count {fit} or less, or move every copy's ports with --port-offset N"
    else:
        fix = f"pass --count {fit} or less"
    return Check(
        "copies that fit",
        count <= fit,
        f"this host holds {fit} cop{'y' if fit == 1 else 'ies'} of this lab (asked for {count}; "
        f"bound by {bound})",
        fix,
    )


def copy_port_checks(plan: CopyPlan, reserved: dict[tuple[str, int], str]) -> list[Check]:
    """Every port copy `plan` publishes is free: nothing listens there, and no other compose project's
    container, even a stopped one, binds it (`reserved`)."""
    checks = []
    for published in published_ports(plan.profile):
        address, port = published.binding.host_address, published.binding.port
        owner = clashes(address, port, reserved)
        if owner is not None:
            checks.append(Check(
                f"{plan.name} port {published.key}", False,
                f"{address}:{port} is bound by the containers of {owner} (started or not)",
                f"move every copy's ports with `minisoc lab create ... --port-offset N`, or remove {owner}",
            ))  # fmt: skip
            continue
        check = check_port(published.key, address, port, port_is_free(address, port), ours=False)
        fix = (
            f"stop what listens there (`ss -ltnp | grep :{port}`) or move every copy's ports with "
            "`minisoc lab create ... --port-offset N`"
        )
        checks.append(Check(f"{plan.name} {check.name}", check.ok, check.detail, None if check.ok else fix))
    return checks


def lab_doctor(lab_dir: Path, plans: Sequence[CopyPlan]) -> Report:
    """Preflight for `plans`: engine, vm.max_map_count, memory and disk for all copies, every copy's ports
    (free on the host, and bound by no other compose project's containers, stopped ones included)."""
    checks = engine_checks()
    profile = plans[0].profile
    kernel_ok = True
    if "opensearch" in profile.enabled_services():
        kernel = check_max_map_count(read_int(Path("/proc/sys/vm/max_map_count")))
        kernel_ok = kernel.ok or kernel.warning
        checks.append(kernel)
    per_copy_mb = copy_memory_mb(profile)
    total_mb, _ = memory_mb()
    checks.append(check_lab_memory(len(plans), per_copy_mb, total_mb))
    disk_path = existing_parent(lab_dir)
    free_gb = shutil.disk_usage(disk_path).free / 2**30
    per_copy_gb = profile.resources.disk_budget_gb
    checks.append(check_lab_disk(len(plans), per_copy_gb, free_gb, disk_path))
    reserved = reserved_ports({plan.project for plan in plans})
    port_fit = None
    for plan in plans:
        port_checks = copy_port_checks(plan, reserved)
        if port_fit is None and not all(check.ok for check in port_checks):
            port_fit = plan.number - 1  # the copies before the first whose ports are taken
        checks += port_checks
    checks.append(fit_summary(
        len(plans), copies_that_fit(total_mb, per_copy_mb), copies_on_disk(free_gb, per_copy_gb),
        port_fit, kernel_ok,
    ))  # fmt: skip
    return Report("lab doctor", checks)
