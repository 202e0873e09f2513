#!/usr/bin/env bash
# minisoc's start for a Kafka node, for the official apache/kafka image and minisoc/kafka alike: on the
# first start, format the storage with the site's SCRAM users (files named kafka-scram-<user> in
# MINISOC_SCRAM_DIR, default /run/secrets), then hand over to the image's own entry point, which finds the
# storage formatted and starts the server. Later starts go straight to the entry point.
set -euo pipefail

data_dir=${KAFKA_LOG_DIRS:-/var/lib/kafka/data}
data_dir=${data_dir%%,*}
scram_dir=${MINISOC_SCRAM_DIR:-/run/secrets}

if [[ -n "${KAFKA_PROCESS_ROLES:-}" && ! -e "$data_dir/meta.properties" ]]; then
  : "${CLUSTER_ID:?CLUSTER_ID environment variable not set}"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  # Kafka's docker wrapper (the code the entry point runs) writes server.properties from KAFKA_*; without
  # CLUSTER_ID it stops right after, before formatting.
  env -u CLUSTER_ID /opt/kafka/bin/kafka-run-class.sh kafka.docker.KafkaDockerWrapper setup \
    --default-configs-dir /etc/kafka/docker --mounted-configs-dir /mnt/shared/config \
    --final-configs-dir "$work" >/dev/null 2>&1 || true
  if [[ ! -s "$work/server.properties" ]]; then
    echo "minisoc: could not write server.properties from the KAFKA_* environment" >&2
    exit 1
  fi
  scram=()
  for file in "$scram_dir"/kafka-scram-*; do
    [[ -f "$file" ]] || continue
    scram+=(--add-scram "SCRAM-SHA-512=[name=${file##*/kafka-scram-},password=$(<"$file")]")
  done
  echo "===> minisoc: formatting $data_dir (cluster $CLUSTER_ID, $(( ${#scram[@]} / 2 )) SCRAM users)"
  /opt/kafka/bin/kafka-storage.sh format --cluster-id "$CLUSTER_ID" --config "$work/server.properties" \
    "${scram[@]}" | grep -v -i password || true
  if [[ ! -e "$data_dir/meta.properties" ]]; then
    echo "minisoc: formatting $data_dir failed" >&2
    exit 1
  fi
fi

exec /etc/kafka/docker/run
