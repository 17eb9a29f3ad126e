#!/usr/bin/env bash
# What analytics costs a search: throughput and latency at 8 connections with
# analytics on (every search recorded) and off, side by side in one run, on
# the whole shared corpus (lexical; no embedder), alternating ROUNDS times.
#
#   bench/analytics.sh            # DURATION=10s ROUNDS=3
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
WORK=${WORK:-target/bench-analytics}
KENSAKU=${KENSAKU:-target/release/kensaku}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
. bench/common.sh
bench_requests "$SHARED/eval/dev.jsonl" "$SHARED/eval/dev2.jsonl" > "$WORK/requests.txt"
[ -d "$WORK/index" ] || "$KENSAKU" index --corpus "$SHARED/corpus" --index-dir "$WORK/index" > /dev/null
rm -rf "$WORK/analytics"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
"$KENSAKU" serve --addr 127.0.0.1:7811 --index-dir "$WORK/index" --rate-limit 0 \
  --analytics on --analytics-dir "$WORK/analytics" 2> "$WORK/on.log" & pids+=($!)
"$KENSAKU" serve --addr 127.0.0.1:7812 --index-dir "$WORK/index" --rate-limit 0 \
  --analytics off 2> "$WORK/off.log" & pids+=($!)
sleep 3
for port in 7811 7812; do  # warm up
  REQUESTS="$WORK/requests.txt" wrk -t 2 -c 8 -d 3s -s bench/http/requests.lua "http://127.0.0.1:$port" > /dev/null
done
printf '| run | analytics | wrk (requests.lua) |\n|---|---|---|\n'
for round in $(seq "$ROUNDS"); do
  for mode in on off; do
    port=$([ "$mode" = on ] && echo 7811 || echo 7812)
    result=$(REQUESTS="$WORK/requests.txt" wrk -t 2 -c 8 -d "$DURATION" -s bench/http/requests.lua "http://127.0.0.1:$port" | grep RESULT)
    printf '| %s | %s | %s |\n' "$round" "$mode" "${result#RESULT }"
  done
done
served=$(curl -s http://127.0.0.1:7811/metrics | awk '/^kensaku_http_requests_total.*route="\/search".*status="200"/ {s += $2} END {print s}')
recorded=$(curl -s http://127.0.0.1:7811/metrics | awk '/^kensaku_analytics_searches_recorded_total/ {print $2}')
dropped=$(curl -s http://127.0.0.1:7811/metrics | awk '/^kensaku_analytics_dropped_total/ {print $2}')
echo
echo "analytics on: $served searches served, $recorded recorded so far, $dropped dropped"
