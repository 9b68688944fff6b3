#!/usr/bin/env bash
# bench-jobstore.sh: the job store's benchmarks (docs/BENCHMARKS.md, "Job
# store"): 100,000 stored jobs, start-up, list pages, submissions and the
# one-time migration from one file per job. Prints the machine first.
# Takes a few minutes on 2 cores; HVPORT_BENCH_JOBS=N changes the count.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "cpus: $(nproc)  model: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
go version
run() { echo "+ $*"; "$@" 2>&1 | grep -E '^(Benchmark|ok|FAIL|---)'; }
run go test ./jobs/ -run '^$' -bench 'StoreOpen$' -benchtime 5x -timeout 30m
run go test ./jobs/ -run '^$' -bench 'StoreList' -benchtime 200x -timeout 30m
run go test ./jobs/ -run '^$' -bench 'StoreSubmit' -benchtime 1000x -timeout 30m
run go test ./jobs/ -run '^$' -bench 'StoreMigrate' -benchtime 1x -timeout 30m
run go test ./handlers/ -run '^$' -bench 'JobListPage' -benchtime 100x -timeout 30m
