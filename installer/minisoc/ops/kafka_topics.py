"""Make the site's Kafka topics what `minisoc.kafka.topics.topic_specs` says, idempotently.

Missing topics are created, partitions raised (Kafka never lowers them: more are kept and reported), the
spec's configs set where they differ; a second run changes nothing. The change plan is pure
(`plan_topic_changes`); `apply_topics` reads the cluster and carries the plan out with confluent-kafka's
AdminClient (made by `minisoc.correlator.clients.kafka.admin_client`, the one Kafka client home), logged in
as `minisoc-admin` on the CLIENT listener. `ensure_scram_users` sets SCRAM passwords through the admin API
(rotation: the brokers' format step only runs on first start).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._acl import AclBinding, AclOperation, AclPermissionType
from confluent_kafka.admin._config import AlterConfigOpType, ConfigEntry, ConfigResource
from confluent_kafka.admin._resource import ResourcePatternType, ResourceType
from confluent_kafka.admin._scram import (
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialAlteration,
    UserScramCredentialUpsertion,
)
from confluent_kafka.cimpl import NewPartitions, NewTopic

from minisoc.compose.runner import wait_until
from minisoc.correlator.clients.kafka import admin_client, client_config
from minisoc.errors import ServiceError, UsageError
from minisoc.kafka.acls import AclSpec, acl_specs
from minisoc.kafka.job import TopicsJob
from minisoc.kafka.topics import TopicSpec

READY_HINT = ("check that every broker runs (`docker ps`, `docker logs kafka-1`), that its CLIENT listener "
              "is advertised at an address this host reaches, and the minisoc-admin SCRAM password")
SCRAM_ITERATIONS = 8192  # what kafka-storage --add-scram uses by default (4096 is Kafka's minimum)


@dataclass(frozen=True)
class ExistingTopic:
    partitions: int
    replication_factor: int
    config: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TopicChange:
    topic: str
    action: str  # create | partitions | config | unchanged | note
    detail: str = ""
    spec: TopicSpec | None = None
    configs: Mapping[str, str] = field(default_factory=dict)


SUMMARY_PREFIX = "summary: "
_ACTION_WORDS = {"create": "created", "partitions": "grown", "config": "aligned", "unchanged": "unchanged"}


def summarise_changes(plan: Sequence[TopicChange]) -> str:
    """`2 created, 1 unchanged`: one count per action, notes left out (pure)."""
    actions = Counter(change.action for change in plan if change.action != "note")
    if not actions:
        return "nothing to do"
    counts = sorted(actions.items())
    return ", ".join(f"{count} {_ACTION_WORDS.get(action, action)}" for action, count in counts)


def plan_topic_changes(existing: Mapping[str, ExistingTopic],
                       wanted: Sequence[TopicSpec]) -> list[TopicChange]:
    """What to do so that every topic of `wanted` is there as specified (pure; one or more per topic)."""
    plan: list[TopicChange] = []
    for spec in wanted:
        have = existing.get(spec.name)
        if have is None:
            plan.append(TopicChange(spec.name, "create", f"{spec.partitions} partitions, "
                                    f"replication factor {spec.replication_factor}", spec=spec))
            continue
        changes: list[TopicChange] = []
        if have.partitions < spec.partitions:
            changes.append(TopicChange(spec.name, "partitions", f"{have.partitions} -> {spec.partitions}",
                                       spec=spec))
        elif have.partitions > spec.partitions:
            changes.append(TopicChange(spec.name, "note", f"has {have.partitions} partitions, more than "
                                       f"{spec.partitions}: Kafka cannot remove partitions, kept"))
        if have.replication_factor != spec.replication_factor:
            changes.append(TopicChange(spec.name, "note", f"replication factor {have.replication_factor}, "
                                       f"wanted {spec.replication_factor}: reassign partitions by hand"))
        differing = {key: value for key, value in spec.config.items() if have.config.get(key) != value}
        if differing:
            changes.append(TopicChange(spec.name, "config", ", ".join(f"{k}={v}" for k, v in
                                                                       sorted(differing.items())),
                                       configs=differing))
        plan.extend(changes or [TopicChange(spec.name, "unchanged")])
    return plan


def wait_for_brokers(admin: AdminClient, expected: int, *, timeout_s: float = 120.0,
                     where: str = "kafka") -> int:
    """Block until `expected` brokers answer in the cluster metadata; ServiceError with a hint after
    `timeout_s`. Returns how many answered."""
    deadline = time.monotonic() + timeout_s
    seen, last_error = 0, "no answer"
    while True:
        try:
            seen = len(admin.list_topics(timeout=min(10.0, max(1.0, deadline - time.monotonic()))).brokers)
            if seen >= expected:
                return seen
            last_error = f"{seen} of {expected} brokers registered"
        except KafkaException as error:
            last_error = str(error.args[0]) if error.args else "no answer"
        if time.monotonic() >= deadline:
            raise ServiceError(f"{where}: not ready after {timeout_s:.0f}s ({last_error})", READY_HINT)
        time.sleep(1.0)


def _result(future: Future[Any], what: str, timeout_s: float) -> Any:
    try:
        return future.result(timeout=timeout_s)
    except KafkaException as error:
        raise ServiceError(f"kafka: {what} failed: {error.args[0] if error.args else error}",
                           READY_HINT) from None


def read_topics(admin: AdminClient, names: Sequence[str],
                timeout_s: float = 30.0) -> dict[str, ExistingTopic]:
    """The named topics that exist, with partition count, replication factor and their configs."""
    metadata = admin.list_topics(timeout=timeout_s)
    present = [name for name in names if name in metadata.topics and metadata.topics[name].error is None]
    if not present:
        return {}
    found = {}
    for name in present:
        entries = _describe_topic_configs(admin, name, timeout_s)
        topic = metadata.topics[name]
        replicas = max((len(p.replicas) for p in topic.partitions.values()), default=0)
        found[name] = ExistingTopic(
            partitions=len(topic.partitions),
            replication_factor=replicas,
            config={key: str(entry.value) for key, entry in entries.items() if entry.value is not None},
        )
    return found


def _describe_topic_configs(admin: AdminClient, name: str, timeout_s: float) -> dict[str, Any]:
    """A topic's configs; a broker that has not learnt of a topic just created answers "unknown topic" for a
    moment (metadata propagates asynchronously): asked again until `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        (future,) = admin.describe_configs([ConfigResource(ResourceType.TOPIC, name)],
                                           request_timeout=timeout_s).values()
        try:
            entries: dict[str, Any] = future.result(timeout=timeout_s)
            return entries
        except KafkaException as error:
            code = error.args[0].code() if error.args and hasattr(error.args[0], "code") else None
            if code != KafkaError.UNKNOWN_TOPIC_OR_PART or time.monotonic() >= deadline:
                raise ServiceError(f"kafka: describe configs of {name} failed: "
                                   f"{error.args[0] if error.args else error}", READY_HINT) from None
        time.sleep(0.5)


def apply_topics(admin: AdminClient, wanted: Sequence[TopicSpec], *,
                 timeout_s: float = 60.0) -> list[TopicChange]:
    """Carry out `plan_topic_changes` against the cluster; returns the plan (what was done)."""
    plan = plan_topic_changes(read_topics(admin, [spec.name for spec in wanted], timeout_s), wanted)
    creates = [NewTopic(c.spec.name, c.spec.partitions, c.spec.replication_factor, config=dict(c.spec.config))
               for c in plan if c.action == "create" and c.spec is not None]
    if creates:
        for name, future in admin.create_topics(creates, request_timeout=timeout_s).items():
            _wait_created(future, name, timeout_s)
        _wait_listed(admin, [topic.topic for topic in creates], timeout_s)
    grows = [NewPartitions(c.topic, c.spec.partitions) for c in plan if c.action == "partitions" and c.spec]
    if grows:
        for name, future in admin.create_partitions(grows, request_timeout=timeout_s).items():
            _result(future, f"add partitions to {name}", timeout_s)
    alters = [
        ConfigResource(ResourceType.TOPIC, c.topic, incremental_configs=[
            ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)
            for key, value in sorted(c.configs.items())])
        for c in plan if c.action == "config"
    ]
    if alters:
        for resource, future in admin.incremental_alter_configs(alters, request_timeout=timeout_s).items():
            _result(future, f"set configs of {resource.name}", timeout_s)
    return plan


def provision_topics(config: Mapping[str, str], wanted: Sequence[TopicSpec], *, brokers: int,
                     acls: bool = False, timeout_s: float = 180.0) -> list[TopicChange]:
    """What `minisoc up` runs once the brokers started: wait for all `brokers`, `apply_topics`, and with
    `acls` (brokers rendered with acls=True) `apply_acls`.
    `config`: `minisoc.correlator.clients.kafka.client_config(bootstrap, username="minisoc-admin",
    password=password, ca_file=ca_file)`."""
    admin = admin_client(config)
    wait_for_brokers(admin, brokers, timeout_s=timeout_s, where=config.get("bootstrap.servers", "kafka"))
    plan = apply_topics(admin, wanted)
    if acls:
        apply_acls(admin)
    return plan


def _wait_listed(admin: AdminClient, names: Sequence[str], timeout_s: float) -> None:
    """Until the metadata lists every topic just created: the controller answers the create before every
    broker learnt of it, and a read right after (the next `apply_topics`, a producer) could miss it."""

    def listed() -> bool:
        topics = admin.list_topics(timeout=min(10.0, timeout_s)).topics
        return all(name in topics and topics[name].error is None for name in names)

    wait_until(listed, what=f"kafka: topics {', '.join(names)} listed after their creation",
               timeout_s=timeout_s, interval_s=0.5, hint=READY_HINT)


def run_topics_job(job: TopicsJob) -> list[TopicChange]:
    """`minisoc kafka apply`: the job file's topics (and ACLs) as `job.username`, once `job.min_brokers`
    answer. The password is read from `job.password_file` and never shown."""
    try:
        password = job.password_file.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise UsageError(f"password_file {job.password_file}: cannot read ({error.strerror or error})",
                         "run the job in the hub's compose project, where the secret is mounted") from None
    config = client_config(job.bootstrap_servers, username=job.username, password=password,
                           ca_file=job.ca_file, client_id="minisoc-kafka-topics")
    return provision_topics(config, job.specs(), brokers=job.min_brokers, acls=job.acls,
                            timeout_s=job.timeout_s)


def _wait_created(future: Future[Any], name: str, timeout_s: float) -> None:
    try:
        future.result(timeout=timeout_s)
    except KafkaException as error:
        if error.args and getattr(error.args[0], "name", lambda: "")() == "TOPIC_ALREADY_EXISTS":
            return  # made by a concurrent run between our read and create: the next run aligns it
        raise ServiceError(f"kafka: create topic {name} failed: {error.args[0] if error.args else error}",
                           READY_HINT) from None


_OPERATIONS = {"read": AclOperation.READ, "write": AclOperation.WRITE, "describe": AclOperation.DESCRIBE}


def acl_binding(spec: AclSpec) -> AclBinding:
    return AclBinding(
        ResourceType.TOPIC if spec.resource == "topic" else ResourceType.GROUP,
        spec.name,
        ResourcePatternType.PREFIXED if spec.pattern == "prefixed" else ResourcePatternType.LITERAL,
        spec.principal,
        "*",
        _OPERATIONS[spec.operation],
        AclPermissionType.ALLOW,
    )


def apply_acls(admin: AdminClient, specs: Sequence[AclSpec] | None = None, *, timeout_s: float = 30.0) -> int:
    """Create the grants (Kafka keeps one copy of an ACL created twice: idempotent); returns how many."""
    bindings = [acl_binding(spec) for spec in (acl_specs() if specs is None else specs)]
    for binding, future in admin.create_acls(bindings, request_timeout=timeout_s).items():
        _result(future, f"create ACL {binding}", timeout_s)
    return len(bindings)


def ensure_scram_users(admin: AdminClient, passwords: Mapping[str, str], *, timeout_s: float = 30.0) -> None:
    """Set each user's SCRAM-SHA-512 password (created when absent, replaced when present)."""
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
    upserts: list[UserScramCredentialAlteration] = [
        UserScramCredentialUpsertion(user, info, password.encode("utf-8"))
        for user, password in sorted(passwords.items())
    ]
    for user, future in admin.alter_user_scram_credentials(upserts, request_timeout=timeout_s).items():
        _result(future, f"set the SCRAM password of {user}", timeout_s)
