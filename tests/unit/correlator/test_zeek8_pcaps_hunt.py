"""The hunt over real Zeek 8.0.10 output of the shared pcaps (../shared/data/zeek, see its MANIFEST.md)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from minisoc.correlator.hunt import HuntRequest, run_hunt


def hunt(logs: Path, intel: Path) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    request = HuntRequest(logs=[str(logs)], intel=[str(intel)])
    run_hunt(request, lambda alerts: docs.extend(alert.doc for alert in alerts))
    return docs


def matched(docs: list[dict[str, Any]]) -> set[tuple[str, str | None, str]]:
    """(dataset of each record that matched, the alert's uid, matched field): an alert lists its records."""
    return {
        (f"zeek.{ref['log_type']}", doc["zeek"].get("uid"), enrichment["matched"]["field"])
        for doc in docs
        for ref in doc["minisoc"]["records"]
        for enrichment in doc["threat"]["enrichments"]
        if enrichment["matched"]["id"] in ref["matched"]
    }


@pytest.mark.parametrize("log_format", ["json", "tsv"])
def test_the_planted_ssh_guesser_is_found_in_every_connection_zeek_8_logged(
    shared_data: Path, log_format: str
) -> None:
    docs = hunt(shared_data / "zeek" / log_format / "zeek8-pcaps" / "sshguess",
                shared_data / "zeek" / "zeek8-pcaps.planted.intel")
    by_dataset: dict[str, set[str | None]] = {}
    for dataset, uid, _ in matched(docs):
        by_dataset.setdefault(dataset, set()).add(uid)
    # MANIFEST: 11 ssh connections from 192.168.56.1, in conn and ssh; Zeek's own intel.log matched each too
    assert {name: len(uids) for name, uids in by_dataset.items() if name != "zeek.notice"} == {
        "zeek.conn": 11, "zeek.ssh": 11, "zeek.intel": 11}
    assert by_dataset["zeek.conn"] == by_dataset["zeek.ssh"] == by_dataset["zeek.intel"]
    assert "zeek.notice" in by_dataset  # SSH::Password_Guessing names the guesser in `src`
    assert len(docs) == 12  # one alert per connection (its conn, ssh and intel.log records) and the notice
    assert all(doc["event"]["kind"] == "alert" for doc in docs)


def per_place(docs: list[dict[str, Any]]) -> Counter[tuple[str, str, str]]:
    """(dataset, matched field, value) counted: uids differ between two Zeek runs, these do not."""
    return Counter(
        (doc["event"]["dataset"], enrichment["matched"]["field"], enrichment["matched"]["atomic"])
        for doc in docs
        for enrichment in doc["threat"]["enrichments"]
    )


def test_json_and_tsv_output_of_the_same_pcap_give_the_same_matches(shared_data: Path) -> None:
    intel = shared_data / "zeek" / "zeek8-pcaps.planted.intel"
    for pcap in ("sshguess", "heartbleed-success"):
        as_json = per_place(hunt(shared_data / "zeek" / "json" / "zeek8-pcaps" / pcap, intel))
        as_tsv = per_place(hunt(shared_data / "zeek" / "tsv" / "zeek8-pcaps" / pcap, intel))
        assert as_json == as_tsv, pcap
        assert bool(as_json) == (pcap == "sshguess")  # only the ssh guesser was planted
