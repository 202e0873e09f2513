"""Every shipped scenario played on a lab copy without Docker, then graded.

The lab is the real thing (`minisoc.lab` plans and creates it from the `training-lab` template: profiles,
sample data, rendered sites); `run_scenario` loads the intel and drops the evidence into each copy; the
correlator's offline path (`run_hunt`, what `minisoc hunt` runs) reads the copy's whole log folder with the
copy's intel into a SQLite store; the analyst works through `StoreReview` (what `minisoc alerts ack` uses);
`grade_copies` scores. A perfect analyst must score 100 %, a passive one what the scenario file says.

Intel goes to the copy's MISP feed folder (MISP off), or, for the phishing scenario's false positives, to the
MISP fake (tests/fakes, held to ../shared/misp's recording of a real MISP), which must then hold the
false-positive sightings the grade counts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from fakes.misp_server import FakeMispServer
from minisoc.correlator.config import MispApiConfig
from minisoc.correlator.hunt import HuntRequest, run_hunt
from minisoc.correlator.sinks.open import open_store_url
from minisoc.lab import LabManifest, copies, create_lab, plan_lab
from minisoc.ops.access import Site, load_site
from minisoc.render.correlator_config import correlator_config
from minisoc.render.secrets import MISP_ADMIN_KEY
from minisoc.review.store import StoreReview
from minisoc.scenarios import (
    LoadedScenario,
    find_scenario,
    grade_copies,
    misp_reset,
    reset_scenario,
    run_scenario,
    shipped_names,
)
from minisoc.scenarios.answers import ANSWERS_FILE
from minisoc.scenarios.intel import IntelTarget
from minisoc.scenarios.scoring import matches, scenario_alerts

pytestmark = pytest.mark.integration

FEED_ONLY = ["intel.misp.enabled=false", "opensearch.dashboards.enabled=false"]


def make_lab(root: Path, count: int, sets: Sequence[str]) -> list[Path]:
    now = datetime.now(UTC)
    plans = plan_lab(root, "training-lab", count, list(sets), offset=41000)
    manifest = LabManifest("training-lab", count, 10, 41000, now.isoformat(), list(sets))
    create_lab(root, plans, manifest, progress=lambda _message: None, now=now)
    return copies(root)


@pytest.fixture(scope="module")
def feed_lab(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two copies of a training lab whose intel is its local MISP feed (MISP off)."""
    return make_lab(tmp_path_factory.mktemp("scenarios") / "lab", 2, FEED_ONLY)


def hunt_copy(site: Site, store_url: str, intel: Sequence[str]) -> int:
    """The correlator's offline path over the copy's whole log folder (the template's samples included)."""
    store = open_store_url(store_url)
    written: list[int] = []
    try:
        run_hunt(HuntRequest(logs=[str(site.paths.log_dir)], intel=list(intel)),
                 lambda alerts: (store.write(alerts), written.append(len(alerts))))
    finally:
        store.close()
    return sum(written)


def perfect_analyst(loaded: LoadedScenario, site_dir: Path, review: StoreReview) -> None:
    """Acks every alert an `acknowledge` item names, reports every `false_positives` one, answers right."""
    docs = scenario_alerts(review.list_alerts(None, 10_000).docs, loaded.id)
    expected = loaded.scenario.expected
    for false_positive, items in ((False, expected.acknowledge), (True, expected.false_positives)):
        for item in items:
            for doc in docs:
                if matches(doc, item.match):
                    result = review.ack(str(doc["event"]["id"]), false_positive)
                    assert result.ack["state"] == ("false_positive" if false_positive else "acknowledged")
    answers = {question.id: question.answer for question in loaded.scenario.questions}
    (site_dir / ANSWERS_FILE).write_text(yaml.safe_dump({loaded.id: answers}), encoding="utf-8")


@pytest.mark.parametrize("name", shipped_names())
def test_a_perfect_analyst_scores_100_and_a_passive_one_the_scenarios_figure(
    name: str, feed_lab: list[Path], tmp_path: Path
) -> None:
    loaded = find_scenario(name)
    runs = run_scenario(loaded, feed_lab, None)
    assert [run.events for run in runs] == [len(loaded.intel)] * 2
    stores = [f"sqlite:///{tmp_path / f'{site_dir.name}.db'}" for site_dir in feed_lab]
    for site_dir, store_url in zip(feed_lab, stores, strict=True):
        site = load_site(site_dir)
        assert site.paths.local_feed_dir is not None
        assert hunt_copy(site, store_url, [str(site.paths.local_feed_dir)]) > 0

    review = StoreReview(open_store_url(stores[0], create=False), "sqlite")
    try:
        perfect_analyst(loaded, feed_lab[0], review)
    finally:
        review.close()
    perfect = grade_copies(loaded, feed_lab[:1], store_url=stores[0])[0]
    passive = grade_copies(loaded, feed_lab[1:], store_url=stores[1])[0]

    assert perfect.problems == [] and passive.problems == []
    assert perfect.percent == 100.0, [vars(item) for item in perfect.items if item.earned < item.points]
    assert passive.percent == loaded.scenario.passive_score
    assert passive.earned_in("alerts") == perfect.earned_in("alerts")  # the lab did its part in both

    results = reset_scenario(loaded, feed_lab[:1], store_url=stores[0])
    assert results[0].problems == [] and results[0].run_dirs == 1 and results[0].answers
    assert results[0].events == len(loaded.intel)
    after = grade_copies(loaded, feed_lab[:1], store_url=stores[0])[0]
    assert after.earned == 0  # no alert of the scenario, no answers: nothing left of the exercise
    reset_scenario(loaded, feed_lab[1:], store_url=stores[1])


