"""An indicator must look like its type, whatever loader read it: junk with an `@` is not an e-mail address,
and a file where nothing is recognised is refused (docs/intel.md)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from minisoc.correlator import model
from minisoc.correlator.intel import read_intel_file
from minisoc.correlator.intel.convert import LoadCounts
from minisoc.correlator.intel.intel_file import parse_intel_bytes
from minisoc.correlator.values import canonicalise, guess_kind
from minisoc.errors import IntelError


@pytest.mark.parametrize(("kind", "given"), [
    (model.KIND_EMAIL, "\ufffd0s\x17@\ufffdt%"),  # random bytes around an `@`
    (model.KIND_EMAIL, "|x5@=h"),
    (model.KIND_EMAIL, "a@b"),  # no dot in the domain
    (model.KIND_EMAIL, "a@-b.example"),
    (model.KIND_EMAIL, "a..b@c.example"),
    (model.KIND_EMAIL, ".a@c.example"),
    (model.KIND_EMAIL, "a@b@c.example"),
    (model.KIND_EMAIL, "a b@c.example"),
    (model.KIND_EMAIL, "x" * 65 + "@c.example"),
    (model.KIND_EMAIL, "a@c.example."),
    (model.KIND_URL, "g.d/\ufffd\ufffd6~"),
    (model.KIND_URL, "http://evil.example/a\x01b"),
    (model.KIND_URL, "http://evil.example:8080/a\x7fb"),
    (model.KIND_DOMAIN, "a" * 64 + ".example"),
    (model.KIND_URL, "http://" + "a" * 64 + ".example/x"),
])
def test_values_that_do_not_look_like_their_type_are_refused(kind: str, given: str) -> None:
    assert canonicalise(kind, given) is None


@pytest.mark.parametrize(("given", "expected"), [
    ("Bad.Guy+tag@Example.ORG", "bad.guy+tag@example.org"),
    ("o'brien@example.org", "o'brien@example.org"),
    ("jörg@bücher.example", "jörg@xn--bcher-kva.example"),  # IDNA domain, a Unicode local part
    ("Name <a_b@mail.example>", "a_b@mail.example"),
])
def test_real_addresses_still_load(given: str, expected: str) -> None:
    assert canonicalise(model.KIND_EMAIL, given) == (model.KIND_EMAIL, expected)


def test_junk_around_an_at_sign_is_not_guessed_as_an_email() -> None:
    assert guess_kind("\ufffd\ufffd@i\ufffdz\ufffda") is None
    assert guess_kind("mallory@evil.example") == model.KIND_EMAIL


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_bytes_are_refused_not_loaded_as_indicators(tmp_path: Path, seed: int) -> None:
    """100 kB of random bytes once loaded 82 `email` indicators (and a `url` or two)."""
    path = tmp_path / "junk.txt"
    path.write_bytes(random.Random(seed).randbytes(100_000))
    with pytest.raises(IntelError, match="no indicator recognised"):
        read_intel_file(path, LoadCounts())


def test_junk_values_are_invalid_in_every_loader() -> None:
    junk = "\ufffdk@\ufffd\x17z"
    counts = LoadCounts()
    zeek = f"#fields\tindicator\tindicator_type\n{junk}\tIntel::EMAIL\n{junk}/x\tIntel::URL\n"
    assert parse_intel_bytes(zeek.encode(), "z", "z", counts) == []
    assert counts.invalid == {"email": 1, "url": 1}
    counts = LoadCounts()
    event = {"Event": {"uuid": "u", "info": "i", "Attribute": [
        {"type": "email-src", "value": junk, "to_ids": True},
        {"type": "url", "value": "http://evil.example/\x00", "to_ids": True},
        {"type": "domain", "value": "a" * 64 + ".example", "to_ids": True},
    ]}}
    assert parse_intel_bytes(json.dumps(event).encode(), "e", "e", counts) == []
    assert counts.invalid == {"email-src": 1, "url": 1, "domain": 1}
    counts = LoadCounts()
    csv = f"value,type\n{junk},email\nmallory@evil.example,email\n"
    [loaded] = parse_intel_bytes(csv.encode(), "c", "c", counts)
    assert loaded.value == "mallory@evil.example" and counts.invalid == {"email": 1}
