#!/bin/bash
# Entry point compatible with the official opensearchproject/opensearch image's environment settings:
#   any variable named like a setting (lowercase, dotted: discovery.type=single-node, plugins.security.disabled=true)
#   becomes `-Ename=value`; DISABLE_SECURITY_PLUGIN=true disables the security plugin; OPENSEARCH_JAVA_OPTS is read
#   by bin/opensearch itself. Arguments that are not `opensearch` are executed as a command (e.g. a shell).
set -euo pipefail

if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
  set -- opensearch "$@"
fi

if [ "$1" != "opensearch" ]; then
  exec "$@"
fi
shift

settings=()
while IFS='=' read -r -d '' name value; do
  if [[ "$name" =~ ^[a-z0-9_]+(\.[-a-z0-9_]+)+$ ]]; then
    settings+=("-E${name}=${value}")
  fi
done < <(env -0)

if [ "${DISABLE_SECURITY_PLUGIN:-false}" = "true" ]; then
  settings+=("-Eplugins.security.disabled=true")
fi

# The security tools and scripts need the same JVM the server uses.
export OPENSEARCH_JAVA_HOME="${OPENSEARCH_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
exec /usr/share/opensearch/bin/opensearch "${settings[@]}" "$@"
