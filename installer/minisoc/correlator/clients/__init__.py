"""Clients for the services the correlator and ops both talk to (imports nothing above minisoc.errors)."""
