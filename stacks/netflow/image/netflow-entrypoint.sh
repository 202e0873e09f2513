#!/bin/bash
# Runs nfacctd (the config file is `-f FILE`, as the upstream pmacct/nfacctd image takes it, or a bare FILE)
# and deletes daily flow files older than MINISOC_RETENTION_DAYS (default
# 30) at start and every hour. The container ends when nfacctd does (compose restarts it), with its exit status.
set -u
if [ "${1:-}" = "-f" ]; then shift; fi
config="${1:-/config/nfacctd.conf}"
retention_days="${MINISOC_RETENTION_DAYS:-30}"
flow_dir="${MINISOC_FLOW_DIR:-/logs/netflow}"

prune() {  # -mtime +N: last written more than N whole days ago
  find "$flow_dir" -maxdepth 1 -type f -name 'flows-*.json' -mtime "+$((retention_days - 1))" -print -delete \
    | sed 's/^/minisoc-netflow: retention: deleted /'
}

nfacctd -f "$config" &
collector=$!
(
  trap 'exit 0' TERM
  while true; do prune; sleep 3600 & wait $!; done
) &
pruner=$!
# nfacctd exits cleanly on SIGINT (its plugins flush and stop); SIGTERM leaves it running
trap 'kill -INT "$collector" 2>/dev/null; kill -TERM "$pruner" 2>/dev/null' TERM INT
wait -n "$collector" "$pruner"
status=$?
kill -INT "$collector" 2>/dev/null; kill -TERM "$pruner" 2>/dev/null
wait
exit "$status"
