#!/usr/bin/env bash
# kafka-configs (e.g. --alter --entity-type users --add-config SCRAM-SHA-512=...).
exec /opt/kafka/bin/kafka-run-class.sh kafka.admin.ConfigCommand "$@"
