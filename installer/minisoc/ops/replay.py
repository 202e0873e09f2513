"""`minisoc replay SITE PCAP...`: Zeek over capture files, in the site's sensor image, into its log folder.

Each pcap is one `zeek -C -r` run (Zeek reads one trace per run) in a throwaway container of the site's
Zeek image, with the site's rendered scripts and the correlator's intel export mounted read-only, and the
replay hold script (config/zeek/replay-hold.zeek: packet processing waits until the intel is loaded).
Zeek writes into a hidden staging folder of the log directory (the correlator skips hidden folders), which
is renamed to `replay-<time>-<n>-<capture>/` once Zeek succeeded: the running correlator then reads whole
logs, with the capture's own timestamps, and a failed run leaves nothing behind.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from minisoc.compose.process import Completed, run_command
from minisoc.errors import ServiceError, UsageError
from minisoc.ops.access import Site, load_site
from minisoc.render.images import default_images, read_lock
from minisoc.render.zeek_sensor import (
    LOCAL_ZEEK_FILE,
    LOCAL_ZEEK_TARGET,
    LOGS_TARGET,
    REPLAY_HOLD_FILE,
    REPLAY_HOLD_TARGET,
    ZEEK_BINARY,
)

INTEL_TARGET = "/intel"  # the correlator's export volume, as the live sensor mounts it
PCAP_TARGET = "/pcap"
RUN_PREFIX = "replay-"
STAGING_PREFIX = "."  # hidden: the correlator's log folder scan skips it until the rename
PCAP_MAGICS = (  # pcap (both byte orders, micro- and nanosecond) and pcapng
    b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d", b"\x0a\x0d\x0d\x0a",
)


class CommandRunner:
    """How replay runs a command: `run_command` by default; tests inject one that runs a stand-in."""

    def __init__(self, run: Callable[..., Completed] = run_command) -> None:
        self._run = run

    def __call__(self, argv: Sequence[str], *, check: bool, hint: str | None = None) -> Completed:
        return self._run(list(argv), timeout_s=None, check=check, hint=hint)


@dataclass(frozen=True)
class ReplayMounts:
    """Host sides of what the replay container mounts."""

    log_dir: Path
    local_zeek: Path
    hold_script: Path
    intel_volume: str | None  # the correlator's export volume; None when there is none yet


@dataclass(frozen=True)
class ReplayRun:
    pcap: Path
    folder: Path  # under the log directory, once published
    files: tuple[str, ...]


@dataclass
class ReplayReport:
    site_dir: Path
    image: str
    runs: list[ReplayRun] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": True,
            "site_dir": str(self.site_dir),
            "image": self.image,
            "runs": [
                {"pcap": str(run.pcap), "folder": str(run.folder), "files": list(run.files)}
                for run in self.runs
            ],
            "warnings": self.warnings,
        }


def _mount(kind: str, source: str, target: str, *, read_only: bool) -> str:
    """One `--mount` value; docker reads it as CSV, so a field with a comma or a quote is quoted."""
    fields = [f"type={kind}", f"source={source}", f"target={target}"]
    quoted = [
        '"' + part.replace('"', '""') + '"' if any(c in part for c in ',"') else part for part in fields
    ]
    return ",".join(quoted + (["readonly"] if read_only else []))


def pcap_target(pcap: Path) -> str:
    """Where the container sees a pcap: its own name (characters a shell or CSV would mangle replaced)."""
    return f"{PCAP_TARGET}/{re.sub(r'[^A-Za-z0-9._-]', '_', pcap.name)}"


def run_folder_name(pcap: Path, started: datetime, index: int) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", pcap.name.split(".")[0] or "capture")[:60]
    return f"{RUN_PREFIX}{started.astimezone(UTC):%Y%m%dT%H%M%SZ}-{index:02d}-{stem}"


def zeek_replay_argv(
    *,
    image: str,
    mounts: ReplayMounts,
    pcap: Path,
    staging_name: str,
    user: str,
    project: str,
    docker: str = "docker",
) -> list[str]:
    """`docker run` of `zeek -C -r` over one pcap (pure: the one argv replay starts, unit-tested).

    The official zeek/zeek image has no entrypoint: the argv after the image is the whole command. The
    container has no network, a read-only root, every capability dropped, and runs as the calling user
    (`user`, uid:gid) so the logs belong to whoever ran replay and a folder they can write is enough. `-C`:
    captures often carry offloaded (wrong) checksums; the live sensor ignores them too."""
    argv = [
        docker, "run", "--rm",
        "--network", "none",
        "--read-only",
        "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges:true",
        "--user", user,
        "--tmpfs", "/tmp:size=64m",  # noqa: S108 - the container's own /tmp, as the live sensor has
        "--label", f"io.minisoc.replay={project}",
        "--mount", _mount("bind", str(mounts.log_dir), LOGS_TARGET, read_only=False),
        "--mount", _mount("bind", str(mounts.local_zeek), LOCAL_ZEEK_TARGET, read_only=True),
        "--mount", _mount("bind", str(mounts.hold_script), REPLAY_HOLD_TARGET, read_only=True),
    ]
    if mounts.intel_volume is not None:
        argv += ["--mount", _mount("volume", mounts.intel_volume, INTEL_TARGET, read_only=True)]
    argv += [
        "--mount", _mount("bind", str(pcap), pcap_target(pcap), read_only=True),
        "--workdir", f"{LOGS_TARGET}/{staging_name}",
        image,
        ZEEK_BINARY, "-C", "-r", pcap_target(pcap), LOCAL_ZEEK_TARGET, REPLAY_HOLD_TARGET,
    ]
    return argv


def docker_image_present_argv(image: str, docker: str = "docker") -> list[str]:
    return [docker, "image", "inspect", "--format", "{{.Id}}", image]


def docker_volume_present_argv(volume: str, docker: str = "docker") -> list[str]:
    return [docker, "volume", "inspect", "--format", "{{.Name}}", volume]


def zeek_image(site: Site) -> str:
    """The site's Zeek image: images.zeek, else the lock's (live mode), else the pinned default."""
    override = site.profile.images.for_service("zeek")
    if override is not None:
        return override
    lock = read_lock(site.paths.lock_file)
    if lock is not None and "zeek" in lock.images:
        return lock.images["zeek"].reference
    return default_images()["zeek"]


def check_pcaps(pcaps: Sequence[Path]) -> list[Path]:
    if not pcaps:
        raise UsageError("replay: no pcap given", "name capture files: minisoc replay SITE a.pcap b.pcap")
    checked = []
    for pcap in pcaps:
        try:
            with pcap.open("rb") as handle:
                magic = handle.read(4)
        except FileNotFoundError:
            raise UsageError(f"{pcap}: no such pcap", "check the path (relative to this folder)") from None
        except IsADirectoryError:
            raise UsageError(f"{pcap}: a folder, not a pcap", "name the capture files themselves") from None
        except OSError as error:
            raise UsageError(f"{pcap}: cannot read it ({error.strerror})", "check its permissions") from None
        if magic not in PCAP_MAGICS:
            raise UsageError(
                f"{pcap}: not a pcap or pcapng file", "replay reads captures as tcpdump writes them"
            )
        checked.append(pcap.resolve())
    return checked


def check_site(site: Site) -> ReplayMounts:
    """The site's side of a replay: rendered scripts and a writable log folder."""
    if site.profile.sensor.mode == "off":
        raise UsageError(
            "sensor.mode: off: this site has no Zeek logs to replay into",
            "set sensor.mode: external (or live) in minisoc.yaml and run `minisoc render`",
        )
    root = site.paths.site_dir
    local_zeek, hold = root / LOCAL_ZEEK_FILE, root / REPLAY_HOLD_FILE
    for script in (local_zeek, hold):
        if not script.is_file():
            raise UsageError(
                f"{script}: missing, the site is not rendered (or was rendered by an older minisoc)",
                f"run `minisoc render {site.site_dir}` first",
            )
    log_dir = site.paths.log_dir
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"sensor.log_dir: cannot create {log_dir} ({error.strerror})", "create it, writable by you"
        ) from None
    if not os.access(log_dir, os.W_OK | os.X_OK):
        raise UsageError(
            f"sensor.log_dir: {log_dir} is not writable by this user (replay's Zeek runs as you)",
            f"make it writable (e.g. `sudo chown -R $(id -u) {log_dir}`), or run replay as its owner",
        )
    return ReplayMounts(log_dir, local_zeek, hold, None)


