"""The grants of the SCRAM users when ACLs are on, and their confluent-kafka bindings."""

from __future__ import annotations

from confluent_kafka.admin._acl import AclOperation
from confluent_kafka.admin._resource import ResourcePatternType, ResourceType

from minisoc.kafka.acls import AclSpec, acl_specs
from minisoc.ops.kafka_topics import acl_binding


def test_shipper_writes_logs_and_correlator_reads_them_and_owns_intel() -> None:
    specs = set(acl_specs())
    assert AclSpec("User:shipper", "topic", "minisoc.zeek.", "prefixed", "write") in specs
    assert AclSpec("User:shipper", "topic", "minisoc.syslog", "literal", "write") in specs
    assert AclSpec("User:correlator", "topic", "minisoc.netflow", "literal", "read") in specs
    assert AclSpec("User:correlator", "topic", "minisoc.intel", "literal", "write") in specs
    assert AclSpec("User:correlator", "group", "minisoc-correlators", "prefixed", "read") in specs
    shipper_ops = {s.operation for s in specs if s.principal == "User:shipper"}
    assert shipper_ops == {"write", "describe"}  # a sensor never reads what others shipped
    assert not any(s.principal == "User:correlator" and s.operation == "write" and s.name != "minisoc.intel"
                   for s in specs)
    assert len(specs) == len(acl_specs())


def test_binding() -> None:
    binding = acl_binding(AclSpec("User:shipper", "topic", "minisoc.zeek.", "prefixed", "write"))
    assert binding.restype == ResourceType.TOPIC
    assert binding.resource_pattern_type == ResourcePatternType.PREFIXED
    assert binding.operation == AclOperation.WRITE and binding.principal == "User:shipper"
