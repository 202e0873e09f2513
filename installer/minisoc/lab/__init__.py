"""Trainers' labs: N isolated copies of a site on one host (docs/training.md).

`copies(lab_dir, only)` finds the copies every lab and scenario command acts on; `reset_copy(site_dir)` puts
a running copy back to its start (`lab reset` passes
`reset_to_baseline` as its MISP hook, `minisoc scenario` may pass its own).
"""

from minisoc.lab.capacity import copies_that_fit, copy_memory_mb, lab_doctor
from minisoc.lab.create import LabCreated, create_lab
from minisoc.lab.layout import LabManifest, copies, copy_name, copy_number, read_manifest
from minisoc.lab.misp_baseline import record_baseline, reset_to_baseline
from minisoc.lab.plan import DEFAULT_PORT_STRIDE, CopyPlan, check_isolation, plan_lab, port_block
from minisoc.lab.reset import MispReset, reset_copy
from minisoc.lab.run import CopyOutcome, LabOutcome, for_each_copy
from minisoc.lab.sheet import SHEET_NAME, write_sheet

__all__ = [
    "DEFAULT_PORT_STRIDE",
    "SHEET_NAME",
    "CopyOutcome",
    "CopyPlan",
    "LabCreated",
    "LabManifest",
    "LabOutcome",
    "MispReset",
    "check_isolation",
    "copies",
    "copies_that_fit",
    "copy_memory_mb",
    "copy_name",
    "copy_number",
    "create_lab",
    "for_each_copy",
    "lab_doctor",
    "plan_lab",
    "port_block",
    "read_manifest",
    "record_baseline",
    "reset_copy",
    "reset_to_baseline",
    "write_sheet",
]
