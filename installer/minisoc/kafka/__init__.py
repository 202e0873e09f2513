"""Kafka between sensors and hubs (issue 16): broker settings, client settings and topics, all pure.

`minisoc.kafka.cluster`: listeners, ports, container paths, SCRAM users, each broker's KAFKA_* environment
(the env contract of the official apache/kafka image, which minisoc/kafka honours too) and the
confluent-kafka client settings. `minisoc.kafka.topics`: the topic names and specs. No import from cli,
ops, render, profile or security: the correlator may use this package.
"""