def replay(
    site_dir: Path,
    pcaps: Sequence[Path],
    *,
    runner: CommandRunner | None = None,
    docker: str = "docker",
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    into: str = "",
    prepare: Callable[[Path], None] | None = None,
) -> ReplayReport:
    """Replay each pcap through the site's Zeek into its log folder; the report names each run's folder.
    `into`: a folder under the log folder for the run folders (`minisoc scenario`: scenarios/<id>);
    `prepare(staging)`: changes Zeek's logs before they are renamed into sight (a scenario shifts their
    times to now)."""
    run = runner or CommandRunner()
    site = load_site(site_dir)
    checked = check_pcaps(pcaps)
    mounts = check_site(site)
    image = zeek_image(site)
    report = ReplayReport(site.paths.site_dir, image)
    if run(docker_image_present_argv(image, docker), check=False).returncode != 0:
        raise ServiceError(
            f"images.zeek: the Zeek image {image} is not on this machine",
            f"`docker pull {image}` on a machine that reaches Docker Hub (then `docker save`/`docker load`), "
            "or name a local image in images.zeek",
        )
    if "correlator" in site.services:
        volume = f"{site.profile.project_name}_intel"
        if run(docker_volume_present_argv(volume, docker), check=False).returncode == 0:
            mounts = ReplayMounts(mounts.log_dir, mounts.local_zeek, mounts.hold_script, volume)
        else:
            report.warnings.append(
                f"no intel export yet (volume {volume} is missing): Zeek replays without the site's "
                "indicators (no intel.log); the correlator still matches the logs once it runs "
                f"(`minisoc up {site_dir}`)"
            )
    started = now()
    user = f"{os.getuid()}:{os.getgid()}"
    for index, pcap in enumerate(checked, start=1):
        name = run_folder_name(pcap, started, index)
        report.runs.append(_replay_one(run, site, mounts, image, pcap, name, user, docker, into, prepare))
    return report


