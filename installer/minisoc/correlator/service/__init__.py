"""The long-running correlator service: intel sync, live tail, retro-hunt, export, /healthz and /metrics."""
