"""The replay hold script (stacks/zeek/replay-hold.zeek, rendered as config/zeek/replay-hold.zeek): Zeek
cannot run here, so its text is held to Zeek 8.0's rules as read in Zeek's sources (its header says which)."""

from __future__ import annotations

import re
from pathlib import Path

from test_render_zeek import loads, zeek8_scripts

from minisoc.render import render_site
from render_support import fixed_secret, site_from_template


def rendered(tmp_path: Path, template: str = "small-site") -> tuple[str, str]:
    site, profile = site_from_template(tmp_path, template)
    render_site(site, profile, secrets=fixed_secret)
    zeek = site / "config" / "zeek"
    return (zeek / "replay-hold.zeek").read_text(), (zeek / "local.zeek").read_text()


def handler(script: str, event: str) -> str:
    match = re.search(rf"^event {re.escape(event)}\(.*?\n\t}}\n", script, re.MULTILINE | re.DOTALL)
    assert match is not None, event
    return match.group(0)


def test_it_loads_only_scripts_zeek_8_has(tmp_path: Path) -> None:
    hold, _ = rendered(tmp_path)
    names = loads(hold)
    assert names and [name for name in names if name not in zeek8_scripts()] == []


def test_packets_wait_for_the_stream_zeeks_intel_framework_reads_each_file_with(tmp_path: Path) -> None:
    hold, local = rendered(tmp_path)
    # base/frameworks/intel/input.zeek: Input::add_event(... $name=cat("intel-", a_file) ...) per read_files
    assert 'add awaiting[cat("intel-", f)];' in hold
    assert "suspend_processing();" in handler(hold, "zeek_init")
    end = handler(hold, "Input::end_of_data")
    assert "name !in awaiting" in end and 'release("intel loaded")' in end
    assert hold.count("continue_processing();") == 1  # in release(), which acts once (REREAD re-sends)
    assert 'redef Intel::read_files += { "/intel/minisoc.intel" };' in local  # the file it waits for


def test_it_never_hangs_a_replay(tmp_path: Path) -> None:
    hold, _ = rendered(tmp_path, "training-lab")
    init = handler(hold, "zeek_init")
    # missing (-1.0) or empty: Zeek's ASCII reader warns and never ends a first read, so no end_of_data
    assert "file_size(f) > 0.0" in init and init.index("file_size") < init.index("suspend_processing")
    # a file Zeek cannot read: its reader's warning names the file and ends the wait for it
    warning = handler(hold, "reporter_warning")
    assert "strstr(msg, f) > 0" in warning and "release(" in warning
    # under -r network time stands still while suspended: a scheduled timeout would never fire in the hold
    assert not re.search(r"^\s*schedule\b", hold, re.MULTILINE)


def test_a_replay_writes_one_set_of_logs_without_rotation_in_trace_time(tmp_path: Path) -> None:
    hold, local = rendered(tmp_path)
    assert "redef Log::default_rotation_interval = 0 secs;" in hold  # loaded after local.zeek's 1 hr
    assert "redef Log::default_rotation_interval = 1 hr;" in local
