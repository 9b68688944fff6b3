#!/usr/bin/env bash
# The API reference page in a real browser (issue #15): builds the server,
# starts it on the simulator (loopback, a fresh data directory), opens
# GET /docs in headless Chromium (Debian's `chromium`) with the admin
# token in the fragment, and fails when the page is blank, shows a script
# error or a blocked load (docs.js records both in the DOM), or lacks an
# operation of api/openapi.yaml. Without a token the page must ask for one
# and show no spec. Saves the rendered DOM and a screenshot under ci/out/
# (gitignored; OUT=dir to change). Run from the repository's root.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-ci/out}
mkdir -p "$out"
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
  echo "docs-browser: chromium is not installed (apt-get install chromium)" >&2
  exit 1
fi
tmp=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/server" ./cmd/server
"$tmp/server" --listen 127.0.0.1:0 --backend sim --data-dir "$tmp/data" >"$tmp/server.log" 2>&1 &
pid=$!
addr=
for _ in $(seq 1 600); do # at most 60 s for the first start
  addr=$(grep -o '"listen": "[^"]*"' "$tmp/server.log" 2>/dev/null | head -n 1 | cut -d'"' -f4 || true)
  [ -n "$addr" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/server.log" >&2; echo "docs-browser: the server stopped" >&2; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] || { cat "$tmp/server.log" >&2; echo "docs-browser: the server did not listen" >&2; exit 1; }
token=$(cat "$tmp/data/admin.token")

# Flags for a closed network (no background connections), as root, without
# a GPU. --virtual-time-budget lets the page's fetch and rendering finish
# before the DOM is dumped.
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
  --disable-component-update --disable-sync --disable-dev-shm-usage --hide-scrollbars
  --window-size=1400,1000 --virtual-time-budget=30000)
run_chrome() { # profile url args...
  local profile=$1 url=$2
  shift 2
  timeout 120 "$chrome" "${flags[@]}" --user-data-dir="$tmp/$profile" --enable-logging=stderr --v=0 "$@" "$url"
}

fail=0
check() { # description, the condition's exit status
  if [ "$2" = 0 ]; then echo "   ok: $1"; else echo "   FAILED: $1"; fail=1; fi
}

url="http://$addr/docs#token=$token"
run_chrome p1 "$url" --dump-dom >"$out/docs.html" 2>"$out/chromium.log" || true
run_chrome p2 "$url" --screenshot="$out/docs.png" >/dev/null 2>>"$out/chromium.log" || true
run_chrome p3 "http://$addr/docs" --dump-dom >"$out/docs-no-token.html" 2>>"$out/chromium.log" || true

set +e # each check reports; the exit code says whether any failed
dom="$out/docs.html"
grep -q 'data-docs-state="rendered"' "$dom"; r=$?; check "the page rendered (data-docs-state=rendered)" $r
errors=$(tr '\n' ' ' <"$dom" | sed -n 's/.*<pre id="hvport-docs-errors"[^>]*>\([^<]*\)<\/pre>.*/\1/p')
[ -z "$errors" ]; r=$?; check "no script error, rejection or blocked load${errors:+: $errors}" $r
! grep -q 'Uncaught' "$out/chromium.log"; r=$?; check "no uncaught exception in the browser's console" $r
[ "$(wc -c <"$dom")" -gt 100000 ]; r=$?; check "the page is not blank ($(wc -c <"$dom") bytes of DOM)" $r
grep -q 'id="operation/startExport"' "$dom"; r=$?; check "startExport is rendered" $r
want=$(grep -o 'operationId: [A-Za-z]*' api/openapi.yaml | cut -d' ' -f2 | sort -u)
missing=
for op in $want; do grep -q "id=\"operation/$op\"" "$dom" || missing="$missing $op"; done
[ -z "$missing" ]; r=$?; check "all $(echo "$want" | wc -w) operations of api/openapi.yaml are rendered${missing:+ (missing:$missing)}" $r
[ -s "$out/docs.png" ]; r=$?; check "screenshot saved ($out/docs.png)" $r
grep -q 'data-docs-state="login"' "$out/docs-no-token.html" && ! grep -q 'operation/startExport' "$out/docs-no-token.html"
r=$?; check "without a token the page asks for one and shows no spec" $r
exit $fail
