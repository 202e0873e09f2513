"""A rendered 3-node OpenSearch cluster brought up alone (its services from the site's compose.yaml, compose
project `hoscluster-*`), for tests/e2e/test_e2e_opensearch_cluster.py.

Engines with a hard open-files limit below 65535 (a CI sandbox: 20000) cannot run an OpenSearch *cluster* as
rendered: a node whose transport is bound or published beyond loopback enforces the bootstrap checks, and the
file-descriptor one then refuses to start it. There `sandboxed_override` puts every node into one network
namespace (a holder container publishes the ports) with the transport on 127.0.0.1, where OpenSearch does not
enforce them; certificates, nodes_dn, the security plugin, replicas and the clients stay exactly as rendered.
"""

from __future__ import annotations

import json
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from minisoc.ops.engine_limits import engine_nofile_limit

NODES = ("opensearch", "opensearch-2", "opensearch-3")
HOLDER = "nodes-net"  # holds the shared network namespace in sandbox mode
ENOUGH_FILES = 65535  # OpenSearch's bootstrap check


def sandboxed_override(image: str, host_ports: list[int], nofile: int) -> dict[str, Any]:
    """Compose override: nodes in the holder's network namespace, transport on loopback, HTTP on 920N."""
    return {"text": _dump(sandboxed_services(image, host_ports, nofile))}


def linked_override(image: str, host_ports: list[int], nofile: int, aliases: dict[str, list[str]],
                    relay_script: Path) -> dict[str, Any]:
    """The same for a distributed site's storage host, whose nodes other hosts reach by their aliases on the
    host's networks (`aliases`: network -> the nodes' aliases, in NODES order) at port 9200. The holder takes
    the first node's aliases; a relay container per other node takes its aliases and forwards port 9200 to
    that node's 920N in the holder's namespace. A relay is plain TCP (`relay_script`, perl of Debian's
    perl-base in the node image): TLS and each node's certificate for its own alias pass through unchanged."""
    services = sandboxed_services(image, host_ports, nofile)
    services[HOLDER]["networks"] = {network: {"aliases": [names[0]]} for network, names in aliases.items()}
    for index, node in enumerate(NODES):
        services[node]["networks"] = "RESET"
        if index == 0:
            continue
        services[f"relay-{index + 1}"] = {
            "image": image,
            "pull_policy": "never",
            "entrypoint": ["perl", "/relay.pl", "9200", HOLDER, str(9200 + index)],
            "init": True,
            "volumes": [{"type": "bind", "source": str(relay_script), "target": "/relay.pl",
                         "read_only": True}],
            "networks": {network: {"aliases": [names[index]]} for network, names in aliases.items()},
            "depends_on": {HOLDER: {"condition": "service_started"}},
        }
    return {"text": _dump(services)}


def _dump(services: dict[str, Any]) -> str:
    text = yaml.safe_dump({"services": services}, sort_keys=True)
    return text.replace("ports: RESET", "ports: !reset []").replace("networks: RESET", "networks: !reset {}")


RELAY_SCRIPT = r"""# TCP relay: LISTEN_PORT -> HOST:PORT, one process per direction of a connection (tests).
use strict;
use IO::Socket::INET;
$SIG{CHLD} = "IGNORE";
my ($listen_port, $host, $port) = @ARGV;
my $server = IO::Socket::INET->new(LocalAddr => "0.0.0.0", LocalPort => $listen_port, Listen => 128,
                                   ReuseAddr => 1) or die "relay: listen on $listen_port: $!\n";
while (1) {
    my $client = $server->accept or next;
    my $pid = fork;
    if (!defined $pid || $pid) { close $client; next; }
    close $server;
    my $upstream = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port) or exit 1;
    my ($from, $into) = fork ? ($client, $upstream) : ($upstream, $client);
    my $buffer;
    while (my $got = sysread($from, $buffer, 65536)) {
        my $offset = 0;
        while ($offset < $got) {
            my $put = syswrite($into, $buffer, $got - $offset, $offset);
            exit 0 unless defined $put;
            $offset += $put;
        }
    }
    shutdown($into, 1);
    exit 0;
}
"""


