"""The plan of a lab: each copy's profile (name, id, port block) before anything is written. Pure but for the
random site ids, which are a parameter (tests give fixed ones).

Copy K (1-based) publishes every port of the template at `base + offset + K * stride`, so copy 1 of a lab
never takes the ports of a single site made from the same template, and copies never take each other's
(checked, not assumed: a `--set` may move one service's base port onto another's block).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from minisoc.errors import UsageError
from minisoc.lab.layout import MAX_COPIES, copy_name
from minisoc.profile.create import build_profile, new_site_id, parse_assignment
from minisoc.profile.model import SiteProfile
from minisoc.profile.ports import published_ports
from minisoc.render.zeek_sensor import fanout_id

DEFAULT_PORT_STRIDE = 10
MAX_PORT = 65535
SITE_NAME_MAX = 40
# Keys a lab sets itself for each copy: a `--set` of them would make copies share what must be their own.
_LAB_OWNED = ("site.id", "site.name")


@dataclass(frozen=True)
class CopyPlan:
    """One copy: its number, folder name, profile text (what minisoc.yaml will hold) and validated profile."""

    number: int
    name: str  # copy-NN
    text: str
    profile: SiteProfile

    @property
    def project(self) -> str:
        return self.profile.project_name

    @property
    def fanout(self) -> int:
        return fanout_id(self.profile.project_name)

    def ports(self) -> dict[str, tuple[str, int]]:
        """`ports.<key>` -> (address, port) of every port this copy publishes."""
        return {
            item.key: (item.binding.host_address, item.binding.port) for item in published_ports(self.profile)
        }


def port_block(base: dict[str, int], number: int, stride: int, offset: int = 0) -> dict[str, int]:
    """Copy `number`'s ports: every base port moved by `offset + number * stride`."""
    moved = {key: port + offset + number * stride for key, port in base.items()}
    for key, port in moved.items():
        if not 1 <= port <= MAX_PORT:
            raise UsageError(
                f"ports.{key}: copy {number} would publish port {port}, outside 1-{MAX_PORT}",
                "lower --port-stride or --port-offset, or the base port with --set ports.KEY.port=N",
            )
    return moved


def _refuse_lab_owned(sets: Sequence[str]) -> None:
    for text in sets:
        key = ".".join(parse_assignment(text).path)
        if key in _LAB_OWNED:
            raise UsageError(
                f"--set {text}: every copy gets its own {key} from the lab",
                "leave it out; set the copies' common name prefix with --name",
            )


def plan_lab(
    lab_dir: Path,
    template: str,
    count: int,
    sets: Sequence[str] = (),
    *,
    stride: int = DEFAULT_PORT_STRIDE,
    offset: int = 0,
    name: str | None = None,
    new_id: Callable[[], str] = new_site_id,
) -> list[CopyPlan]:
    """The profiles of `count` copies of `template` with `sets` applied, each with its own site id, name and
    port block; checked to be isolated from each other (`check_isolation`)."""
    if not 1 <= count <= MAX_COPIES:
        raise UsageError(
            f"--count {count}: a lab has 1 to {MAX_COPIES} copies", "pass --count 2, for example"
        )
    if stride < 1:
        raise UsageError(f"--port-stride {stride}: must be at least 1", "the default is 10")
    _refuse_lab_owned(sets)
    _, base_profile = build_profile(lab_dir / copy_name(1), template, list(sets))
    prefix = name or base_profile.site.name
    if len(prefix) + 3 > SITE_NAME_MAX:
        raise UsageError(
            f"--name {prefix}: copies are named {prefix}-NN, over {SITE_NAME_MAX} characters",
            f"pass a --name of at most {SITE_NAME_MAX - 3} characters",
        )
    base = {item.key: item.binding.port for item in published_ports(base_profile)}
    plans: list[CopyPlan] = []
    fanouts: set[int] = set()
    for number in range(1, count + 1):
        ports = port_block(base, number, stride, offset)
        edits = [*sets, f"site.name={prefix}-{number:02d}"]
        edits += [f"ports.{key}.port={port}" for key, port in ports.items()]
        for _ in range(20):  # a new id when the fanout group (a 16-bit hash) meets another copy's
            text, profile = build_profile(lab_dir / copy_name(number), template, edits, site_id=new_id())
            plan = CopyPlan(number, copy_name(number), text, profile)
            if plan.fanout not in fanouts:
                break
        fanouts.add(plan.fanout)
        plans.append(plan)
    check_isolation(plans)
    return plans


def check_isolation(plans: Sequence[CopyPlan]) -> None:
    """No two copies share a compose project (hence containers, network and volumes), an AF_PACKET fanout
    group or a host port; UsageError naming the first clash."""
    projects = Counter(plan.project for plan in plans)
    fanouts = Counter(plan.fanout for plan in plans)
    ports = Counter(port for plan in plans for port in plan.ports().values())
    for what, counter in (("compose project", projects), ("fanout group", fanouts), ("host port", ports)):
        shared = [value for value, seen in counter.items() if seen > 1]
        if shared:
            raise UsageError(
                f"lab: two copies would share the {what} {shared[0]}",
                "change --port-stride (host ports) or create the lab again (new site ids)",
            )
