"""Parse the Prometheus text exposition format (just what `status` reads from the correlator's /metrics)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


def parse_metrics(text: str) -> list[Sample]:
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if match is None:
            continue
        try:
            value = float(match.group(4))
        except ValueError:
            continue
        labels = {
            key: raw.replace('\\"', '"').replace("\\\\", "\\")
            for key, raw in _LABEL.findall(match.group(3) or "")
        }
        samples.append(Sample(match.group(1), labels, value))
    return samples


def total(samples: list[Sample], name: str) -> float:
    return sum(sample.value for sample in samples if sample.name == name)


def by_label(samples: list[Sample], name: str, label: str) -> dict[str, float]:
    return {sample.labels.get(label, ""): sample.value for sample in samples if sample.name == name}
