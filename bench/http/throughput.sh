#!/usr/bin/env bash
# Queries/s and latency of `kensaku serve` under load, side by side: several
# binaries (old and new code, or one binary with different flags), each
# against the same index, alternating ROUNDS times in one run, with nginx
# serving one saved search response as the machine's floor in the same run.
#
#   bench/http/throughput.sh                           # target/release/kensaku, analytics on
#   SERVERS="old=/tmp/kensaku-old new=target/release/kensaku" bench/http/throughput.sh
#   SERVERS="on=target/release/kensaku off=target/release/kensaku" \
#     FLAGS_off="--analytics off" bench/http/throughput.sh
#
# Each binary serves an index it built itself. Each server runs as `serve`
# starts by default (analytics on, into a folder of its own, or
# ANALYTICS_DIR_<name>) unless FLAGS_<name> says otherwise. Load: wrk,
# CONNECTIONS connections (8), the judged queries of QUERIES (dev.jsonl: 160
# lines, 8 locales mixed), each with its locale. The servers' order turns by one each
# round. Printed: a row per server and round, then each server's RSS after
# the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED=${SHARED:-../shared}
WORK=${WORK:-target/bench-throughput}
KENSAKU=${KENSAKU:-target/release/kensaku}
SERVERS=${SERVERS:-"kensaku=$KENSAKU"}
QUERIES=${QUERIES:-$SHARED/eval/dev.jsonl}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-8}
. bench/common.sh
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "nginx is needed: apt-get install nginx" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

bench_requests $QUERIES > "$WORK/requests.txt"

pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  [ -f "$WORK/nginx/nginx.pid" ] && kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT

port=7830
names=()
declare -A ports
for spec in $SERVERS; do
  name=${spec%%=*}; binary=${spec#*=}
  flags_var="FLAGS_${name//-/_}"; flags=${!flags_var:-}
  dir_var="ANALYTICS_DIR_${name//-/_}"; analytics_dir=${!dir_var:-$WORK/analytics-$name}
  rm -rf "$analytics_dir"
  # Each binary reads an index it built (index formats change between versions).
  index="$WORK/index-$(sha256sum "$binary" | cut -c1-12)"
  [ -d "$index" ] || "$binary" index --corpus "$SHARED/corpus" --index-dir "$index" > /dev/null
  # (Code from before analytics has no --analytics-dir.)
  analytics=$("$binary" serve --help | grep -q -- --analytics-dir && echo "--analytics-dir $analytics_dir" || true)
  # shellcheck disable=SC2086
  "$binary" serve --addr "127.0.0.1:$port" --index-dir "$index" --rate-limit 0 \
    $analytics $flags 2> "$WORK/$name.log" &
  pids+=($!)
  names+=("$name"); ports[$name]=$port; port=$((port + 1))
done

# The floor: nginx answering every request with one saved search response.
floor_port=$port
mkdir -p "$WORK/nginx"
sleep 2
curl -sf "http://127.0.0.1:${ports[${names[0]}]}$(head -1 "$WORK/requests.txt")" > "$WORK/nginx/response.json"
user_line=$([ "$(id -u)" = 0 ] && echo "user root;" || true)
cat > "$WORK/nginx/nginx.conf" <<CONF
$user_line
worker_processes 1;
pid $PWD/$WORK/nginx/nginx.pid;
error_log $PWD/$WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $PWD/$WORK/nginx/body;
  proxy_temp_path $PWD/$WORK/nginx/proxy;
  fastcgi_temp_path $PWD/$WORK/nginx/fastcgi;
  uwsgi_temp_path $PWD/$WORK/nginx/uwsgi;
  scgi_temp_path $PWD/$WORK/nginx/scgi;
  server {
    listen 127.0.0.1:$floor_port;
    root $PWD/$WORK/nginx;
    location / { default_type application/json; rewrite ^ /response.json break; }
  }
}
CONF
"$NGINX" -p "$PWD/$WORK/nginx" -c "$PWD/$WORK/nginx/nginx.conf"
sleep 0.5

