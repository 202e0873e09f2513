"""misp-docker's sync servers from `intel.misp.sync_servers`: `secrets/misp-sync-servers.env` (0600), an env
file for misp-core holding `SYNCSERVERS=1,2,...` and `SYNCSERVERS_<n>_DATA` (MISP's server JSON, with the
remote key read from its key file: hence a secret file, never in compose.yaml or config/)."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

from minisoc.errors import UsageError
from minisoc.profile.model import SiteProfile, SyncServer
from minisoc.render.files import RenderedFile
from minisoc.site import read_secret

SYNC_ENV = PurePosixPath("secrets/misp-sync-servers.env")


def sync_server_data(server: SyncServer, key: str) -> dict[str, object]:
    """What misp-docker's create_sync_servers posts to servers/add (it swaps remote_org_uuid for the id)."""
    data: dict[str, object] = {
        "name": server.name,
        "url": str(server.url).rstrip("/"),
        "authkey": key,
        "remote_org_uuid": str(server.remote_org_uuid),
        "pull": server.pull,
        "push": server.push,
        "self_signed": False,
    }
    if server.pull_rules is not None:
        data["pull_rules"] = json.dumps(server.pull_rules, sort_keys=True)
    return data


def _key(site_dir: Path, index: int, server: SyncServer) -> str:
    where = f"intel.misp.sync_servers.{index}.key_file"
    key = read_secret(site_dir / str(server.key_file), where=f"{where}: {server.key_file}",
                      hint="put the key the remote MISP gave this site in that file, mode 0600")
    if not key.isalnum():
        raise UsageError(f"{where}: {server.key_file} does not hold a MISP key (letters and digits)",
                         "put the key the remote MISP gave this site in that file")
    return key


def misp_sync_files(site_dir: Path, profile: SiteProfile) -> list[RenderedFile]:
    servers = profile.intel.misp.sync_servers
    if not profile.runs_local_misp or not servers:
        return []
    lines = [f"SYNCSERVERS={','.join(str(n) for n in range(1, len(servers) + 1))}"]
    for index, server in enumerate(servers):
        data = json.dumps(sync_server_data(server, _key(site_dir, index, server)), sort_keys=True)
        if "'" in data:  # json.dumps escapes line breaks
            raise UsageError(
                f"intel.misp.sync_servers.{index}: a quote cannot go in an env file",
                "remove it from the name, url or pull rules",
            )
        lines.append(f"SYNCSERVERS_{index + 1}_DATA='{data}'")
    return [RenderedFile(SYNC_ENV, ("\n".join(lines) + "\n").encode("utf-8"), secret=True)]
