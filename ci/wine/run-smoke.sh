#!/usr/bin/env bash
# Smoke test of hvport's Windows build under Wine (docs/WINDOWS.md, "What CI
# runs under Wine", says what this covers and what it cannot).
#
# Needs wine (Debian: wine + wine64) and x86_64-w64-mingw32-gcc (Debian:
# gcc-mingw-w64-x86-64-win32); .ci/run installs them. Everything happens in
# a fresh Wine prefix in a temporary directory, removed at the end.
#
#   1. builds ci/wine/bcryptprimitives.c into the prefix's system32 (Go's
#      Windows runtime needs ProcessPrng, which Wine 8 lacks);
#   2. runs the wmi/com test binary (COM transport against Wine's WMI:
#      queries in root\cimv2; methods with in- and out-parameters on
#      StdRegProv in root\default; embedded-instance text, which Wine
#      refuses, so Embed's fallback) and the cmd/server tests that Wine can
#      run;
#   3. runs hvport.exe: diagnose (auto → Hyper-V, which Wine lacks: must
#      fail clearly; and --backend sim: must pass), then the Windows service
#      life cycle: install, start, a request, stop, uninstall.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

for tool in wine wineboot wineserver x86_64-w64-mingw32-gcc; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "run-smoke: $tool is missing (Debian packages: wine wine64 gcc-mingw-w64-x86-64-win32)" >&2
    exit 2
  fi
done

