#!/usr/bin/env bash
# bench-transfer.sh: transfer throughput over loopback (docs/BENCHMARKS.md,
# "Transfers"; issue #13 asks hvport for at least 0.9x curl). One server on
# the simulator (plain HTTP on 127.0.0.1) with a VM whose disks hold
# HVPORT_BENCH_DISK_MIB MiB of data each (two disks), exported once; then,
# alternately, RUNS times each:
#
#   curl-seq   curl fetching every file of the export, one after another
#              (one curl process, one connection)
#   curl-par   the same with curl --parallel --parallel-max $PARALLEL
#   hvport     hvport exports download ID --to DIR --parallel $PARALLEL
#              (hashed while written, verified, checkpointed, fsynced)
#
# each into a new directory, the wall time of the whole process measured
# with date +%s%N. It prints the machine, the commands, each run, and the
# median of each with MB/s (10^6 bytes) and the ratios. curl writes into
# the page cache only; "curl-par+sync" adds a sync of its files, what
# hvport's fsyncs cost it.
#
# Needs go, curl (7.66+ for --parallel), about 4x the export's size free
# under the work directory (checked), and a few minutes.
#
# Environment: HVPORT_BENCH_DISK_MIB (default 768: an export of about 1.6
# GB), HVPORT_BENCH_RUNS (5), HVPORT_BENCH_PARALLEL (4), HVPORT_BENCH_PORT
# (18480), HVPORT_BENCH_DIR (default a new directory under /tmp; removed
# at the end unless given). HVPORT_BENCH_SETUP_ONLY=1 stops after the
# warm-up and leaves the server running, to time the four scripts in
# $HVPORT_BENCH_DIR with another tool (kill the printed pid when done).
set -euo pipefail
cd "$(dirname "$0")/.."

DISK_MIB=${HVPORT_BENCH_DISK_MIB:-768}
RUNS=${HVPORT_BENCH_RUNS:-5}
PARALLEL=${HVPORT_BENCH_PARALLEL:-4}
PORT=${HVPORT_BENCH_PORT:-18480}
if [[ -n "${HVPORT_BENCH_DIR:-}" ]]; then
	WORK=$HVPORT_BENCH_DIR
	mkdir -p "$WORK"
	KEEP=1
else
	WORK=$(mktemp -d /tmp/hvport-bench-transfer.XXXXXX)
	KEEP=0
fi
URL=http://127.0.0.1:$PORT

# The VM's disks, the export and two downloads at a time: about 4x the data
# (a disk's file is up to twice its data: runs of 1 MiB every 3 MiB).
need_kib=$((DISK_MIB * 2 * 2 * 4 * 1024))
free_kib=$(df -Pk "$WORK" | awk 'NR == 2 {print $4}')
if ((free_kib < need_kib)); then
	echo "bench-transfer: $((free_kib / 1024)) MiB free under $WORK, want $((need_kib / 1024)) MiB (HVPORT_BENCH_DISK_MIB lower)" >&2
	exit 1
fi

echo "cpus: $(nproc)  model: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
echo "kernel: $(uname -r)  memory: $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)  file system: $(df -PT "$WORK" | awk 'NR == 2 {print $2}')"
go version
curl --version | head -n 1

go build -o "$WORK/bin/server" ./cmd/server
go build -o "$WORK/bin/hvport" ./cmd/hvport

cat >"$WORK/seed.yaml" <<EOF
vms:
  - name: big-01
    id: B16B16B1-0000-4000-8000-000000000001
    disks:
      - file: big-01.vhdx
        sizeBytes: $((DISK_MIB << 20))
        virtualSizeBytes: 68719476736
      - file: big-01-data.vhdx
        sizeBytes: $((DISK_MIB << 20))
        virtualSizeBytes: 68719476736
EOF
cat >"$WORK/hvport.yaml" <<EOF
listen: 127.0.0.1:$PORT
backend: sim
data-dir: $WORK/data
log-level: warn
sim:
  seed-file: $WORK/seed.yaml
  copy-bytes-per-second: 0
EOF

