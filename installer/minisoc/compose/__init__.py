"""Docker Compose v2 calls: pure argv builders (argv.py) and the one place that runs them (runner.py)."""
