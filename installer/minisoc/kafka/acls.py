"""Who may do what on a site's Kafka when ACLs are on (issue 16's users): pure specs, applied by
`minisoc.ops.kafka_topics.apply_acls`.

- `shipper`: write (and describe) the log topics: prefix `minisoc.zeek.`, `minisoc.syslog`, `minisoc.netflow`.
- `correlator`: read them, join the groups named `minisoc-correlators*`, read and write `minisoc.intel`.
- `minisoc-admin` and the nodes are super users (broker environment), so they need no grant.
"""

from __future__ import annotations

from dataclasses import dataclass

from minisoc.kafka.cluster import CORRELATOR_GROUP, CORRELATOR_USER, SHIPPER_USER
from minisoc.kafka.topics import INTEL_TOPIC, NETFLOW_TOPIC, SYSLOG_TOPIC, ZEEK_TOPIC_PREFIX


@dataclass(frozen=True)
class AclSpec:
    principal: str  # User:<name>
    resource: str  # topic | group
    name: str
    pattern: str  # literal | prefixed
    operation: str  # read | write | describe


def acl_specs() -> tuple[AclSpec, ...]:
    """The grants of the SCRAM users, sorted (allow rules, any host)."""
    logs = ((ZEEK_TOPIC_PREFIX, "prefixed"), (SYSLOG_TOPIC, "literal"), (NETFLOW_TOPIC, "literal"))
    shipper, correlator = f"User:{SHIPPER_USER}", f"User:{CORRELATOR_USER}"
    specs = [AclSpec(shipper, "topic", name, pattern, op) for name, pattern in logs
             for op in ("write", "describe")]
    specs += [AclSpec(correlator, "topic", name, pattern, op) for name, pattern in logs
              for op in ("read", "describe")]
    specs += [AclSpec(correlator, "topic", INTEL_TOPIC, "literal", op)
              for op in ("read", "write", "describe")]
    specs.append(AclSpec(correlator, "group", CORRELATOR_GROUP, "prefixed", "read"))
    return tuple(sorted(specs, key=lambda a: (a.principal, a.resource, a.name, a.operation)))
