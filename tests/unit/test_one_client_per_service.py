"""One client per external service: every OpenSearch, PyMISP and confluent-kafka client is built by its one
factory, and every TLS context by the one rule (minisoc/tls.py), checked on every module's calls. Two
OpenSearch clients (urllib on the host, opensearch-py in the sinks), three PyMISP factories and two Kafka
config builders (ops' AdminClient, the correlator's Consumer/Producer) had drifted apart before."""

from __future__ import annotations

import ast
from pathlib import Path

import minisoc

PACKAGE_ROOT = Path(minisoc.__file__).resolve().parent
OPENSEARCH_HOME = "correlator/clients/opensearch.py"
MISP_HOME = "correlator/clients/misp.py"
KAFKA_HOME = "correlator/clients/kafka.py"
ONLY_IN = {  # (package the callable comes from, its name): the modules that may call it
    ("opensearchpy", "OpenSearch"): {OPENSEARCH_HOME},
    ("opensearchpy", "AsyncOpenSearch"): {OPENSEARCH_HOME},
    ("pymisp", "PyMISP"): {MISP_HOME},
    ("pymisp", "ExpandedPyMISP"): {MISP_HOME},
    ("confluent_kafka", "Consumer"): {KAFKA_HOME},
    ("confluent_kafka", "Producer"): {KAFKA_HOME},
    ("confluent_kafka", "AdminClient"): {KAFKA_HOME},
    ("minisoc", "client_context"): {OPENSEARCH_HOME},  # the TLS rule (minisoc.tls), applied by the factory
    ("ssl", "create_default_context"): {"tls.py"},  # no TLS context but the rule's
    ("ssl", "SSLContext"): {"tls.py"},
}


def _calls(source: str) -> set[tuple[str, str]]:
    """(top-level package, name) of what `source` calls from an imported package: `f(...)` after
    `from pkg.mod import f` (or `import f as g`, then `g(...)`: the name it has in its package), `pkg.f(...)`
    after `import pkg`; a local class of the same name is not one."""
    tree = ast.parse(source)
    origin: dict[str, tuple[str, str | None]] = {}  # local name -> (top-level package, name imported)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            origin.update({alias.asname or alias.name: (node.module.split(".")[0], alias.name)
                           for alias in node.names})
        elif isinstance(node, ast.Import):
            origin.update({alias.asname or alias.name.split(".")[0]: (alias.name.split(".")[0], None)
                           for alias in node.names})
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id in origin:
            package, name = origin[node.func.id]
            found.add((package, name or node.func.id))
        elif isinstance(node.func, ast.Attribute):
            base = node.func.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in origin:
                found.add((origin[base.id][0], node.func.attr))
    return found


def _misplaced(modules: dict[str, str]) -> list[tuple[str, str]]:
    """(module, name) for every client or TLS context built outside its home."""
    return sorted((module, call[1]) for module, source in modules.items()
                  for call in _calls(source) & ONLY_IN.keys() if module not in ONLY_IN[call])


def test_every_client_and_tls_context_comes_from_its_one_home() -> None:
    modules = {str(path.relative_to(PACKAGE_ROOT)): path.read_text(encoding="utf-8")
               for path in sorted(PACKAGE_ROOT.rglob("*.py"))}
    assert _misplaced(modules) == []
    # the check reads real calls
    assert {("opensearchpy", "OpenSearch"), ("minisoc", "client_context")} <= _calls(modules[OPENSEARCH_HOME])
    assert ("pymisp", "PyMISP") in _calls(modules[MISP_HOME])
    assert {("confluent_kafka", name) for name in ("Consumer", "Producer", "AdminClient")} <= _calls(
        modules[KAFKA_HOME])


def test_a_client_built_elsewhere_is_seen() -> None:
    """The check can fail: a sink building its own client, a module making its own TLS context; a profile
    model that happens to be called OpenSearch is no client."""
    modules = {
        "correlator/sinks/x.py": "from opensearchpy.client import OpenSearch\nclient = OpenSearch()\n",
        "ops/y.py": "import ssl\ncontext = ssl.create_default_context()\n",
        "ops/z.py": "import pymisp\nmisp = pymisp.PyMISP(url, key)\n",
        "profile/model.py": "class OpenSearch(Model): ...\ndefault = OpenSearch()\n",
        "ops/k.py": "from confluent_kafka.admin import AdminClient\nadmin = AdminClient({})\n",
        "correlator/kafka/o.py": "import confluent_kafka\nc = confluent_kafka.Consumer({})\n"
                                 "from confluent_kafka import Producer as P\np = P({})\n",
        KAFKA_HOME: "from confluent_kafka import Consumer\nc = Consumer({})\n",
        OPENSEARCH_HOME: "from opensearchpy import OpenSearch\nfrom minisoc.tls import client_context\n"
                         "client = OpenSearch(hosts=[url], ssl_context=client_context(ca))\n",
    }
    assert _misplaced(modules) == [
        ("correlator/kafka/o.py", "Consumer"), ("correlator/kafka/o.py", "Producer"),  # aliased: still seen
        ("correlator/sinks/x.py", "OpenSearch"), ("ops/k.py", "AdminClient"),
        ("ops/y.py", "create_default_context"), ("ops/z.py", "PyMISP")]