def sandboxed_services(image: str, host_ports: list[int], nofile: int) -> dict[str, Any]:
    transports = [f"127.0.0.1:{9300 + index}" for index in range(len(NODES))]
    services: dict[str, Any] = {
        HOLDER: {
            "image": image,
            "entrypoint": ["sleep", "infinity"],
            "init": True,  # PID 1 ignores SIGTERM without a handler: stops would wait 10 s for the SIGKILL
            "pull_policy": "never",
            "ports": [{"target": 9200 + index, "published": port, "host_ip": "127.0.0.1", "protocol": "tcp"}
                      for index, port in enumerate(host_ports)],
        }
    }
    for index, node in enumerate(NODES):
        services[node] = {
            "network_mode": f"service:{HOLDER}",
            "ports": "RESET",
            "depends_on": {HOLDER: {"condition": "service_started"}},
            "ulimits": {"nofile": {"soft": nofile, "hard": nofile}},
            "environment": {
                "transport.host": "127.0.0.1",
                "transport.port": str(9300 + index),
                "http.port": str(9200 + index),
                "discovery.seed_hosts": ",".join(transports),
            },
            "healthcheck": {"test": ["CMD-SHELL", f"curl -sk -o /dev/null -w '%{{http_code}}' "
                                     f"https://127.0.0.1:{9200 + index}/ | grep -Eq '^(200|401)$$'"]},
        }
    return services


def free_port_run(count: int) -> int:
    """A first port P with P..P+count-1 free on 127.0.0.1."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count > 65000:
            continue
        try:
            for offset in range(count):
                with socket.socket() as other:
                    other.bind(("127.0.0.1", first + offset))
        except OSError:
            continue
        return first
    raise AssertionError("no run of free ports")


def engine_nofile(image: str) -> int:
    """The engine's hard open-files limit for containers of `image`, measured as `minisoc up` measures it."""
    limit = engine_nofile_limit(image)
    assert limit is not None, f"could not run {image} to measure the engine's open-files limit"
    return limit


@dataclass
class Cluster:
    site_dir: Path
    project: str
    files: list[Path]
    peak_mb: dict[str, float] = field(default_factory=dict)

    def compose(self, *args: str, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
        argv = ["docker", "compose", "-p", self.project, "--project-directory", str(self.site_dir)]
        for path in self.files:
            argv += ["-f", str(path)]
        return subprocess.run([*argv, *args], capture_output=True, text=True, timeout=timeout_s, check=False)

    def must(self, *args: str, timeout_s: float = 300) -> str:
        done = self.compose(*args, timeout_s=timeout_s)
        assert done.returncode == 0, f"docker compose {' '.join(args)}: {done.stderr[-3000:]}"
        return done.stdout

    def container(self, node: str) -> str:
        return self.must("ps", "-q", node).strip()

    def sample_memory(self) -> None:
        """Peak memory of each running node (cgroup v1 max_usage, or v2 memory.peak), kept as the maximum."""
        for node in NODES:
            container = self.container(node)
            if not container:
                continue
            done = subprocess.run(
                ["docker", "exec", container, "sh", "-c",
                 "cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes 2>/dev/null "
                 "|| cat /sys/fs/cgroup/memory.peak"],
                capture_output=True, text=True, timeout=30, check=False)
            if done.returncode == 0 and done.stdout.strip().isdigit():
                peak = int(done.stdout.strip()) / 2**20
                self.peak_mb[node] = max(self.peak_mb.get(node, 0.0), round(peak, 1))


def cluster_files(site_dir: Path, project: str, image: str, host_ports: list[int]) -> Cluster:
    files = [site_dir / "compose.yaml"]
    nofile = engine_nofile(image)
    if nofile < ENOUGH_FILES:
        override = site_dir / "compose.sandbox.yaml"
        override.write_text(sandboxed_override(image, host_ports, nofile)["text"])
        files.append(override)
    return Cluster(site_dir, project, files)


def summary(body: Any) -> str:
    return json.dumps(body, sort_keys=True)[:500]
