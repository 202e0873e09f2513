"""`docker run` of `minisoc replay`'s argv without Docker: the image's zeek is the Zeek stand-in
(tests/standins/zeek), which writes the logs a real Zeek 8.0.10 wrote for the shared captures."""

from __future__ import annotations

import csv
import os
import subprocess
from pathlib import Path
from typing import Any

from minisoc.compose.process import Completed
from minisoc.errors import ExternalCommandError

STANDIN = Path(__file__).resolve().parent / "standins" / "zeek"


class FakeDocker:
    """Runs `docker run` of the replay argv without Docker: mounts become symlinks under a folder that stands
    for the container's root, and the image's zeek is the stand-in (given ZEEK_STANDIN_ROOT)."""

    def __init__(self, tmp: Path, logs: Path, *, image: bool = True, volume: Path | None = None) -> None:
        self.tmp, self.logs, self.image, self.volume = tmp, logs, image, volume
        self.calls: list[list[str]] = []

    def __call__(self, argv: list[str], *, timeout_s: float | None, check: bool,
                 hint: str | None = None) -> Completed:
        self.calls.append(argv)
        if argv[1:3] == ["image", "inspect"]:
            return Completed(argv, 0 if self.image else 1, "", "" if self.image else "No such image")
        if argv[1:3] == ["volume", "inspect"]:
            return Completed(argv, 0 if self.volume else 1, "", "")
        assert argv[1] == "run"
        return self._run(argv, check, hint)

    def _run(self, argv: list[str], check: bool, hint: str | None) -> Completed:
        root = self.tmp / f"container-{len(self.calls)}"
        options: dict[str, Any] = {"--mount": []}
        index = 2
        while argv[index].startswith("--"):
            if argv[index] in {"--rm", "--read-only"}:
                index += 1
                continue
            if argv[index] == "--mount":
                options["--mount"].append(dict(f.split("=", 1) if "=" in f else (f, "") for f in
                                               next(csv.reader([argv[index + 1]]))))
            else:
                options[argv[index]] = argv[index + 1]
            index += 2
        assert argv[index] == "zeek/zeek:8.0.10" and argv[index + 1] == "/usr/local/zeek/bin/zeek"
        for mount in options["--mount"]:
            source = Path(mount["source"]) if mount["type"] == "bind" else self.volume
            assert source is not None and source.exists(), mount
            link = root / mount["target"].lstrip("/")
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(source)
        workdir = root / options["--workdir"].lstrip("/")
        env = {**os.environ, "ZEEK_STANDIN_ROOT": str(root), "ZEEK_STANDIN_LOGS": str(self.logs)}
        done = subprocess.run([str(STANDIN), *argv[index + 2:]], cwd=workdir, env=env,
                              capture_output=True, text=True, check=False)
        if check and done.returncode:
            raise ExternalCommandError(argv, done.returncode, done.stdout, done.stderr, hint)
        return Completed(argv, done.returncode, done.stdout, done.stderr)
