"""The profile's `inputs:` section: log sources next to Zeek, each with a real receiver (docs/inputs.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from minisoc.profile.strict import Strict as _Strict


class SyslogInput(_Strict):
    """The syslog receiver (rsyslog): RFC 3164 and RFC 5424 over UDP, TCP and TLS (RFC 5425, the site PKI),
    written as JSON lines into logs/syslog for the correlator (docs/inputs.md). Its host ports are
    `ports.syslog_udp`, `ports.syslog_tcp` and `ports.syslog_tls`: plain UDP/TCP stay on loopback, only TLS
    may be exposed to the network."""

    enabled: bool = Field(False, description="Run the syslog receiver and correlate what it receives.")
    retention_days: int = Field(30, ge=1, le=3650, description="Days of received syslog files kept on disk.")
    tls_client_auth: Literal["none", "optional", "required"] = Field(
        "optional",
        description="TLS clients present a certificate of the site CA: none (not asked), optional (checked "
        "when given), required (refused without one).",
    )
    max_message_bytes: int = Field(
        65536, ge=480, le=1048576, description="Longer messages are truncated (and counted), never dropped."
    )


class NetflowInput(_Strict):
    """The flow collector: NetFlow v5/v9 on `ports.netflow` and IPFIX on `ports.ipfix` (UDP), flow records as
    JSON lines into logs/netflow for the correlator (docs/inputs.md)."""

    enabled: bool = Field(False, description="Run the flow collector and correlate the flows it receives.")
    retention_days: int = Field(30, ge=1, le=3650, description="Days of flow files kept on disk.")


class Inputs(_Strict):
    """Log sources next to Zeek, each with a real receiver in the stack (issue 15)."""

    syslog: SyslogInput = SyslogInput()
    netflow: NetflowInput = NetflowInput()
