"""How many copies a host holds: the training-lab template is sized so that a 16 GB laptop holds at least 2
copies and a 64 GB server 8, with MISP and Dashboards on (what the template runs), and the doctor's checks
say how many fit."""

from __future__ import annotations

from pathlib import Path

import pytest
from lab_support import plan

from minisoc.lab import copies_that_fit, copy_memory_mb
from minisoc.lab.capacity import (
    HOST_RESERVE_MB,
    check_lab_disk,
    check_lab_memory,
    copies_on_disk,
    fit_summary,
)

# What /proc/meminfo's MemTotal says on such hosts: less than the RAM sold (firmware, the kernel's own,
# an integrated GPU's share): 15.2 GiB on a "16 GB" laptop, 62.5 GiB on a "64 GB" server, at worst.
LAPTOP_16_GB_MB = 15565
SERVER_64_GB_MB = 64000


def training_lab_copy_mb() -> int:
    return copy_memory_mb(plan(Path("/nonexistent/lab"), 1, sets=())[0].profile)


def test_the_training_lab_copy_runs_misp_and_dashboards_within_its_budget() -> None:
    profile = plan(Path("/nonexistent/lab"), 1, sets=())[0].profile
    assert {"misp-core", "dashboards", "opensearch", "correlator"} <= set(profile.enabled_services())
    assert copy_memory_mb(profile) <= profile.resources.ram_budget_mb


@pytest.mark.parametrize(("total_mb", "at_least"), [(LAPTOP_16_GB_MB, 2), (SERVER_64_GB_MB, 8)])
def test_a_16_gb_laptop_holds_2_copies_and_a_64_gb_server_8(total_mb: int, at_least: int) -> None:
    assert copies_that_fit(total_mb, training_lab_copy_mb()) >= at_least


def test_the_disk_budget_lets_the_same_hosts_hold_them() -> None:
    per_copy_gb = plan(Path("/nonexistent/lab"), 1, sets=())[0].profile.resources.disk_budget_gb
    assert copies_on_disk(40.0, per_copy_gb) >= 2  # a laptop with 40 GB free
    assert copies_on_disk(200.0, per_copy_gb) >= 8


def test_memory_check_says_how_many_fit_and_fails_beyond() -> None:
    per_copy = training_lab_copy_mb()
    fits = check_lab_memory(2, per_copy, LAPTOP_16_GB_MB)
    assert fits.ok and "2 copies fit" in fits.detail and f"{HOST_RESERVE_MB} MiB kept" in fits.detail
    too_many = check_lab_memory(3, per_copy, LAPTOP_16_GB_MB)
    assert not too_many.ok and too_many.fix is not None and "at most 2" in too_many.fix


def test_disk_check_and_the_summary_take_the_smaller_fit() -> None:
    assert not check_lab_disk(3, 10, 25.0, Path("/srv")).ok
    summary = fit_summary(3, memory_fit=8, disk_fit=2)
    assert not summary.ok and "holds 2 copies" in summary.detail and summary.fix == "pass --count 2 or less"
    assert "bound by disk" in summary.detail
    assert fit_summary(1, 0, 5).fix == "this host cannot hold one copy: use a bigger host"


def test_taken_ports_and_the_kernel_bound_the_fit_too() -> None:
    ports = fit_summary(4, memory_fit=8, disk_fit=8, port_fit=1)
    assert not ports.ok and "holds 1 copy" in ports.detail and "bound by free ports" in ports.detail
    assert ports.fix is not None and "--port-offset" in ports.fix
    assert fit_summary(2, 8, 8, port_fit=None).ok  # every port block free
    kernel = fit_summary(2, 8, 8, port_fit=None, kernel_ok=False)
    assert not kernel.ok and "holds 0 copies" in kernel.detail and "vm.max_map_count" in (kernel.fix or "")
    assert copies_that_fit(1000, 5440) == 0
    with pytest.raises(ValueError, match="needs memory"):
        copies_that_fit(16000, 0)
