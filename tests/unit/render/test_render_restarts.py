"""Which services a render asks to restart (pure: compose documents and lists of changes in, names out)."""

from __future__ import annotations

from pathlib import PurePosixPath

from minisoc.render.restarts import services_to_restart

OLD = {
    "services": {
        "opensearch": {
            "image": "o:1",
            "volumes": [
                {"type": "volume", "source": "opensearch-data", "target": "/data"},
                {"type": "bind", "source": "./config/opensearch/security", "target": "/sec"},
                {"type": "bind", "source": "./pki/opensearch-node.key", "target": "/k"},
            ],
        },
        "misp-core": {"image": "m:1", "env_file": ["./config/misp/misp.env"],
                      "environment": {"ADMIN_PASSWORD": "${MISP_ADMIN_PASSWORD:?run minisoc render}"}},
        "correlator": {"image": "c:1", "secrets": ["opensearch-correlator-password"],
                       "volumes": [{"type": "bind", "source": "/var/log/zeek", "target": "/logs"}]},
    },
    "secrets": {"opensearch-correlator-password": {"file": "./secrets/opensearch-correlator-password"}},
}


def test_each_kind_of_change_restarts_the_services_that_use_it() -> None:
    new = {**OLD, "services": {**OLD["services"], "feedserver": {"image": "f:1"}}}
    new["services"]["opensearch"] = {**OLD["services"]["opensearch"], "image": "o:2"}
    changed = [
        PurePosixPath("config/opensearch/security/internal_users.yml"),
        PurePosixPath("config/misp/misp.env"),
        PurePosixPath("secrets/opensearch-correlator-password"),
        PurePosixPath("config/zeek/local.zeek"),  # mounted by no service of these documents
    ]
    old_env = {"MISP_ADMIN_PASSWORD": "a", "MISP_DB_PASSWORD": "b"}
    new_env = {"MISP_ADMIN_PASSWORD": "changed", "MISP_DB_PASSWORD": "b"}
    assert services_to_restart(OLD, new, changed, old_env, new_env) == {
        "correlator": ("secrets/opensearch-correlator-password",),
        "misp-core": ("config/misp/misp.env", ".env MISP_ADMIN_PASSWORD"),
        "opensearch": ("compose.yaml", "config/opensearch/security/internal_users.yml"),
    }


def test_nothing_changed_or_a_first_render_restarts_nothing() -> None:
    assert services_to_restart(OLD, OLD, [], {"A": "1"}, {"A": "1"}) == {}
    assert services_to_restart(None, OLD, [PurePosixPath("pki/opensearch-node.key")], {}, {"X": "1"}) == {}