work=$(mktemp -d /tmp/hvport-wine.XXXXXX)
export WINEPREFIX="$work/prefix" WINEARCH=win64 WINEDEBUG=-all
# No Mono or Gecko install prompts: nothing here needs them.
export WINEDLLOVERRIDES="mscoree,mshtml="
cleanup() {
  wineserver -k >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step() { echo "== wine: $*"; }
fail() { echo "run-smoke: FAIL: $*" >&2; exit 1; }
# wine runs a Windows program and returns its exit code; timeout keeps a
# hung Wine from hanging CI.
w() { timeout 300 wine "$@"; }

start=$(date +%s)
step "prefix ($(wine --version))"
timeout 180 wineboot --init >/dev/null 2>&1 || fail "wineboot --init"
# Let the prefix's first start finish (and its registry reach the disk)
# before anything else runs: a service installed while it is still going on
# can be lost, or fail to start.
timeout 180 wineserver -w || fail "wineserver -w"
sys32="$WINEPREFIX/drive_c/windows/system32"
[ -d "$sys32" ] || fail "no system32 in the new prefix"

step "bcryptprimitives.dll shim"
x86_64-w64-mingw32-gcc -shared -O2 -Wall -Wextra -s -o "$sys32/bcryptprimitives.dll" \
  ci/wine/bcryptprimitives.c -ladvapi32

step "build the Windows test binaries and hvport.exe"
GOOS=windows GOARCH=amd64 go test -c -o "$work/com.test.exe" ./wmi/com/
GOOS=windows GOARCH=amd64 go test -c -o "$work/server.test.exe" ./cmd/server/
app="$WINEPREFIX/drive_c/hvport"
mkdir -p "$app"
GOOS=windows GOARCH=amd64 go build -o "$app/hvport.exe" ./cmd/server

step "wmi/com tests (COM transport against Wine's WMI)"
(cd wmi/com && w "$work/com.test.exe" -test.v -test.count=1) | tee "$work/com.log"
grep -q '^PASS$' "$work/com.log" || fail "wmi/com tests"
for t in TestQueryAndGet TestProcesses TestErrors TestExecMethodWithoutInParameters TestExecMethod \
  TestRegistryMethods TestInstanceText TestManyCallsAndConcurrency TestVariantRoundTrip TestPutValue TestClosed; do
  grep -q -- "--- PASS: $t " "$work/com.log" || fail "$t did not pass under Wine"
done

# Go's os.RemoveAll deletes with FILE_DISPOSITION_POSIX_SEMANTICS, which
# Wine 8 refuses, so tests that use t.TempDir fail their cleanup there;
# these are the cmd/server tests that do not.
step "cmd/server tests (those without t.TempDir)"
(cd cmd/server && w "$work/server.test.exe" -test.v -test.count=1 -test.run \
  '^(TestParseCommand|TestOpenHyperVOrder|TestResolveBackend|TestDiffObjects|TestJudgeRights|TestEventCore|TestIsAbs|TestWindowsConfig|TestShippedConfigLoads|TestRightsFromToken|TestNotAService|TestDiagnoseBadArguments|TestDiagnoseBackendDoesNotOpen)$/^(hyperv)?$') |
  tee "$work/server.log"
grep -q '^PASS$' "$work/server.log" || fail "cmd/server tests"
for t in TestRightsFromToken TestDiagnoseBackendDoesNotOpen/hyperv TestWindowsConfig; do
  grep -q -- "--- PASS: $t " "$work/server.log" || fail "$t did not pass under Wine"
done

cd "$app"
step "hvport.exe diagnose: auto selects Hyper-V, which Wine has not"
set +e
w 'C:\hvport\hvport.exe' diagnose --json >"$work/diag-auto.json"
code=$?
set -e
cat "$work/diag-auto.json"
[ "$code" = 1 ] || fail "diagnose without Hyper-V exited $code, want 1"
grep -q '"result": "fail"' "$work/diag-auto.json" || fail "diagnose did not report the failure"
grep -q 'no Hyper-V WMI namespace could be opened' "$work/diag-auto.json" || fail "diagnose did not say why"
grep -q '0x8004100E' "$work/diag-auto.json" || fail "diagnose did not report invalid namespace (0x8004100E)"

step "hvport.exe (server) without Hyper-V exits with a clear error"
set +e
w 'C:\hvport\hvport.exe' --listen 127.0.0.1:0 2>"$work/serve.err"
code=$?
if [ "$code" = 139 ]; then
  # Seen once in CI (2026-12-06) and not reproduced in 25 runs: Wine's
  # loader crashing (SIGSEGV) as the process exits. Run once more, saying
  # so, rather than fail on Wine; a second crash fails.
  echo "run-smoke: the server crashed under Wine (exit 139); once more:"; cat "$work/serve.err"
  w 'C:\hvport\hvport.exe' --listen 127.0.0.1:0 2>"$work/serve.err"
  code=$?
fi
set -e
[ "$code" = 1 ] || { cat "$work/serve.err"; fail "the server without Hyper-V exited $code, want 1"; }
grep -q 'To run on the simulator instead, use --backend sim' "$work/serve.err" || { cat "$work/serve.err"; fail "no clear error"; }

step "hvport.exe diagnose --backend sim"
w 'C:\hvport\hvport.exe' diagnose --backend sim --data-dir 'C:\hvport\diag' || fail "diagnose --backend sim"

step "Windows service: install, start, request, stop, uninstall"
printf 'log-file: C:\\hvport\\logs\\hvport.log\nlog-format: json\nlisten: 127.0.0.1:0\n' >"$app/svc.yaml"
w 'C:\hvport\hvport.exe' install --name hvport-smoke --config 'C:\hvport\svc.yaml' --backend sim --data-dir 'C:\hvport\data' ||
  fail "install"
w 'C:\hvport\hvport.exe' start --name hvport-smoke || { cat "$app/logs/hvport.log" 2>/dev/null; fail "start"; }
addr=$(grep -o '"listen":"127\.0\.0\.1:[0-9]*"' "$app/logs/hvport.log" | tail -1 | cut -d'"' -f4)
[ -n "$addr" ] || { cat "$app/logs/hvport.log"; fail "the service logged no listen address"; }
echo "service listens on $addr"
# The first start wrote an admin token into the data directory.
[ -s "$app/data/admin.token" ] || fail "the service wrote no admin token"
token=$(tr -d '\r\n' <"$app/data/admin.token")
[ "$(curl -s -o /dev/null -w '%{http_code}' -m 10 "http://$addr/v1/vms")" = 401 ] || fail "GET /v1/vms without a token is not 401"
body=$(curl -sS -m 10 -H "Authorization: Bearer $token" "http://$addr/v1/vms") || fail "GET /v1/vms"
echo "$body" | head -c 300; echo
echo "$body" | grep -q '"web-01"' || fail "the service did not answer with the demo VMs"
w 'C:\hvport\hvport.exe' stop --name hvport-smoke || fail "stop"
grep -q '"msg":"shutting down"' "$app/logs/hvport.log" || { cat "$app/logs/hvport.log"; fail "the service did not shut down gracefully"; }
if curl -s -m 2 "http://$addr/v1/vms" >/dev/null 2>&1; then fail "the service still answers after stop"; fi
w 'C:\hvport\hvport.exe' uninstall --name hvport-smoke || fail "uninstall"
set +e
w 'C:\hvport\hvport.exe' start --name hvport-smoke 2>"$work/start.err"
code=$?
set -e
[ "$code" = 1 ] && grep -q 'is not installed' "$work/start.err" || fail "the service is still installed after uninstall"

cd "$repo"
echo "== wine: smoke test passed in $(( $(date +%s) - start ))s"
