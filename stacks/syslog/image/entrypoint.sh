#!/bin/bash
# Run rsyslogd in the foreground and, every hour, delete the received files older than
# SYSLOG_RETENTION_DAYS days (syslog-YYYY-MM-DD.json, by the UTC day in the name; today's is never touched).
set -euo pipefail
config=${SYSLOG_CONFIG:-/config/rsyslog.conf}
days=${SYSLOG_RETENTION_DAYS:-30}
dir=${SYSLOG_DIR:-/logs/syslog}

prune() {
    local cutoff name day
    cutoff=$(date -u -d "-${days} days" +%F)
    for name in "$dir"/syslog-????-??-??.json; do
        [[ -e $name ]] || continue
        day=${name##*/syslog-}
        day=${day%.json}
        if [[ $day < $cutoff ]]; then
            rm -f -- "$name" && echo "minisoc-syslog: pruned ${name##*/} (older than ${days} days)"
        fi
    done
}

if [[ ${1:-} == prune ]]; then  # `docker exec ... minisoc-syslog prune`: once, now (tests, operators)
    prune
    exit 0
fi
rsyslogd -N1 -f "$config"
rsyslogd -n -iNONE -f "$config" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit $?' TERM INT
while kill -0 "$child" 2>/dev/null; do
    prune || true
    sleep 3600 &
    wait $! || true
done
wait "$child"
