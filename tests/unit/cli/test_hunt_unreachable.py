"""`minisoc hunt` on paths the user may not reach: one error line, never a traceback.

The tests run as root, who reaches every path, so the hunt is run in a forked child that has dropped to
`nobody` (uid/gid 65534): a real EACCES from the kernel, not a mocked one. The child does not exec (the
interpreter lives under /root, which `nobody` cannot read): it calls `main` with the modules this process
already imported, after one warm-up run as root so that nothing is imported late.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

import minisoc.cli.init as init_command
from minisoc.cli.main import main

NOBODY = 65534
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="dropping to another uid needs root")


def _run_as_nobody(argv: list[str]) -> tuple[int, str]:
    """(exit code, stderr) of `minisoc argv` run as uid/gid 65534 in a forked child."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        os.close(read_end)
        err = io.StringIO()
        code = 99
        try:
            # the help text lists the packaged templates; in CI the package sits under /root (0700), which
            # nobody cannot stat: read the list as root, as the warm-up did for the modules
            names = init_command.template_names()
            init_command.template_names = lambda: names  # type: ignore[assignment]
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                code = main(argv)
        except BaseException:  # a traceback is what the test looks for: report it, never raise here
            err.write(traceback.format_exc())
        os.write(write_end, f"{code}\n{err.getvalue()}".encode())
        os._exit(0)
    os.close(write_end)
    data = b""
    while chunk := os.read(read_end, 65536):
        data += chunk
    os.close(read_end)
    os.waitpid(pid, 0)
    code_text, _, stderr = data.decode().partition("\n")
    return int(code_text), stderr


@pytest.fixture()
def open_dir() -> Iterator[Path]:
    """A directory anyone may enter (pytest's tmp_path is under a 0700 directory)."""
    with tempfile.TemporaryDirectory(prefix="minisoc-perm-") as name:
        path = Path(name)
        path.chmod(0o755)
        yield path
        for child in path.rglob("*"):  # let the cleanup in again
            child.chmod(0o755)


def _logs_and_intel(shared_data: Path, where: Path) -> tuple[Path, Path]:
    logs = where / "dns.log"
    logs.write_bytes((shared_data / "zeek/json/zat/dns.log").read_bytes())
    intel = where / "hunt.intel"
    intel.write_text("#fields\tindicator\tindicator_type\nicemaiden.com\tIntel::DOMAIN\n")
    logs.chmod(0o644)
    intel.chmod(0o644)
    return logs, intel


@pytest.mark.parametrize("which", ["logs", "intel"])
def test_a_path_under_a_directory_we_may_not_enter_is_one_error_line(
    shared_data: Path, open_dir: Path, which: str, capsys: pytest.CaptureFixture[str]
) -> None:
    logs, intel = _logs_and_intel(shared_data, open_dir)
    locked = open_dir / "locked"
    locked.mkdir()
    _logs_and_intel(shared_data, locked)
    locked.chmod(0o700)  # root's only: `nobody` may not search it, so stat() of what is inside fails
    argv = ["hunt", "--logs", str(logs), "--intel", str(intel)]
    assert main(argv) == 0  # the warm-up, as root: everything is readable and imported
    capsys.readouterr()
    argv[2 if which == "logs" else 4] = str(locked / ("dns.log" if which == "logs" else "hunt.intel"))
    code, stderr = _run_as_nobody(argv)
    assert "Traceback" not in stderr
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {locked}/"), stderr
    assert "Permission denied" in lines[0] and "; hint: " in lines[0]


def test_an_intel_directory_we_may_not_list_is_one_error_line(
    shared_data: Path, open_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs, intel = _logs_and_intel(shared_data, open_dir)
    locked = open_dir / "intel"
    locked.mkdir()
    (locked / "hunt.intel").write_bytes(intel.read_bytes())
    locked.chmod(0o711)  # `nobody` may enter it, not list it
    assert main(["hunt", "--logs", str(logs), "--intel", str(locked)]) == 0
    capsys.readouterr()
    code, stderr = _run_as_nobody(["hunt", "--logs", str(logs), "--intel", str(locked)])
    assert "Traceback" not in stderr
    assert code == 2 and stderr.startswith(f"error: {locked}: cannot list"), stderr
