"""Topic names of the contract (issue 16) and the log type each topic carries."""

from __future__ import annotations

GROUP_ID = "minisoc-correlators"
ZEEK_TOPIC_PREFIX = "minisoc.zeek."
SYSLOG_TOPIC = "minisoc.syslog"
NETFLOW_TOPIC = "minisoc.netflow"
INTEL_TOPIC = "minisoc.intel"
# librdkafka subscribes to a name that starts with `^` as a regular expression: Zeek log types added later
# (a new topic `minisoc.zeek.smb_files`) are picked up at the next metadata refresh without a restart
DEFAULT_LOG_TOPICS = ("^minisoc\\.zeek\\..+", SYSLOG_TOPIC, NETFLOW_TOPIC)


def log_type_for_topic(topic: str) -> str | None:
    """`conn` for `minisoc.zeek.conn`, `syslog` and `netflow` for those inputs, None for any other topic
    (the parser then takes the type from the line: Zeek's `_path`, or what its fields show)."""
    if topic.startswith(ZEEK_TOPIC_PREFIX):
        return topic[len(ZEEK_TOPIC_PREFIX):] or None
    if topic == SYSLOG_TOPIC:
        return "syslog"
    if topic == NETFLOW_TOPIC:
        return "netflow"
    return None
