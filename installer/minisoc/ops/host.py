"""Read facts about the host: versions, memory, kernel settings, free ports, network interfaces."""

from __future__ import annotations

import re
import socket
from pathlib import Path

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


def parse_version(text: str) -> tuple[int, int, int] | None:
    """The first dotted version in `text` (`v2.40.3`, `20.10.24+dfsg1`, `Docker Compose version v2.27.0`)."""
    match = _VERSION.search(text)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def parse_meminfo(text: str) -> dict[str, int]:
    """/proc/meminfo as {field: kibibytes}."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        words = rest.split()
        if words and words[0].isdigit():
            values[name.strip()] = int(words[0])
    return values


def memory_mb(meminfo_path: Path = Path("/proc/meminfo")) -> tuple[int, int]:
    """(total, available) memory in MiB; (0, 0) when unknown."""
    try:
        info = parse_meminfo(meminfo_path.read_text(encoding="ascii"))
    except OSError:
        return 0, 0
    return info.get("MemTotal", 0) // 1024, info.get("MemAvailable", info.get("MemFree", 0)) // 1024


def read_int(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def port_is_free(address: str, port: int, protocol: str = "tcp") -> bool:
    """Whether `port` can be bound on `address` for `protocol` (`tcp`, or `udp`: a UDP probe socket)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    kind = socket.SOCK_DGRAM if protocol == "udp" else socket.SOCK_STREAM
    with socket.socket(family, kind) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError:
            return False
    return True


def interface_exists(name: str, sys_class_net: Path = Path("/sys/class/net")) -> bool:
    return "/" not in name and (sys_class_net / name).exists()
