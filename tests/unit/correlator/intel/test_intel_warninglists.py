"""MISP warninglists, with the real lists: each list type suppresses what it names (reported with the list
and the entry), leaves the rest, and respects matching_attributes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minisoc.correlator import Indicator, model
from minisoc.correlator.hunt import load_hunt_columns
from minisoc.correlator.intel import load_warninglists
from minisoc.errors import IntelError

LISTS = "misp/warninglists"


def _indicator(kind: str, value: str, misp_type: str) -> Indicator:
    return Indicator(value=value, kind=kind, type=misp_type, source="test")


IP, CIDR, DOMAIN, URL = model.KIND_IP, model.KIND_CIDR, model.KIND_DOMAIN, model.KIND_URL


def _partition(shared_data: Path, name: str, indicators: list[Indicator]) -> tuple[list[str], dict[str, str]]:
    lists = load_warninglists([shared_data / LISTS / name])
    kept, suppressed = lists.partition(indicators)
    return [i.value for i in kept], {s.indicator.value: s.matched_entry for s in suppressed}


def test_cidr_list_suppresses_addresses_and_networks_inside(shared_data: Path) -> None:
    kept, suppressed = _partition(shared_data, "rfc1918.json", [
        _indicator(IP, "10.1.2.3", "ip-dst"), _indicator(CIDR, "192.168.4.0/24", "ip-src"),
        _indicator(IP, "8.8.8.8", "ip-dst"), _indicator(CIDR, "172.0.0.0/8", "ip-dst"),
        _indicator(IP, "10.9.9.9", "domain|ip")])
    assert suppressed == {"10.1.2.3": "10.0.0.0/8", "192.168.4.0/24": "192.168.0.0/16",
                          "10.9.9.9": "10.0.0.0/8"}
    assert kept == ["8.8.8.8", "172.0.0.0/8"]


def test_big_cidr_list_is_not_scanned_linearly(shared_data: Path) -> None:
    document = json.loads((shared_data / LISTS / "public-dns-v4.json").read_text())
    listed = [e for e in document["list"] if "/" not in e][:2000]
    lists = load_warninglists([shared_data / LISTS / "public-dns-v4.json"])
    indicators = [_indicator(model.KIND_IP, v, "ip-dst") for v in listed]
    indicators += [_indicator(model.KIND_IP, f"203.0.113.{i % 250}", "ip-dst") for i in range(2000)]
    kept, suppressed = lists.partition(indicators)
    assert len(suppressed) == len(listed) and len(kept) == 2000
    # the 62k entries sit in one hash set per (version, prefix length): a check costs one probe per length
    buckets = lists.lists[0].cidrs.buckets()
    assert sum(buckets.values()) == len(set(document["list"])) and len(buckets) <= 33


def test_string_list_is_exact_and_case_insensitive(shared_data: Path) -> None:
    empty_md5 = "d41d8cd98f00b204e9800998ecf8427e"
    kept, suppressed = _partition(shared_data, "empty-hashes.json", [
        _indicator(model.KIND_MD5, empty_md5, "md5"), _indicator(model.KIND_MD5, "0" * 32, "md5"),
        _indicator(model.KIND_MD5, empty_md5, "ip-dst")])
    assert suppressed == {empty_md5: empty_md5}
    assert kept == ["0" * 32, empty_md5]  # the second: its type is not in matching_attributes


def test_string_list_checks_the_host_of_urls(shared_data: Path) -> None:
    document = json.loads((shared_data / LISTS / "cisco_top1000.json").read_text())
    top = document["list"][10]
    _, suppressed = _partition(shared_data, "cisco_top1000.json", [
        _indicator(URL, f"{top}/some/path", "url"), _indicator(DOMAIN, f"x.{top}", "domain")])
    assert suppressed == {f"{top}/some/path": top}  # string lists do not cover subdomains


def test_hostname_list_covers_subdomains(shared_data: Path) -> None:
    document = json.loads((shared_data / LISTS / "tranco10k.json").read_text())
    name = document["list"][5]
    kept, suppressed = _partition(shared_data, "tranco10k.json", [
        _indicator(DOMAIN, f"a.b.{name}", "domain"), _indicator(DOMAIN, name, "hostname"),
        _indicator(model.KIND_DOMAIN, f"not{name}", "domain")])
    assert suppressed == {f"a.b.{name}": name, name: name}
    assert kept == [f"not{name}"]


def test_substring_list(shared_data: Path) -> None:
    kept, suppressed = _partition(shared_data, "automated-malware-analysis.json", [
        _indicator(URL, "app.any.run/tasks/1", "url"), _indicator(DOMAIN, "evil.example", "domain")])
    assert suppressed == {"app.any.run/tasks/1": "app.any.run"}
    assert kept == ["evil.example"]


def test_regex_list(shared_data: Path) -> None:
    kept, suppressed = _partition(shared_data, "common-contact-emails.json", [
        _indicator(model.KIND_EMAIL, "abuse@example.org", "email-src"),
        _indicator(model.KIND_EMAIL, "attacker@example.org", "email-src")])
    assert list(suppressed) == ["abuse@example.org"]
    assert kept == ["attacker@example.org"]


def test_directory_of_lists_loads_all_and_names_the_list(shared_data: Path) -> None:
    lists = load_warninglists([shared_data / LISTS])
    assert len(lists.lists) == len(list((shared_data / LISTS).glob("*.json")))
    [suppressed] = lists.partition([_indicator(model.KIND_IP, "224.0.0.251", "ip-dst")])[1]
    assert suppressed.warninglist == "List of RFC 5771 multicast CIDR blocks"


def test_bad_warninglist_raises_intel_error(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"name": "x", "type": "fuzzy", "list": []}')
    with pytest.raises(IntelError, match="type"):
        load_warninglists([tmp_path / "bad.json"])
    with pytest.raises(IntelError):
        load_warninglists([tmp_path / "missing.json"])
    (tmp_path / "deep.json").write_bytes(b'{"name": "x", "list": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    with pytest.raises(IntelError, match="not valid JSON"):  # nested past msgspec's recursion limit
        load_warninglists([tmp_path / "deep.json"])


def _write_list(directory: Path, name: str, list_type: str, entries: list[str], **extra: object) -> Path:
    path = directory / f"{name}.json"
    path.write_text(json.dumps({"name": name, "type": list_type, "list": entries, **extra}))
    return path


# entries of misp-warninglists lists/dynamic-dns/list.json: every entry starts with a dot
DYNAMIC_DNS = [".001www.com", ".duckdns.org", ".ddns.net", ".zapto.org"]


def test_hostname_entries_with_a_leading_dot_cover_the_name_and_below(tmp_path: Path) -> None:
    path = _write_list(tmp_path, "dynamic-dns", "hostname", DYNAMIC_DNS,
                       matching_attributes=["domain", "hostname", "domain|ip"])
    kept, suppressed = load_warninglists([path]).partition([
        _indicator(DOMAIN, "evil.duckdns.org", "domain"), _indicator(DOMAIN, "duckdns.org", "hostname"),
        _indicator(DOMAIN, "a.b.zapto.org", "domain|ip"), _indicator(DOMAIN, "notduckdns.org", "domain")])
    assert {s.indicator.value: s.matched_entry for s in suppressed} == {
        "evil.duckdns.org": ".duckdns.org", "duckdns.org": ".duckdns.org", "a.b.zapto.org": ".zapto.org"}
    assert [i.value for i in kept] == ["notduckdns.org"]


def test_regex_entries_take_php_delimiters_and_modifiers(tmp_path: Path) -> None:
    path = _write_list(tmp_path, "php", "regex", [
        r"{^brace\.example$}i", r"(^paren\.example$)", r"[^square\.(one|two)\.example$]",
        r"<^angle\.example$>", r"#^hash\.example$#i", r"/^slash\.example$/D", r"{^nested\.x{2}\.example$}",
        r"/\.anchored\.example$/A", r"~^tilde\.example\/x$~ S", r"!^bang\.example$!u"])
    lists = load_warninglists([path])
    values = ["BRACE.example", "paren.example", "square.two.example", "angle.example", "HASH.example",
              "slash.example", "nested.xx.example", "tilde.example/x", "bang.example", "one.anchored.example",
              "brace.example.org"]
    kept, suppressed = lists.partition([_indicator(DOMAIN, value, "domain") for value in values])
    assert [s.indicator.value for s in suppressed] == values[:9]
    # A: anchored at the start
    assert [i.value for i in kept] == ["one.anchored.example", "brace.example.org"]
    assert lists.lists[0].unusable == []


def test_regex_entries_python_cannot_use_are_reported_per_list(tmp_path: Path) -> None:
    path = _write_list(tmp_path, "odd", "regex", [
        "/^lazy.+x$/U", "/^(unclosed$/", "no-delimiter", "/^no-end", "/^a(?R)?b$/", "/^ok$/"])
    [odd] = load_warninglists([path]).lists
    assert [entry for entry, _ in odd.unusable] == [
        "/^lazy.+x$/U", "/^(unclosed$/", "no-delimiter", "/^no-end", "/^a(?R)?b$/"]
    assert "'U'" in odd.unusable[0][1] and "delimiter" in odd.unusable[2][1]
    assert [entry for _, entry in odd.regexes] == ["/^ok$/"]


def test_hunt_summary_counts_unusable_entries_per_list(tmp_path: Path) -> None:
    _write_list(tmp_path, "odd", "regex", ["/^a$/U", "/^ok$/"])
    _write_list(tmp_path, "nets", "cidr", ["10.0.0.0/8", "not-a-network"])
    (tmp_path / "intel.txt").write_text(
        "#fields\tindicator\tindicator_type\tmeta.source\nok\tIntel::DOMAIN\tt\n")
    _, summary = load_hunt_columns([str(tmp_path / "intel.txt")], [str(tmp_path / "odd.json"),
                                                                    str(tmp_path / "nets.json")])
    assert summary.warninglist_entries_unusable == {"odd": 1, "nets": 1}


def test_regex_lists_see_urls_with_their_scheme(tmp_path: Path) -> None:
    # canonical URLs keep no scheme; MISP runs the regex on the value as stored, scheme included
    path = _write_list(tmp_path, "sharepoint", "regex", [r"/^https?:\/\/[a-z0-9.-]*\.sharepoint\.com\//i"],
                       matching_attributes=["url"])
    kept, suppressed = load_warninglists([path]).partition([
        _indicator(URL, "tenant.sharepoint.com/sites/x", "url"),
        _indicator(URL, "sharepoint.com.evil.example/x", "url")])
    assert [s.indicator.value for s in suppressed] == ["tenant.sharepoint.com/sites/x"]
    assert [i.value for i in kept] == ["sharepoint.com.evil.example/x"]


# the validator at the root of a misp-warninglists clone (excerpt): JSON, but not a warninglist
SCHEMA = {"id": "https://www.github.com/MISP/misp-warninglists/schema.json", "type": "object",
          "properties": {"list": {"items": {"type": "string"}, "type": "array"}, "name": {"type": "string"}},
          "required": ["list", "description", "version", "name", "type"]}


def test_a_clone_of_the_repository_loads_its_lists_and_reports_other_json(shared_data: Path,
                                                                         tmp_path: Path) -> None:
    listed = tmp_path / "lists" / "rfc1918" / "list.json"
    listed.parent.mkdir(parents=True)
    listed.write_bytes((shared_data / LISTS / "rfc1918.json").read_bytes())
    (tmp_path / "schema.json").write_text(json.dumps(SCHEMA))
    lists = load_warninglists([tmp_path])
    assert len(lists.lists) == 1 and lists.skipped_files == [str(tmp_path / "schema.json")]
    assert lists.partition([_indicator(IP, "10.1.2.3", "ip-dst")])[1]
    (tmp_path / "intel.txt").write_text(
        "#fields\tindicator\tindicator_type\tmeta.source\n10.1.2.3\tIntel::ADDR\tt\n")
    _, summary = load_hunt_columns([str(tmp_path / "intel.txt")], [str(tmp_path)])
    assert summary.warninglist_files_skipped == [str(tmp_path / "schema.json")] and summary.suppressed == 1
    with pytest.raises(IntelError, match=r"schema\.json: not a MISP warninglist"):  # named: must be one
        load_warninglists([tmp_path / "schema.json"])
