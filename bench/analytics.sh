#!/usr/bin/env bash
# What analytics costs a search: queries/s and latency at 8 connections with
# analytics off, on into SQLite (one process, the default) and on into
# PostgreSQL (--analytics-url, what replicas share), side by side in one run
# (bench/http/throughput.sh: the same binary, alternating ROUNDS times, with
# nginx's floor), on the whole shared corpus, lexical, every search recorded.
#
#   bench/analytics.sh            # DURATION=10s ROUNDS=3; QUERIES=dev.jsonl
#   BASELINE=/tmp/kensaku-7976e44 bench/analytics.sh   # and an older binary, as it starts
#
# PostgreSQL: a server of this run's own (initdb under target/, as the
# postgres user when run as root), stopped at the end. Then the counts: every
# search served is recorded or counted as dropped.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
WORK=${WORK:-target/bench-analytics}
KENSAKU=${KENSAKU:-target/release/kensaku}
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
[ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL is needed: apt-get install postgresql" >&2; exit 1; }
mkdir -p "$WORK"
rm -rf "$WORK/pg"
mkdir -p "$WORK/pg/data" "$WORK/pg/socket"
as_pg=()
if [ "$(id -u)" = 0 ]; then
  chown -R postgres "$WORK/pg"
  chmod 755 "$WORK" "$(dirname "$WORK")"
  as_pg=(runuser -u postgres --)
fi
"${as_pg[@]}" "$PG_BIN/initdb" --auth=trust --username=kensaku -D "$PWD/$WORK/pg/data" > /dev/null
PG_PORT=5499
"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$PWD/$WORK/pg/data" -l "$PWD/$WORK/pg/log" -w \
  -o "-p $PG_PORT -k $PWD/$WORK/pg/socket -c listen_addresses=127.0.0.1" start > /dev/null
trap '"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$PWD/$WORK/pg/data" -m fast stop > /dev/null' EXIT
URL="postgres://kensaku@127.0.0.1:$PG_PORT/postgres"

# `off-again`: the same server as `off`, so that what the noise alone moves
# shows beside what analytics costs (the order turns by one each round).
SERVERS="${BASELINE:+old=$BASELINE }off=$KENSAKU sqlite=$KENSAKU postgres=$KENSAKU off-again=$KENSAKU" \
  FLAGS_off="--analytics off" FLAGS_off_again="--analytics off" FLAGS_postgres="--analytics-url $URL" \
  WORK="$WORK/http" KENSAKU="$KENSAKU" bash bench/http/throughput.sh


# What PostgreSQL itself spent (its processes' CPU, the exited backends'
# included through the postmaster's children times), against the time the
# postgres rounds were loaded: the database's share of the 2 cores.
pm=$(head -1 "$WORK/pg/data/postmaster.pid")
ticks=$(getconf CLK_TCK)
cpu=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")
for child in $(pgrep -P "$pm"); do
  # A backend may exit between pgrep and the read: it then counts in the
  # postmaster's children times instead.
  c=$(awk '{print $14 + $15}' "/proc/$child/stat" 2>/dev/null || true)
  cpu=$((cpu + ${c:-0}))
done
# The postgres arm's load: ROUNDS rounds of DURATION (s or m), after
# throughput.sh's 3 s warm-up.
duration=${DURATION:-10s}
case $duration in
  *m) seconds=$(( ${duration%m} * 60 )) ;;
  *s) seconds=${duration%s} ;;
  *) seconds=$duration ;;
esac
loaded=$(( ${ROUNDS:-3} * seconds + 3 ))
echo "PostgreSQL's processes: $(awk -v c="$cpu" -v t="$ticks" 'BEGIN { printf "%.2f", c / t }') CPU seconds over ${loaded} s of the postgres arm's load"
