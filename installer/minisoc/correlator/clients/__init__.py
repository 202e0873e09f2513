"""Clients for the services the correlator and ops both talk to: one home per service, one factory, one TLS
rule (imports only the ground floor)."""

from minisoc.correlator.clients.misp import MispRefused, checked, connect_misp, read_key, refusal, tls_verify
from minisoc.correlator.clients.opensearch import OpenSearchRest, connect_opensearch, open_client

__all__ = [
    "MispRefused",
    "OpenSearchRest",
    "checked",
    "connect_misp",
    "connect_opensearch",
    "open_client",
    "read_key",
    "refusal",
    "tls_verify",
]
