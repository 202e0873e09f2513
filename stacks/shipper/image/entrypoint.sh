#!/bin/bash
# Check the rendered config, then run rsyslogd in the foreground (exec: it gets SIGTERM from `docker stop`,
# saves its queue, imfile's positions and omkafka's failed messages to the spool volume and exits).
# The Kafka password (SASL_SSL only) is never in the rendered config: rsyslog.conf reads it from
# MINISOC_KAFKA_PASSWORD (a backtick `echo` string), which this script sets from MINISOC_KAFKA_PASSWORD_FILE.
set -euo pipefail
config=${SHIPPER_CONFIG:-/config/rsyslog.conf}
spool=${SHIPPER_SPOOL:-/var/spool/rsyslog}
zeek_dir=${SHIPPER_ZEEK_DIR:-/logs/zeek}

state_offset() {  # imfile's saved position in a state file (JSON: "curr_offs": N)
    sed -n 's/.*"curr_offs": *\([0-9]*\).*/\1/p' "$1"
}

# imfile follows each Zeek log by name: if Zeek rotated a log while the shipper was stopped, the lines it
# wrote after the stop are in the rotated file, which imfile no longer reads. For each such file (found by
# the inode its state file names, in the log folder or one level below, e.g. log-queue/), the unread tail is
# copied to $spool/catchup/<type>.<inode>.log, which an imfile input per log type ships to the same topic;
# the rotated file's state is then dropped. Catch-up files read to their end are removed on the next start.
catch_up() {
    local state inode name offset size found type
    mkdir -p "$spool/catchup"
    for name in "$spool"/catchup/*.log; do
        [[ -e $name ]] || continue
        inode=$(stat -c %i "$name")
        for state in "$spool"/imfile-state:"$inode" "$spool"/imfile-state:"$inode":*; do
            if [[ -e $state && $(state_offset "$state") == $(stat -c %s "$name") ]]; then
                rm -f -- "$name" "$state"
            fi
        done
    done
    for state in "$spool"/imfile-state:*; do
        [[ -e $state ]] || continue
        inode=${state##*imfile-state:}
        inode=${inode%%:*}
        name=$(sed -n 's/.*"filename": *"\([^"]*\)".*/\1/p' "$state")
        name=${name//\\\//\/}
        [[ $name == "$zeek_dir"/*.log ]] || continue
        [[ $(stat -c %i "$name" 2>/dev/null || true) != "$inode" ]] || continue
        offset=$(state_offset "$state")
        found=$(find "$zeek_dir" -maxdepth 2 -type f -inum "$inode" -print -quit 2>/dev/null || true)
        if [[ -n $found && -n $offset ]]; then
            size=$(stat -c %s "$found")
            if (( size > offset )); then
                type=${name##*/}
                type=${type%.log}
                tail -c +"$((offset + 1))" -- "$found" >"$spool/catchup/$type.$inode.log"
                echo "minisoc-shipper: ${found#"$zeek_dir"/} was rotated while the shipper was stopped:" \
                     "its last $((size - offset)) bytes are shipped from the catch-up folder"
            fi
        fi
        rm -f -- "$state"
    done
}

if [[ -n ${MINISOC_KAFKA_PASSWORD_FILE:-} ]]; then
    if [[ ! -r $MINISOC_KAFKA_PASSWORD_FILE ]]; then
        echo "minisoc-shipper: cannot read the Kafka password file $MINISOC_KAFKA_PASSWORD_FILE" >&2
        exit 2
    fi
    MINISOC_KAFKA_PASSWORD=$(<"$MINISOC_KAFKA_PASSWORD_FILE")
    export MINISOC_KAFKA_PASSWORD
fi
catch_up
rsyslogd -N1 -f "$config"
exec rsyslogd -n -iNONE -f "$config"
