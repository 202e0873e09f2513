"""The correlator over Apache Kafka (issue 16): logs from a consumer group, intel from a compacted topic.

- `source.KafkaLogSource`: a LogSource over a confluent-kafka consumer in group `minisoc-correlators`; the
  checkpoint of a batch is the next offset of each partition it read, committed only after its alerts are
  durable (the loop's contract), so a replica that dies has its partitions re-read by another one.
- `intel.TopicIntel`: every replica builds its indicator set from `minisoc.intel` read from the beginning;
  the one `leader` syncs MISP and the feeds and publishes there (key = indicator key, tombstone = removal).
See docs/kafka-consumer.md.
"""