run() {  # port → the RESULT line's fields
  REQUESTS="$WORK/requests.txt" wrk -t 2 -c "$CONNECTIONS" -d "$1" -s bench/http/requests.lua "http://127.0.0.1:$2" \
    | grep RESULT | sed 's/^RESULT //'
}
for name in "${names[@]}"; do run 3s "${ports[$name]}" > /dev/null; done  # warm up
printf '| round | server | queries/s | %% of floor | p50 ms | p99 ms | errors |\n|---|---|---|---|---|---|---|\n'
for round in $(seq "$ROUNDS"); do
  floor=$(run "$DURATION" "$floor_port")
  floor_rps=$(echo "$floor" | sed 's/.*rps=\([0-9.]*\).*/\1/')
  printf '| %s | nginx floor | %s | 100 | %s | %s | %s |\n' "$round" "$floor_rps" \
    "$(echo "$floor" | sed 's/.*p50_ms=\([0-9.]*\).*/\1/')" "$(echo "$floor" | sed 's/.*p99_ms=\([0-9.]*\).*/\1/')" \
    "$(echo "$floor" | sed 's/.*errors=\([0-9]*\).*/\1/')"
  # Each round starts one server later, so that no server always runs
  # first after nginx (the position alone moved a server by up to 10 %).
  n=${#names[@]}
  for k in $(seq 0 $((n - 1))); do
    name=${names[$(( (k + round - 1) % n ))]}
    r=$(run "$DURATION" "${ports[$name]}")
    rps=$(echo "$r" | sed 's/.*rps=\([0-9.]*\).*/\1/')
    printf '| %s | %s | %s | %.2f | %s | %s | %s |\n' "$round" "$name" "$rps" \
      "$(echo "$rps $floor_rps" | awk '{print 100 * $1 / $2}')" \
      "$(echo "$r" | sed 's/.*p50_ms=\([0-9.]*\).*/\1/')" "$(echo "$r" | sed 's/.*p99_ms=\([0-9.]*\).*/\1/')" \
      "$(echo "$r" | sed 's/.*errors=\([0-9]*\).*/\1/')"
  done
done
echo
i=0
for name in "${names[@]}"; do
  rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/${pids[$i]}/status")
  metrics=$(curl -s "http://127.0.0.1:${ports[$name]}/metrics")
  served=$(echo "$metrics" | awk '/^kensaku_http_requests_total.*route="\/search".*status="200"/ {s += $2} END {print s + 0}')
  line="$name: RSS after the run $rss MiB; $served searches served"
  if echo "$metrics" | grep -q '^kensaku_analytics_searches_recorded_total'; then
    sleep 2  # the writer's last batch
    metrics=$(curl -s "http://127.0.0.1:${ports[$name]}/metrics")
    value() { echo "$metrics" | awk -v m="$1" '$1 == m {print $2}'; }
    line="$line, $(value kensaku_analytics_searches_recorded_total) recorded, $(value kensaku_analytics_dropped_total) dropped, $(value kensaku_analytics_pending) pending"
  fi
  # CPU the process spent in the whole run, and its analytics writer's share.
  ticks=$(getconf CLK_TCK)
  cpu=$(awk '{print $14 + $15}' "/proc/${pids[$i]}/stat")
  writer=0
  for task in /proc/"${pids[$i]}"/task/*; do
    [ "$(cat "$task/comm")" = kensaku-analyti ] && writer=$(awk '{print $14 + $15}' "$task/stat")
  done
  line="$line; CPU $(awk -v c="$cpu" -v t="$ticks" 'BEGIN { printf "%.1f", c / t }') s, of which the analytics writer $(awk -v c="$writer" -v t="$ticks" 'BEGIN { printf "%.2f", c / t }') s"
  echo "$line"
  i=$((i + 1))
done