def _free_folder(log_dir: Path, name: str) -> tuple[Path, Path]:
    """A new staging folder and its final name, neither taken (two replays within one second: -2, -3...)."""
    for attempt in range(1, 1000):
        candidate = name if attempt == 1 else f"{name}-{attempt}"
        staging, final = log_dir / f"{STAGING_PREFIX}{candidate}", log_dir / candidate
        if final.exists():
            continue
        try:
            staging.mkdir(mode=0o755)
        except FileExistsError:
            continue
        return staging, final
    raise UsageError(f"sensor.log_dir: {log_dir} holds 999 replay folders named {name}", "remove old ones")


def _replay_one(
    run: CommandRunner, site: Site, mounts: ReplayMounts, image: str, pcap: Path, name: str, user: str,
    docker: str, into: str = "", prepare: Callable[[Path], None] | None = None,
) -> ReplayRun:
    parent = mounts.log_dir / into
    parent.mkdir(parents=True, exist_ok=True)
    staging, final = _free_folder(parent, name)
    argv = zeek_replay_argv(
        image=image, mounts=mounts, pcap=pcap, staging_name=str(staging.relative_to(mounts.log_dir)),
        user=user, project=site.profile.project_name, docker=docker,
    )
    try:
        run(argv, check=True, hint=f"Zeek could not replay {pcap.name}; nothing was added to the log folder")
        files = tuple(sorted(path.name for path in staging.iterdir() if path.is_file()))
        if prepare is not None:
            prepare(staging)
        staging.rename(final)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return ReplayRun(pcap, final, files)
