#!/usr/bin/env bash
# Release builds of both binaries — server (the service) and hvport (the
# command line) — for linux/amd64, linux/arm64 and windows/amd64, static
# (CGO_ENABLED=0) and reproducible (-trimpath), with a SHA256SUMS file:
#
#   scripts/release.sh [OUT-DIR]      # default: dist/
#
# Needs only Go. The binaries land as OUT-DIR/hvport_<os>_<arch>/{server,hvport}[.exe].
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
platforms=(linux/amd64 linux/arm64 windows/amd64)
rm -rf "$out"
mkdir -p "$out"
for p in "${platforms[@]}"; do
  goos=${p%/*} goarch=${p#*/}
  dir="$out/hvport_${goos}_${goarch}"
  ext=""; [ "$goos" = windows ] && ext=.exe
  mkdir -p "$dir"
  for cmd in server hvport; do
    echo "== $goos/$goarch $cmd"
    CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath -ldflags='-s -w' -o "$dir/$cmd$ext" "./cmd/$cmd"
  done
done
(cd "$out" && find . -type f ! -name SHA256SUMS | sort | xargs sha256sum > SHA256SUMS)
echo "== $out:"; cat "$out/SHA256SUMS"
