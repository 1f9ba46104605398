#!/usr/bin/env bash
# What `npm run bench` runs: tokenflow's benchmarks (not tests). Each bench prints a markdown section that
# bench/run.ts writes into BENCHMARKS.md between its markers, stamped with the date, the machine and the command.
#
#   npm run bench                          # all: orchestration-overhead, compression, token-counting, local-model, ab,
#                                          #      concurrent-runs, ledger, backtest (prediction and backtest-local run
#                                          #      only by name: they take ~19 and ~30 minutes)
#   npm run bench -- compression           # one bench by name (bench/<name>.bench.ts)
#   npm run bench -- --no-write compression   # print only, leave BENCHMARKS.md alone
#   TOKENFLOW_BENCH_RUNS=20 npm run bench -- concurrent-runs   # 20 analyses at once instead of 50
#
# Benchmarks need the CPU to themselves on this shared machine, so the run holds /tmp/tokenflow-cpu.lock
# (do not wrap this script in `flock` on that file yourself: it would wait for itself). Set
# TOKENFLOW_BENCH_LOCK_HELD=1 when the caller already holds the lock.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
lock=/tmp/tokenflow-cpu.lock

if [ -n "${TOKENFLOW_BENCH_LOCK_HELD:-}" ]; then
  exec node --import tsx bench/run.ts "$@"
fi
if ! flock -n "$lock" true; then
  echo "bench: waiting for $lock (another CPU-heavy job is running)" >&2
fi
exec flock "$lock" env TOKENFLOW_BENCH_LOCK_HELD=1 node --import tsx bench/run.ts "$@"
