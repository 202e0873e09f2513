"""Operating a rendered site: up, down, status, logs, doctor and verify (the CLI modules stay thin)."""
