#!/usr/bin/env bash
# Replaces the Redoc renderer of the API reference page (GET /docs) with
# another version from npm: scripts/update-redoc.sh 2.5.2. Copies the
# standalone bundle and its licenses into handlers/docsui/ unmodified and
# prints the line to put in handlers/docsui/NOTICE.md; then run
# ci/docs-browser.sh, which fails when the page does not render.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: scripts/update-redoc.sh VERSION}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "redoc@$version" >/dev/null && tar xzf "redoc-$version.tgz")
dst=handlers/docsui
cp "$tmp/package/bundles/redoc.standalone.js" "$dst/redoc.standalone.js"
cp "$tmp/package/bundles/redoc.standalone.js.LICENSE.txt" "$dst/redoc.standalone.js.LICENSE.txt"
cp "$tmp/package/LICENSE" "$dst/LICENSE.redoc.txt"
echo "Redoc $version ($(node -p "require('$tmp/package/package.json').license")), SHA-256 $(sha256sum "$dst/redoc.standalone.js" | cut -d' ' -f1): update handlers/docsui/NOTICE.md"
