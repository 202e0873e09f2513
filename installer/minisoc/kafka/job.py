"""The topics job of a distributed site's hub (docs/scale-out.md): what `minisoc kafka apply --config FILE`
creates and aligns, as one JSON file the render writes (`config/correlator/kafka-topics.json` on the host of
`kafka-1`) and the one-shot service `kafka-topics` reads inside the hub's compose project, where the brokers
are reachable. Pure: the model and its loader; `minisoc.ops.kafka_topics.run_topics_job` carries it out."""

from __future__ import annotations

import json
from pathlib import Path

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from minisoc.errors import Problem, ProfileError, UsageError
from minisoc.kafka.topics import TopicSpec


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TopicEntry(_Strict):
    name: str = Field(min_length=1, max_length=249, pattern=r"^[A-Za-z0-9._-]+$")
    partitions: int = Field(ge=1, le=1024)
    replication_factor: int = Field(ge=1, le=9)
    config: dict[str, str] = {}

    def spec(self) -> TopicSpec:
        return TopicSpec(self.name, self.partitions, self.replication_factor, dict(self.config))


class TopicsJob(_Strict):
    """Connect as `username` (SCRAM-SHA-512 over TLS, the site CA) to `bootstrap_servers`, wait until
    `min_brokers` answer (enough for the topics' replication factor), create or align `topics`."""

    bootstrap_servers: list[str] = Field(min_length=1)
    min_brokers: int = Field(ge=1, le=9)
    username: str = Field(min_length=1)
    password_file: Path
    ca_file: Path
    acls: bool = False
    timeout_s: float = Field(300.0, gt=0, le=3600)
    topics: list[TopicEntry] = Field(min_length=1)

    def specs(self) -> tuple[TopicSpec, ...]:
        return tuple(topic.spec() for topic in self.topics)


def job_json(job: TopicsJob) -> str:
    return json.dumps(job.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"


def load_topics_job(path: Path) -> TopicsJob:
    """Read and validate a topics job file; problems as `dotted.path: message` lines (exit 2)."""
    hint = "render the site again (`minisoc render SITE_DIR`) or pass the job file the render wrote"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"{path}: cannot read ({error.strerror or error})", hint) from None
    except ValueError as error:
        raise UsageError(f"{path}: not valid JSON ({error})", hint) from None
    try:
        return TopicsJob.model_validate(document)
    except pydantic.ValidationError as error:
        problems = [Problem(".".join(str(p) for p in item["loc"]) or "(root)", item["msg"], hint)
                    for item in error.errors()]
        raise ProfileError(problems, source=str(path)) from None
