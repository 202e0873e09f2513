"""Hostile input for the profile loader (hypothesis): random YAML documents, random mutations of a valid
profile and random text edits give a SiteProfile or a ProfileError/UsageError, never another exception;
paths in a profile cannot lead out of SITE_DIR, neither with `..` nor through a symlink."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minisoc.errors import ProfileError, UsageError
from minisoc.profile import SiteProfile, load_profile, parse_profile

REPO = Path(__file__).resolve().parents[3]
BASE: dict[str, Any] = {
    "version": 1,
    "site": {"name": "lab", "admin_email": "soc@example.org"},
    "sensor": {"mode": "external", "interface": None, "log_dir": "logs/zeek"},
    "intel": {"local_feed_dir": "feeds/local", "intel_files": ["intel/a.intel"], "sync_interval": "5m"},
    "opensearch": {"heap_mb": 512},
    "ports": {"opensearch": {"port": 9200}, "dashboards": {"port": 5601, "bind": "127.0.0.1"}},
    "security": {"tls": {"cert_validity_days": 397, "extra_names": ["soc.example.org"]}},
}
FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["../../etc", "/etc/passwd", "0.0.0.0", "eth0/x", "9" * 40, "1e309"]),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=25,
)


def _templates() -> list[dict[str, Any]]:
    found = [BASE]
    for path in sorted((REPO / "templates").glob("**/*.yaml")):
        loaded = yaml.safe_load(path.read_text())
        if isinstance(loaded, dict):
            found.append(loaded)
    return found


def _loads_or_refuses(text: str) -> None:
    try:
        profile = parse_profile(text)
    except (ProfileError, UsageError) as error:
        assert error.lines() and all(isinstance(line, str) and line for line in error.lines())
        return
    assert isinstance(profile, SiteProfile)


def test_the_baseline_profile_is_valid() -> None:
    assert parse_profile(yaml.safe_dump(BASE)).site.name == "lab"


@FUZZ
@given(documents)
def test_random_yaml_documents(document: object) -> None:
    _loads_or_refuses(yaml.safe_dump(document))


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    document = copy.deepcopy(draw(st.sampled_from(_templates())))
    for _ in range(draw(st.integers(1, 4))):
        node: Any = document
        while isinstance(node, dict) and node and draw(st.booleans()):
            child = node[draw(st.sampled_from(sorted(node, key=str)))]
            if not isinstance(child, dict | list):
                break
            node = child if isinstance(child, dict) else {}
        if not isinstance(node, dict):
            continue
        action = draw(st.sampled_from(["set", "delete", "add"]))
        if action == "add" or not node:
            node[draw(st.text(max_size=10))] = draw(documents)
        elif action == "delete":
            del node[draw(st.sampled_from(sorted(node, key=str)))]
        else:
            node[draw(st.sampled_from(sorted(node, key=str)))] = draw(documents)
    return document


@FUZZ
@given(mutated())
def test_random_mutations_of_valid_profiles(document: dict[str, Any]) -> None:
    _loads_or_refuses(yaml.safe_dump(document))


@FUZZ
@given(st.data())
def test_random_text_edits_of_a_valid_profile(data: st.DataObject) -> None:
    text = yaml.safe_dump(BASE)
    position = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 20))
    insert = data.draw(st.text(alphabet=st.characters(codec="utf-8"), max_size=20))
    _loads_or_refuses(text[:position] + insert + text[position + cut :])


@pytest.mark.parametrize(
    "field,value",
    [
        ("sensor.log_dir", "../outside"),
        ("sensor.log_dir", "logs/../../outside"),
        ("intel.local_feed_dir", "/etc"),
        ("intel.local_feed_dir", "../feeds"),
        ("intel.intel_files", ["../../etc/shadow"]),
    ],
)
def test_a_profile_path_cannot_escape_site_dir(field: str, value: object) -> None:
    document = copy.deepcopy(BASE)
    section, key = field.split(".")
    document[section][key] = value
    with pytest.raises(ProfileError) as caught:
        parse_profile(yaml.safe_dump(document))
    assert any(problem.path.startswith(field) for problem in caught.value.problems)


def test_a_symlink_inside_site_dir_cannot_lead_out(tmp_path: Path) -> None:
    site, outside = tmp_path / "site", tmp_path / "elsewhere"
    (site / "feeds").mkdir(parents=True)
    outside.mkdir()
    (site / "feeds" / "local").symlink_to(outside, target_is_directory=True)
    (site / "minisoc.yaml").write_text(yaml.safe_dump(BASE))
    with pytest.raises(ProfileError) as caught:
        load_profile(site)
    assert [p.path for p in caught.value.problems] == ["intel.local_feed_dir"]
