"""Which Zeek fields hold which observables, per log type (field names of Bro 2.x to Zeek 6+).

Each entry is (field, observer, port field): the observer says how to read the value (see matching.observers),
the port field (if any) is the port that goes with it, for indicators that carry a port (`ip-dst|port`).
"""

from __future__ import annotations

from typing import Final

IP: Final = "ip"  # an address: exact and CIDR
NAME: Final = "name"  # a host name (or an address): exact, and parent domains for `domain` indicators
HOST_HEADER: Final = "host-header"  # HTTP Host: a name or address, maybe with :port
DNS_ANSWER: Final = "dns-answer"  # an address or a name (CNAME, PTR); TXT and others are ignored
HTTP_URL: Final = "http-url"  # host + uri of an HTTP request, matched as a URL
SUBJECT: Final = "subject"  # an X.509 subject: its CN is matched as a name
FILE_HASH: Final = "file-hash"  # md5/sha1/sha256 by length; of a certificate file: its fingerprint too
CERT_HASH: Final = "cert-hash"  # x509 fingerprint: md5/sha1/sha256 by length
JA3: Final = "ja3"
JA3S: Final = "ja3s"
JA4: Final = "ja4"
EMAIL: Final = "email"
USER_AGENT: Final = "user-agent"
FILENAME: Final = "filename"
INTEL_SEEN: Final = "intel-seen"  # intel.log seen.indicator, typed by seen.indicator_type
URL: Final = "url"  # an absolute URL as written (`http://host/path`), matched as a URL

Spec = tuple[tuple[str, str, str | None], ...]

CONNECTION: Spec = (("id.orig_h", IP, "id.orig_p"), ("id.resp_h", IP, "id.resp_p"))

PER_LOG_TYPE: dict[str, Spec] = {
    "dns": (("query", NAME, None), ("answers", DNS_ANSWER, None)),
    "http": (("host", HOST_HEADER, "id.resp_p"), ("uri", HTTP_URL, None), ("user_agent", USER_AGENT, None),
             ("orig_filenames", FILENAME, None), ("resp_filenames", FILENAME, None)),
    "ssl": (("server_name", NAME, "id.resp_p"), ("ja3", JA3, None), ("ja3s", JA3S, None), ("ja4", JA4, None),
            ("cert_chain_fps", CERT_HASH, None), ("client_cert_chain_fps", CERT_HASH, None),
            ("cert_hash", CERT_HASH, None), ("subject", SUBJECT, None)),
    "quic": (("server_name", NAME, "id.resp_p"),),
    "x509": (("fingerprint", CERT_HASH, None), ("san.dns", NAME, None), ("san.email", EMAIL, None),
             ("san.ip", IP, None), ("certificate.subject", SUBJECT, None)),
    "files": (("md5", FILE_HASH, None), ("sha1", FILE_HASH, None), ("sha256", FILE_HASH, None),
              ("filename", FILENAME, None), ("tx_hosts", IP, None), ("rx_hosts", IP, None)),
    "smtp": (("mailfrom", EMAIL, None), ("rcptto", EMAIL, None), ("from", EMAIL, None), ("to", EMAIL, None),
             ("cc", EMAIL, None), ("reply_to", EMAIL, None), ("x_originating_ip", IP, None),
             ("path", IP, None), ("user_agent", USER_AGENT, None)),  # path: server, client, Received hops
    "notice": (("src", IP, None), ("dst", IP, "p")),
    # Bro 2.6 and later log one DHCP conversation per row, without id.* (its uids are several connections);
    # Bro 2.5 and earlier logged the connection and `assigned_ip`.
    "dhcp": (("client_addr", IP, None), ("server_addr", IP, None), ("assigned_addr", IP, None),
             ("requested_addr", IP, None), ("assigned_ip", IP, None), ("host_name", NAME, None),
             ("client_fqdn", NAME, None), ("domain", NAME, None)),
    "intel": (("seen.indicator", INTEL_SEEN, None),),
    # Logs of what a site runs, written without a connection: the host (and the port of its service)
    "known_hosts": (("host", IP, None),),
    "known_services": (("host", IP, "port_num"),),
    "known_certs": (("host", IP, "port_num"),),
    "software": (("host", IP, "host_p"),),  # host_p: set for server software only
    # The other inputs (issue 15), in flat ECS names (syslog.record, flows.record): a flow's endpoints with
    # their ports, as a connection's; a syslog message's dedicated fields, then the generic extractor's finds
    "netflow": (("source.ip", IP, "source.port"), ("destination.ip", IP, "destination.port")),
    "syslog": (("source.ip", IP, "source.port"), ("destination.ip", IP, "destination.port"),
               ("source.domain", NAME, None), ("destination.domain", NAME, None), ("url.domain", NAME, None),
               ("url.full", URL, None), ("http.request.referrer", URL, None),
               ("email.from.address", EMAIL, None), ("email.to.address", EMAIL, None),
               ("user_agent.original", USER_AGENT, None), ("related.ip", IP, None),
               ("related.hosts", NAME, None), ("related.url", URL, None), ("related.email", EMAIL, None)),
}


# Fields an observer reads besides its own: the host of an HTTP request's uri (the Host header, else the
# server's address), the type of an intel.log value.
CONTEXT: dict[str, tuple[str, ...]] = {HTTP_URL: ("host", "id.resp_h"), INTEL_SEEN: ("seen.indicator_type",)}

# Sets and vectors: a TSV reader may hand them over as `a,b` text; other fields may contain commas.
SET_FIELDS = frozenset(("answers", "cert_chain_fps", "client_cert_chain_fps", "san.dns", "san.email",
                        "san.ip", "tx_hosts", "rx_hosts", "rcptto", "to", "cc", "path", "orig_filenames",
                        "resp_filenames"))


def observed_as(log_type: str) -> str:
    """The log type whose observables a record of `log_type` has: itself when it is one of PER_LOG_TYPE,
    else the one its name starts or ends with, as log filters and vendors name split logs (`dns_red`,
    `http-internal`, `ssl_external`, `DNS`), else itself (then only the connection's addresses)."""
    if log_type in PER_LOG_TYPE:
        return log_type
    parts = log_type.lower().replace("-", "_").split("_")
    candidates = ["_".join(parts)]
    candidates += ["_".join(parts[:end]) for end in range(len(parts) - 1, 0, -1)]  # longest prefix first
    candidates += ["_".join(parts[start:]) for start in range(1, len(parts))]  # then longest suffix
    return next((name for name in candidates if name in PER_LOG_TYPE), log_type)


NO_CONNECTION = frozenset(("netflow", "syslog"))  # records without Zeek's `id.*`: no connection observables


def spec_for(log_type: str) -> Spec:
    """Observables of a log type (see observed_as): its own fields, then the connection's addresses."""
    if log_type in NO_CONNECTION:
        return PER_LOG_TYPE[log_type]
    return PER_LOG_TYPE.get(observed_as(log_type), ()) + CONNECTION


def fields_read(log_type: str) -> tuple[str, ...]:
    """Every field the matcher may read in a record of `log_type`: observables, their ports, their context."""
    names: dict[str, None] = {}
    for field, observer, port in spec_for(log_type):
        names[field] = None
        if port:
            names[port] = None
        names.update(dict.fromkeys(CONTEXT.get(observer, ())))
    return tuple(names)