@pytest.fixture
def misp_copy(tmp_path: Path) -> Iterator[tuple[Path, FakeMispServer]]:
    """A copy of the training lab as shipped (its own MISP), that MISP being the fake, on the copy's key."""
    site_dir = make_lab(tmp_path / "lab", 1, ["opensearch.dashboards.enabled=false"])[0]
    key = load_site(site_dir).read_secret(MISP_ADMIN_KEY.name)
    with FakeMispServer([], key) as misp:
        yield site_dir, misp


def _events_from_misp(misp: FakeMispServer, loaded: LoadedScenario, folder: Path) -> list[str]:
    """The scenario's events as the copy's MISP holds them, as event files for the hunt."""
    folder.mkdir()
    for intel in loaded.intel:
        status, body = misp.request("GET", f"events/view/{intel.uuid}", None, misp.key)
        assert status == 200 and body["Event"]["published"], body
        (folder / f"{intel.uuid}.json").write_text(json.dumps(body), encoding="utf-8")
    return [str(folder)]


def test_phishing_false_positives_count_once_misp_holds_their_sightings(
    misp_copy: tuple[Path, FakeMispServer], tmp_path: Path
) -> None:
    site_dir, misp = misp_copy
    loaded = find_scenario("phishing")
    site = load_site(site_dir)

    def to_fake(copy_site: Site) -> IntelTarget:
        return IntelTarget(copy_site, misp_url=misp.url)

    runs = run_scenario(loaded, [site_dir], None, intel_for=to_fake)
    assert runs[0].intel == f"MISP at {misp.url}"
    store_url = f"sqlite:///{tmp_path / 'alerts.db'}"
    assert hunt_copy(site, store_url, _events_from_misp(misp, loaded, tmp_path / "from-misp")) > 0

    # marked false positive, but MISP never told (no MISP configured for this review): no points for them
    review = StoreReview(open_store_url(store_url, create=False), "sqlite")
    try:
        perfect_analyst(loaded, site_dir, review)
    finally:
        review.close()
    untold = grade_copies(loaded, [site_dir], store_url=store_url, intel_for=to_fake)[0]
    paste = next(item for item in untold.items if item.id == "paste-site")
    assert paste.earned == 0 and "sighting in MISP" in paste.detail
    assert untold.percent == 100.0 - 25.0

    # the same marks made through a review that reaches the copy's MISP: the sightings count
    config = correlator_config(site.profile)
    api = MispApiConfig(url=misp.url, key_file=site.paths.secret_file(MISP_ADMIN_KEY.name), verify_tls=False)
    config = config.model_copy(update={"intel": config.intel.model_copy(update={"misp": api})})
    review = StoreReview(open_store_url(store_url, create=False), "sqlite", config)
    try:
        perfect_analyst(loaded, site_dir, review)
    finally:
        review.close()
    types = {(str(s["value"]), str(s["type"])) for s in misp.sightings}
    assert ("pastebin.com", "1") in types and not any(value == "polamer.us" for value, _ in types)
    graded = grade_copies(loaded, [site_dir], store_url=store_url, intel_for=to_fake)[0]
    assert graded.problems == [] and graded.percent == 100.0

    # the hook `minisoc lab reset` takes: MISP back to the scenario's start, the sightings gone
    checks = misp_reset(loaded, intel_for=to_fake)(site)
    assert [(check.name, check.ok) for check in checks] == [("misp", True)], checks
    after = grade_copies(loaded, [site_dir], store_url=store_url, intel_for=to_fake)[0]
    assert {item.id: item.earned for item in after.items}["paste-site"] == 0

    # a reset deletes the events from MISP, their sightings with them
    results = reset_scenario(loaded, [site_dir], store_url=store_url, intel_for=to_fake)
    assert results[0].events == len(loaded.intel) and results[0].problems == []
    assert all(misp.request("GET", f"events/view/{i.uuid}", None, misp.key)[0] == 404 for i in loaded.intel)