"$WORK/bin/server" --config "$WORK/hvport.yaml" >"$WORK/server.log" 2>&1 &
SERVER=$!
cleanup() {
	if [[ ${HVPORT_BENCH_SETUP_ONLY:-0} == 1 ]]; then
		echo "server pid $SERVER left running; the scripts: $WORK/{curl-seq,curl-par,curl-par-sync,hvport}.sh"
		return
	fi
	kill "$SERVER" 2>/dev/null || true
	wait "$SERVER" 2>/dev/null || true
	if [[ $KEEP == 0 ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
for _ in $(seq 300); do
	if curl -fsS "$URL/v1/health" >/dev/null 2>&1 && [[ -s $WORK/data/admin.token ]]; then break; fi
	sleep 0.1
done
export HVPORT_URL=$URL HVPORT_TOKEN_FILE=$WORK/data/admin.token
TOKEN=$(cat "$WORK/data/admin.token")
HV=$WORK/bin/hvport

# The export (made once: a HVPORT_BENCH_DIR used before has it).
EXPORT_DIR=$WORK/data/exports/big-01
ID=$("$HV" exports list -q | head -n 1)
if [[ -z $ID ]]; then
	"$HV" export big-01 --to "$EXPORT_DIR" --wait -q
	ID=$("$HV" exports list -q | head -n 1)
fi
TOTAL=$(find "$EXPORT_DIR" -type f ! -name hvport-manifest.json -printf '%s\n' | awk '{s += $1} END {print s}')
FILES=$(find "$EXPORT_DIR" -type f ! -name hvport-manifest.json | wc -l)
echo "export $ID: $FILES files, $TOTAL bytes ($(du -sk "$EXPORT_DIR" | cut -f1) KiB allocated)"

# curl's arguments: per file "-o OUT/<path> URL/<path>" (spaces escaped).
: >"$WORK/curl-files.cfg"
while IFS= read -r -d '' f; do
	rel=${f#"$EXPORT_DIR"/}
	printf 'url = "%s/v1/exports/%s/files/%s"\noutput = "%s"\n' "$URL" "$ID" "${rel// /%20}" "$rel" >>"$WORK/curl-files.cfg"
done < <(find "$EXPORT_DIR" -type f ! -name hvport-manifest.json -print0 | sort -z)

cat >"$WORK/curl-seq.sh" <<EOF
#!/bin/sh
set -e
rm -rf "$WORK/out-curl" && mkdir -p "$WORK/out-curl" && cd "$WORK/out-curl"
exec curl -sS --no-progress-meter --fail --create-dirs -H "Authorization: Bearer $TOKEN" -K "$WORK/curl-files.cfg"
EOF
cat >"$WORK/curl-par.sh" <<EOF
#!/bin/sh
set -e
rm -rf "$WORK/out-curl" && mkdir -p "$WORK/out-curl" && cd "$WORK/out-curl"
exec curl -sS --no-progress-meter --fail --create-dirs --parallel --parallel-max $PARALLEL -H "Authorization: Bearer $TOKEN" -K "$WORK/curl-files.cfg"
EOF
cat >"$WORK/curl-par-sync.sh" <<EOF
#!/bin/sh
set -e
"$WORK/curl-par.sh"
cd "$WORK/out-curl" && find . -type f -exec sync {} +
EOF
cat >"$WORK/hvport.sh" <<EOF
#!/bin/sh
set -e
rm -rf "$WORK/out-hvport"
exec "$HV" --url "$URL" --token-file "$WORK/data/admin.token" exports download "$ID" --to "$WORK/out-hvport" --parallel $PARALLEL -q
EOF
chmod +x "$WORK"/*.sh
echo "+ curl-seq:      curl -sS --no-progress-meter --fail --create-dirs -H 'Authorization: Bearer …' -K curl-files.cfg   (url/output per file)"
echo "+ curl-par:      the same with --parallel --parallel-max $PARALLEL"
echo "+ curl-par+sync: curl-par, then sync of its files"
echo "+ hvport:        hvport --url $URL --token-file … exports download $ID --to DIR --parallel $PARALLEL -q"

# One warm-up of each (the export in the page cache, the binaries loaded),
# checking that both produce the export's files.
"$WORK/curl-par.sh"
"$WORK/hvport.sh"
(cd "$EXPORT_DIR" && find . -type f ! -name hvport-manifest.json -print0 | sort -z | xargs -0 sha256sum) >"$WORK/want.sum"
(cd "$WORK/out-curl" && sha256sum -c --quiet "$WORK/want.sum")
(cd "$WORK/out-hvport" && sha256sum -c --quiet "$WORK/want.sum")
if [[ ${HVPORT_BENCH_SETUP_ONLY:-0} == 1 ]]; then exit 0; fi

declare -A times
kinds=(curl-seq curl-par curl-par+sync hvport)
script() { case $1 in curl-par+sync) echo "$WORK/curl-par-sync.sh" ;; *) echo "$WORK/$1.sh" ;; esac; }
for run in $(seq "$RUNS"); do
	line="run $run:"
	for k in "${kinds[@]}"; do
		t0=$(date +%s%N)
		"$(script "$k")"
		t1=$(date +%s%N)
		ms=$(((t1 - t0) / 1000000))
		times[$k]+="$ms "
		line+="  $k ${ms} ms"
	done
	echo "$line"
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
declare -A med
for k in "${kinds[@]}"; do
	med[$k]=$(echo "${times[$k]}" | median)
	awk -v k="$k" -v ms="${med[$k]}" -v b="$TOTAL" 'BEGIN {printf "%-14s median %6.0f ms  %7.1f MB/s\n", k, ms, b / 1e6 / (ms / 1000)}'
done
for k in curl-seq curl-par curl-par+sync; do
	awk -v k="$k" -v c="${med[$k]}" -v h="${med[hvport]}" 'BEGIN {printf "hvport / %-14s %.2fx (throughput)\n", k, c / h}'
done
