#!/usr/bin/env bash
# Start the broker/controller with a server.properties file (defaults as the distribution's script).
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "usage: kafka-server-start.sh server.properties" >&2
  exit 2
fi
export KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}
export KAFKA_LOG4J_OPTS=${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=/opt/kafka/config/log4j2.yaml}
exec /opt/kafka/bin/kafka-run-class.sh kafka.Kafka "$@"
