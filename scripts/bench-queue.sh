#!/usr/bin/env bash
# Queue mode end to end: a real redis-server, `frocket serve --redis` and 1, 2 and 4 `frocket worker`
# processes over a generated dataset on local disk. Prints, per worker count and query, the best and
# median wall time of REPS runs (after one warm-up run) as seen by the HTTP client, and rows/s.
# Usage: scripts/bench-queue.sh [ROWS] [FILES] [REPS]   (defaults 10000000 10 5)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-10000000}; FILES=${2:-10}; REPS=${3:-5}
BIN=$PWD/bin/frocket
DATA=$PWD/bench-data/queue-$ROWS-$FILES
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

make -s build
[ -f "$DATA/part-00000.parquet" ] || "$BIN" gen --rows "$ROWS" --files "$FILES" --seed 1 --out "$DATA" >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
RPORT=$(free_port); HPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" >/dev/null &
PIDS+=($!)
REDIS=redis://127.0.0.1:$RPORT/0
"$BIN" serve --redis "$REDIS" --listen "127.0.0.1:$HPORT" --loglevel error &
PIDS+=($!)
BASE=http://127.0.0.1:$HPORT
for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
curl -sf -X POST "$BASE/datasets/register" -d "{\"name\":\"ev\",\"basepath\":\"$DATA\",\"groupIdColumn\":\"userId\",\"timestampColumn\":\"timestamp\"}" >/dev/null

declare -A QUERIES=(
  [empty]='{}'
  [funnel3]='{"funnel":{"sequence":[{"filter":["eventType","==","pageview"]},{"filter":["eventType","==","addToCart"]},{"filter":["eventType","==","purchase"]}]}}'
  [conds3-or]='{"query":{"conditions":[{"filter":["eventType","==","purchase"],"target":["count",">=",2]},{"filter":["country","==","DE"],"target":["count",">=",3]},{"filter":["device","==","tablet"],"target":["count",">",5]}],"relation":"or","aggregations":[{"column":"browser","type":"groupsPerValue"}]}}'
)

echo "queue mode: $ROWS rows in $FILES files; $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); $(go version | cut -d' ' -f3); commit $(git rev-parse --short HEAD); $(date -u +%F)"
printf '%8s %10s %10s %10s %12s\n' workers query best_s median_s rows/s
WPIDS=()
for n in 1 2 4; do
  while [ "${#WPIDS[@]}" -lt "$n" ]; do
    "$BIN" worker --redis "$REDIS" --loglevel error &
    WPIDS+=($!); PIDS+=($!)
  done
  for q in empty funnel3 conds3-or; do
    curl -sf -X POST "$BASE/datasets/ev/query" -d "${QUERIES[$q]}" >/dev/null   # warm-up
    times=()
    for _ in $(seq "$REPS"); do
      t0=$(date +%s%N)
      curl -sf -X POST "$BASE/datasets/ev/query" -d "${QUERIES[$q]}" >"$WORK/out.json"
      t1=$(date +%s%N)
      grep -q '"success": *true' "$WORK/out.json" || { echo "query $q failed: $(cat "$WORK/out.json")"; exit 1; }
      times+=("$(( (t1 - t0) / 1000 ))")
    done
    sorted=($(printf '%s\n' "${times[@]}" | sort -n))
    best=${sorted[0]}; med=${sorted[$(( ${#sorted[@]} / 2 ))]}
    printf '%8d %10s %10.3f %10.3f %12.1fM\n' "$n" "$q" "$(echo "$best/1000000" | bc -l)" "$(echo "$med/1000000" | bc -l)" "$(echo "$ROWS/$best" | bc -l)"
  done
done
