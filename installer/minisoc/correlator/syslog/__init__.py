"""Syslog records for the correlator: rsyslog's JSON lines (docs/inputs.md) and plain syslog text (RFC 3164,
RFC 5424, access logs), read into flat ECS fields by dedicated parsers per program (`programs`) and a generic
extractor of addresses, host names, URLs and e-mail addresses (`extract`): `record.SyslogParser`."""

from minisoc.correlator.syslog.record import SYSLOG_LOG_TYPE, SyslogParser, is_syslog_object, syslog_fields

__all__ = ["SYSLOG_LOG_TYPE", "SyslogParser", "is_syslog_object", "syslog_fields"]
