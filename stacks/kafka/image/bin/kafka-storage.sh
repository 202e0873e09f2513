#!/usr/bin/env bash
# kafka-storage: format, info, random-uuid (KRaft storage tool from kafka_2.13).
exec /opt/kafka/bin/kafka-run-class.sh kafka.tools.StorageTool "$@"
