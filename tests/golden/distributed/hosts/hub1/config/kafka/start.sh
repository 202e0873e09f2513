#!/usr/bin/env bash
# minisoc's start for a Kafka node, for the official apache/kafka image and minisoc/kafka alike: on the
# first start, format the storage with the site's SCRAM-SHA-512 users (MINISOC_SCRAM_USERS_FILE, default
# /run/secrets/kafka-scram-users: one `user=password` per line), then hand over to the image's own entry point, which finds the
# storage formatted and starts the server. Later starts go straight to the entry point.
set -euo pipefail

data_dir=${KAFKA_LOG_DIRS:-/var/lib/kafka/data}
data_dir=${data_dir%%,*}
users_file=${MINISOC_SCRAM_USERS_FILE:-/run/secrets/kafka-scram-users}

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
  if [[ -f "$users_file" ]]; then
    while IFS='=' read -r user password || [[ -n "$user" ]]; do
      [[ -n "$user" && -n "$password" ]] || continue
      scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$password]")
    done <"$users_file"
  else
    echo "minisoc: no SCRAM users file at $users_file: no client can log in" >&2
  fi
  echo "===> minisoc: formatting $data_dir (cluster $CLUSTER_ID, $(( ${#scram[@]} / 2 )) SCRAM users)"
  /opt/kafka/bin/kafka-storage.sh format "--cluster-id=$CLUSTER_ID" --config "$work/server.properties" \
    "${scram[@]}" | grep -v -i password || true
  if [[ ! -e "$data_dir/meta.properties" ]]; then
    echo "minisoc: formatting $data_dir failed" >&2
    exit 1
  fi
fi

exec /etc/kafka/docker/run
