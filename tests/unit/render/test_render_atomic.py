"""A render is all or nothing: a failure at any step leaves the site byte for byte (and mode for mode) as it
was; a wrong kind of path where render writes is a one-line error; a crash mid-swap is finished by the next
render."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509

import minisoc.render.memory as memory_module
import minisoc.render.security_step as security_step
import minisoc.render.site as site_module
import minisoc.render.staging as staging
import minisoc.security.opensearch as security_opensearch
from minisoc.cli.main import main
from minisoc.errors import UsageError
from minisoc.profile import SiteProfile, load_profile
from minisoc.render import render_site
from minisoc.render.plan import plan_site
from render_support import fixed_secret, site_from_template

Snapshot = dict[str, tuple[str, int, int, bytes]]


def snapshot(site: Path) -> Snapshot:
    """Every path under SITE_DIR: kind, mode, owner and bytes (folders and files)."""
    seen: Snapshot = {}
    for path in sorted([site, *site.rglob("*")]):
        info = path.lstat()
        kind = "dir" if stat.S_ISDIR(info.st_mode) else "file"
        data = path.read_bytes() if kind == "file" else b""
        seen[str(path.relative_to(site))] = (kind, stat.S_IMODE(info.st_mode), info.st_uid, data)
    return seen


class Injected(RuntimeError):
    """The failure a test injects."""


def _changed_site(tmp_path: Path) -> tuple[Path, SiteProfile]:
    """A rendered site whose next render changes a lot: a new file, changed files, a stale file to remove,
    re-issued certificates (a new name), a new hash (a rotated password), a folder to create."""
    site, profile = site_from_template(tmp_path, "small-site")
    render_site(site, profile, secrets=fixed_secret)
    text = (site / "minisoc.yaml").read_text()
    text = text.replace("  dashboards:\n    enabled: true", "  dashboards:\n    enabled: false")
    text = text.replace(
        "    cert_validity_days: 397", "    cert_validity_days: 397\n    extra_names: [soc.example.org]"
    )
    (site / "minisoc.yaml").write_text(text)
    (site / "secrets" / "opensearch-analyst-password").unlink()
    (site / "logs" / "zeek").rmdir()
    (site / "feeds" / "local" / "manifest.json").unlink()
    return site, load_profile(site)


def _is_swap_move(source: Path, target: Path) -> bool:
    """A move of the swap: between the stage and the site (not a write inside the stage, not a rollback)."""
    return (staging.STAGING_DIR_NAME in source.parts) != (staging.STAGING_DIR_NAME in target.parts)


class Crash(BaseException):
    """The process dies: nothing after this runs (no rollback, no clean-up)."""


def _crash(*_: object) -> None:
    raise Crash


def _raiser(*_: object, **__: object) -> None:
    raise Injected("injected")


STEPS: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "render in memory": lambda m: m.setattr(memory_module, "compose_document", _raiser),
    "write the stage": lambda m: m.setattr(site_module, "write_files", _raiser),
    "feed manifest": lambda m: m.setattr(site_module, "write_atomic", _raiser),
    "site CA check": lambda m: m.setattr(security_step, "check_site_ca", _raiser),
    "PKI": lambda m: m.setattr(security_step, "ensure_site_pki", _raiser),
    "security plugin files": lambda m: m.setattr(security_opensearch, "render_security_config", _raiser),
    "stale files": lambda m: m.setattr(site_module, "stale_config_files", _raiser),
    "kinds of targets": lambda m: m.setattr(site_module, "check_targets", _raiser),
    "restarts": lambda m: m.setattr(site_module, "services_to_restart", _raiser),
    "commit record": lambda m: m.setattr(staging, "write_atomic", _raiser),
    "folders": lambda m: m.setattr(staging, "_make_folders", _raiser),
    "directory sync": lambda m: m.setattr(staging, "fsync_directory", _raiser),
}


@pytest.mark.parametrize("step", list(STEPS))
def test_a_failure_at_any_step_leaves_the_site_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    site, profile = _changed_site(tmp_path)
    before = snapshot(site)
    with monkeypatch.context() as patch:
        STEPS[step](patch)
        with pytest.raises((Injected, UsageError)):
            render_site(site, profile, secrets=fixed_secret)
    assert snapshot(site) == before
    assert render_site(site, profile, secrets=fixed_secret).written  # and the next render does the work


def test_a_failure_at_any_file_of_the_swap_puts_every_file_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site, profile = _changed_site(tmp_path)
    before = snapshot(site)
    real_replace = Path.replace
    moves: list[Path] = []

    def counting(self: Path, target: str | os.PathLike[str]) -> Path:
        if _is_swap_move(self, Path(target)):
            moves.append(Path(target))
            if len(moves) == fail_at:
                raise OSError(28, "No space left on device", str(target))
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", counting)
    fail_at = 0
    planned = plan_site(site, profile, secrets=fixed_secret)
    swaps = len(planned.changes)  # one move per file added, changed or removed
    assert swaps >= 10  # files added, changed and removed: enough to fail in the middle
    for fail_at in range(1, swaps + 1):
        moves.clear()
        with pytest.raises(UsageError) as raised:
            render_site(site, profile, secrets=fixed_secret)
        assert "render failed (No space left on device" in raised.value.message
        assert "the site was left as it was" in str(raised.value.hint)
        assert snapshot(site) == before, f"failure at move {fail_at} of {swaps}"


@pytest.mark.parametrize("when", ["during the swap", "during the rollback of a failed swap"])
def test_a_crash_mid_swap_is_finished_by_the_next_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    site, profile = _changed_site(tmp_path)
    real_replace = Path.replace
    moved = []

    def crashing(self: Path, target: str | os.PathLike[str]) -> Path:
        if _is_swap_move(self, Path(target)):
            moved.append(target)
            if len(moved) == 5:
                if when == "during the swap":
                    raise Crash  # the process dies here: no rollback, no clean-up
                raise OSError(28, "No space left on device", str(target))  # the rollback starts
            if len(moved) == 7:
                raise Crash  # the process dies in the middle of the rollback
        return real_replace(self, target)

    with monkeypatch.context() as patch:
        patch.setattr(Path, "replace", crashing)
        if when == "during the swap":
            patch.setattr(staging, "_rollback", _crash)
        patch.setattr(staging.Stage, "discard", lambda self: None)
        with pytest.raises(Crash):
            render_site(site, profile, secrets=fixed_secret)
    assert staging.finished_swap_pending(site)
    assert any("interrupted render" in note for note in plan_site(site, profile, secrets=fixed_secret).notes)
    result = render_site(site, profile, secrets=fixed_secret)
    assert result.recovered and not (site / staging.STAGING_DIR_NAME).exists()
    assert not plan_site(site, profile, secrets=fixed_secret).has_changes
    # the half-swapped PKI was completed from the stage: every certificate hangs on the CA on disk
    ca = x509.load_pem_x509_certificate((site / "pki" / "ca.crt").read_bytes())
    for name in ("opensearch-node", "opensearch-admin", "dashboards", "feedserver"):
        leaf = x509.load_pem_x509_certificate((site / "pki" / f"{name}.crt").read_bytes())
        leaf.verify_directly_issued_by(ca)


def test_an_unfinished_stage_without_commit_record_is_dropped(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "ci")
    render_site(site, profile, secrets=fixed_secret)
    leftover = site / staging.STAGING_DIR_NAME / "compose.yaml"
    leftover.parent.mkdir()
    leftover.write_text("half-staged")
    before = (site / "compose.yaml").read_bytes()
    assert not render_site(site, profile, secrets=fixed_secret).recovered
    assert (site / "compose.yaml").read_bytes() == before and not leftover.parent.exists()


WRONG_KINDS = {
    "compose.yaml is a folder": ("compose.yaml", "dir", "is a folder where minisoc render writes a file"),
    ".env is a folder": (".env", "dir", "is a folder where minisoc render writes a file"),
    "minisoc.lock is a folder": ("minisoc.lock", "dir", "is a folder where minisoc render writes a file"),
    "pki is a file": ("pki", "file", "is a file where minisoc render needs a folder"),
    "pki/ca.crt is a folder": ("pki/ca.crt", "dir", "is a folder where minisoc render writes a file"),
    "secrets is a file": ("secrets", "file", "is a file where minisoc render needs a folder"),
    "a secret is a folder": (
        "secrets/opensearch-admin-password", "dir", "is a folder where minisoc keeps a secret file"),
    "config is a file": ("config", "file", "is a file where minisoc render needs a folder"),
    "a config file is a folder": (
        "config/opensearch/opensearch.yml", "dir", "is a folder where minisoc render writes a file"),
    "the security folder is a file": (
        "config/opensearch/security", "file", "is a file where minisoc render needs a folder"),
    "the log folder is a file": ("logs/zeek", "file", "is a file where minisoc render makes a folder"),
    "the log folder's parent is a file": ("logs", "file", "is a file where minisoc render makes a folder"),
    "the feed manifest is a folder": (
        "feeds/local/manifest.json", "dir", "is a folder where minisoc render writes a file"),
    "the staging folder is a file": (".minisoc-staging", "file", "is not a folder; minisoc stages renders"),
}


@pytest.mark.parametrize("case", list(WRONG_KINDS))
@pytest.mark.parametrize("command", ["render", "plan"])
def test_a_wrong_kind_of_path_is_one_line_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, command: str
) -> None:
    relative, kind, message = WRONG_KINDS[case]
    site, _ = site_from_template(tmp_path, "small-site")
    blocker = site / relative
    blocker.parent.mkdir(parents=True, exist_ok=True)
    if kind == "dir":
        blocker.mkdir()
        (blocker / "keep-me").write_text("the user's")
    else:
        blocker.write_text("the user's")
    before = snapshot(site)
    code = main([command, str(site)])
    err = capsys.readouterr().err.splitlines()
    assert code == 2, err
    assert len(err) == 1 and message in err[0] and "; hint: " in err[0], err
    assert "Traceback" not in "".join(err)
    assert snapshot(site) == before


def test_a_certificate_name_refused_at_the_pki_step_leaves_a_new_site_empty(tmp_path: Path) -> None:
    """The issue's case: `profile check` now refuses such a name, but should a bad value still reach the PKI
    step (a rule missed), compose.yaml, .env, configs, secrets and the lock must not be written either."""
    site, profile = site_from_template(tmp_path, "ci")
    tls = profile.security.tls.model_copy(update={"extra_names": ["bad name!"]})  # no validation on purpose
    unchecked = profile.model_copy(
        update={"security": profile.security.model_copy(update={"tls": tls})}
    )
    before = snapshot(site)
    with pytest.raises(UsageError, match="DNS name 'bad name!' is invalid"):
        render_site(site, unchecked, secrets=fixed_secret)
    assert snapshot(site) == before
    assert sorted(p.name for p in site.iterdir()) == ["minisoc.yaml"]
