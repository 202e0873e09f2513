"""Docker Compose v2 calls: pure argv builders (argv.py) and the one place that runs them (runner.py)."""

from minisoc.compose.process import Completed, run_command
from minisoc.compose.runner import ComposeProject, ServiceState, wait_healthy, wait_until

__all__ = [
    "Completed",
    "ComposeProject",
    "ServiceState",
    "run_command",
    "wait_healthy",
    "wait_until",
]
