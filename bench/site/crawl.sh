#!/usr/bin/env bash
# How fast kensaku crawls a docs site: the shared corpus rendered by Hugo
# (bench/site/render-hugo.sh, 8 locales × 325 pages, served by nginx on
# loopback), crawled from its home page at --crawl-concurrency 8 into a fresh
# index, then crawled again unchanged (every page asked with its validators:
# one 304 each). Prints the pages/s of the first crawl and the recrawl's time
# as a fraction of it, ROUNDS times (each round a fresh index).
#
#   bench/site/crawl.sh            # ROUNDS=3 CONCURRENCY=8
#
# The wall time is kensaku's whole `index` command: the crawl, the parse of
# every page, tokenization and the tantivy commit (on the recrawl: 304s, and
# the builder finding nothing changed).
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED=${SHARED:-../shared}
WORK=${WORK:-target/bench-crawl}
KENSAKU=${KENSAKU:-target/release/kensaku}
ROUNDS=${ROUNDS:-3}
CONCURRENCY=${CONCURRENCY:-8}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[ -x "$NGINX" ] || { echo "nginx is needed: apt-get install nginx" >&2; exit 1; }
if [ -d "$SHARED/lindera-cache" ]; then
  LINDERA_BUILD_DICTIONARY_CACHE_DIR="$(realpath "$SHARED/lindera-cache")"
  export LINDERA_BUILD_DICTIONARY_CACHE_DIR
fi
[ -x "$KENSAKU" ] || cargo build --release --locked
PORT=${PORT:-18431}
BASE="http://127.0.0.1:$PORT/"
rm -rf "$WORK"
mkdir -p "$WORK/nginx"
WORK=$(cd "$WORK" && pwd)
BASE_URL=$BASE bash bench/site/render-hugo.sh "$SHARED/corpus" "$WORK/site" > /dev/null
pages=$(find "$WORK/site" -name '*.html' | wc -l)

user=""; [ "$(id -u)" = 0 ] && user="user root;"
cat > "$WORK/nginx/nginx.conf" <<CONF
$user
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  log_format brief '\$status';
  access_log $WORK/nginx/access.log brief;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  server { listen 127.0.0.1:$PORT; root $WORK/site; }
}
CONF
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
trap '"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -s stop' EXIT
for _ in $(seq 50); do curl -sf -o /dev/null "$BASE" && break; sleep 0.1; done

# Seconds of one `kensaku index --crawl` into $1; the access log's status
# counts are left in $WORK/statuses.
crawl() {
  : > "$WORK/nginx/access.log"
  local start end
  start=$(date +%s.%N)
  "$KENSAKU" index --index-dir "$1" --crawl "$BASE" \
    --crawl-concurrency "$CONCURRENCY" --crawl-max-pages 100000 --json > "$WORK/report.json"
  end=$(date +%s.%N)
  sort "$WORK/nginx/access.log" | uniq -c | awk '{printf "%s×%s ", $1, $2}' > "$WORK/statuses"
  echo "$end - $start" | bc -l
}

echo "site: $pages pages (Hugo), served by nginx at $BASE; concurrency $CONCURRENCY"
for round in $(seq "$ROUNDS"); do
  rm -rf "$WORK/index"
  first=$(crawl "$WORK/index"); first_statuses=$(cat "$WORK/statuses")
  again=$(crawl "$WORK/index"); again_statuses=$(cat "$WORK/statuses")
  printf 'round %d: crawl %.2f s (%.0f pages/s; %s) · recrawl %.2f s (%.2f of the crawl; %s)\n' \
    "$round" "$first" "$(echo "$pages / $first" | bc -l)" "$first_statuses" \
    "$again" "$(echo "$again / $first" | bc -l)" "$again_statuses"
done
