#!/usr/bin/env bash
# Refreshes the vendored dagre (graph layout of the console) from the npm
# registry: `bash src/console/assets/vendor/refresh-dagre.sh [VERSION]`.
# Then update DAGRE_VERSION in src/console/assets.rs and README.md here.
set -euo pipefail
version="${1:-3.1.3}"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@dagrejs/dagre@$version" >/dev/null && tar xzf ./*.tgz)
cp "$tmp/package/dist/dagre.min.js" "$here/dagre.min.js"
cp "$tmp/package/LICENSE" "$here/LICENSE-dagre"
echo "dagre $version vendored into $here"
