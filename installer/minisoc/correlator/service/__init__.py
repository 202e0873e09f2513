"""The long-running correlator service: intel sync, live tail, retro-hunt, export, /healthz and /metrics."""

from minisoc.correlator.service.build import run_service

__all__ = [
    "run_service",
]
