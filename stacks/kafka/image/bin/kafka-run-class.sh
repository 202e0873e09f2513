#!/usr/bin/env bash
# Run one Kafka main class on /opt/kafka/libs (a small stand-in for the distribution's script of the same
# name: same variables, KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_LOG4J_OPTS, KAFKA_OPTS).
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "usage: kafka-run-class.sh CLASS [ARGS...]" >&2
  exit 2
fi
class="$1"
shift
base=/opt/kafka
heap=${KAFKA_HEAP_OPTS:--Xmx256M}
perf=${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true}
log4j=${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=$base/config/tools-log4j2.yaml}
# shellcheck disable=SC2086  # the option variables hold several words by design
exec java $heap $perf $log4j ${KAFKA_JMX_OPTS:-} ${KAFKA_OPTS:-} -Dkafka.logs.dir="$base/logs" \
  -cp "$base/libs/*" "$class" "$@"
