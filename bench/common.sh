# Sourced by the HTTP bench scripts (from the repository's root, with SHARED,
# WORK and KENSAKU set): lindera's offline dictionaries, the release binary,
# wrk, the work folder.
if [ -d "$SHARED/lindera-cache" ]; then
  LINDERA_BUILD_DICTIONARY_CACHE_DIR="$(realpath "$SHARED/lindera-cache")"
  export LINDERA_BUILD_DICTIONARY_CACHE_DIR
fi
[ -x "$KENSAKU" ] || cargo build --release --locked
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
mkdir -p "$WORK"

# Prints the judged queries of the given .jsonl files as /search request
# paths (each with its locale), one per line, for bench/http/requests.lua.
bench_requests() {
  python3 - "$@" <<'PY'
import json, sys, urllib.parse
for path in sys.argv[1:]:
    for line in open(path):
        q = json.loads(line)
        print(f"/search?q={urllib.parse.quote(q['query'])}&locale={q['locale']}&limit=10")
PY
}
