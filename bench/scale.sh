#!/usr/bin/env bash
# Cost curve of kensaku at 1x, 10x and 50x the shared corpus: index build
# (wall, CPU, peak RSS, size on disk) and serving (ready time, RSS, HTTP
# latency and throughput over the dev queries).
#
#   bench/scale.sh                 # 1 10 50
#   SCALES="1 10" bench/scale.sh
#
# A corpus of N x is N hard-linked copies of every locale folder of the
# shared corpus, each under its own folder (`ja-jp/c7/partner-center/...`),
# so that every copy is a distinct article id with the same text: posting
# lists grow N-fold, the vocabulary does not. Corpora are made in $WORK
# (hard links: no extra disk for the markdown) and removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
WORK=${WORK:-target/scale}
KENSAKU=${KENSAKU:-target/release/kensaku}
SCALES=${SCALES:-1 10 50}
DURATION=${DURATION:-10s}
PORT=${PORT:-7793}

. bench/common.sh
bench_requests "$SHARED/eval/dev.jsonl" > "$WORK/requests.txt"

server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$WORK"/corpus-*' EXIT

printf '| scale | documents | markdown | index wall | CPU (user+sys) | peak RSS | index size | serve ready | serving RSS | c=1 p50 / p99 | c=8 queries/s, p99 |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
for n in $SCALES; do
  corpus="$WORK/corpus-$n"
  index="$WORK/index-$n"
  rm -rf "$corpus" "$index"
  for dir in "$SHARED"/corpus/*/; do
    locale=$(basename "$dir")
    for ((k = 0; k < n; k++)); do
      mkdir -p "$corpus/$locale"
      cp -al "$dir" "$corpus/$locale/c$k"
    done
  done
  markdown=$(find "$corpus" -type f -printf '%s\n' | awk '{s += $1} END {printf "%.0f MB", s / 1e6}')

  /usr/bin/time -f '%e %U %S %M' -o "$WORK/time-$n" \
    "$KENSAKU" index --corpus "$corpus" --index-dir "$index" --json > "$WORK/report-$n.json"
  read -r wall user sys rss_kb < "$WORK/time-$n"
  documents=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sum(l["documents"] for l in r["locales"].values()))' "$WORK/report-$n.json")
  size=$(du -sb "$index" | awk '{printf "%.0f MB", $1 / 1e6}')
  rm -rf "$corpus"

  start=$(date +%s.%N)
  KENSAKU_LOG=warn "$KENSAKU" serve --index-dir "$index" --addr "127.0.0.1:$PORT" --rate-limit 0 \
    --reload-interval 0 > "$WORK/serve-$n.log" 2>&1 &
  server=$!
  until curl -sf "http://127.0.0.1:$PORT/ready" > /dev/null; do sleep 0.005; done
  ready=$(echo "$(date +%s.%N) - $start" | bc)
  one=$(REQUESTS="$WORK/requests.txt" wrk -t 1 -c 1 -d "$DURATION" -s bench/http/requests.lua "http://127.0.0.1:$PORT" | grep RESULT)
  eight=$(REQUESTS="$WORK/requests.txt" wrk -t 2 -c 8 -d "$DURATION" -s bench/http/requests.lua "http://127.0.0.1:$PORT" | grep RESULT)
  serving_rss=$(awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$server/status")
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< "$2"; }
  for run in "$one" "$eight"; do
    [ "$(field errors "$run")" = 0 ] || { echo "errors under load: $run" >&2; exit 1; }
  done
  printf '| %sx | %s | %s | %.2f s | %.2f s | %.0f MiB | %s | %.2f s | %s | %s / %s ms | %.0f, %s ms |\n' \
    "$n" "$documents" "$markdown" "$wall" "$(echo "$user + $sys" | bc)" "$(echo "$rss_kb / 1024" | bc)" \
    "$size" "$ready" "$serving_rss" "$(field p50_ms "$one")" "$(field p99_ms "$one")" \
    "$(field rps "$eight")" "$(field p99_ms "$eight")"
  rm -rf "$index"
done
