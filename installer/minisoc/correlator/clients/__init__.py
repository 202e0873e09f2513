"""Clients for the services the correlator and ops both talk to (imports nothing above minisoc.errors)."""

from minisoc.correlator.clients.misp import MispRefused, checked, connect_misp, read_key, refusal, tls_verify

__all__ = ["MispRefused", "checked", "connect_misp", "read_key", "refusal", "tls_verify"]
