#!/bin/bash
# Check the rendered config, then run rsyslogd in the foreground (exec: it gets SIGTERM from `docker stop`,
# saves its queue, imfile's positions and omkafka's failed messages to the spool volume and exits).
# The Kafka password is never in the rendered config: rsyslog.conf reads it from MINISOC_KAFKA_PASSWORD
# (a backtick `echo` string), which this script sets from the secret file MINISOC_KAFKA_PASSWORD_FILE.
set -euo pipefail
config=${SHIPPER_CONFIG:-/config/rsyslog.conf}
if [[ -n ${MINISOC_KAFKA_PASSWORD_FILE:-} ]]; then
    if [[ ! -r $MINISOC_KAFKA_PASSWORD_FILE ]]; then
        echo "minisoc-shipper: cannot read the Kafka password file $MINISOC_KAFKA_PASSWORD_FILE" >&2
        exit 2
    fi
    MINISOC_KAFKA_PASSWORD=$(<"$MINISOC_KAFKA_PASSWORD_FILE")
    export MINISOC_KAFKA_PASSWORD
fi
rsyslogd -N1 -f "$config"
exec rsyslogd -n -iNONE -f "$config"
