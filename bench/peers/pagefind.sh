#!/usr/bin/env bash
# kensaku and Pagefind side by side on the same built site: the shared corpus
# rendered by Hugo (bench/site/render-hugo.sh: 8 locales × 325 articles, a
# docs theme, hreflang), indexed by each (Pagefind 1.6's extended build, for
# CJK; kensaku --site, lexical), then the judged queries of dev.jsonl and
# dev2.jsonl asked of each — Pagefind through its own JavaScript bundle in
# Node (bench/peers/pagefind-query.mjs), both scored by `kensaku eval` (the
# same metrics; a TREC run for Pagefind).
#
#   bench/peers/pagefind.sh        # WORK=target/bench-pagefind
#
# Pagefind indexes the theme's <body> as it comes (its default: a site that
# does not mark data-pagefind-body gets its chrome indexed too; PAGEFIND_BODY=1
# renders the site with the article marked instead).
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED=${SHARED:-../shared}
WORK=${WORK:-target/bench-pagefind}
KENSAKU=${KENSAKU:-target/release/kensaku}
[ -x "$KENSAKU" ] || cargo build --release --locked
mkdir -p "$WORK"
if [ ! -x "$WORK/node_modules/@pagefind/linux-x64/bin/pagefind_extended" ]; then
  (cd "$WORK" && npm install --silent --no-audit --no-fund pagefind@1.6.0 > /dev/null)
fi
PAGEFIND=$WORK/node_modules/@pagefind/linux-x64/bin/pagefind_extended

echo "== render: Hugo"
bash bench/site/render-hugo.sh "$SHARED/corpus" "$WORK/site" | tail -1

echo "== index: ROUNDS rounds (4), the order swapped each round (wall seconds, /usr/bin/time)"
# Either tool runs slower right after the other (a 1 GB process just
# ended): each goes first in half the rounds.
pagefind_round() {
  rm -rf "$WORK/pagefind"
  /usr/bin/time -f "pagefind round $1: %e s, %M KB peak" \
    "$PAGEFIND" --site "$WORK/site" --output-path "$WORK/pagefind" > "$WORK/pagefind.log" 2>&1 \
    || { cat "$WORK/pagefind.log"; exit 1; }
  tail -1 "$WORK/pagefind.log"
}
kensaku_round() {
  rm -rf "$WORK/index"
  /usr/bin/time -f "kensaku round $1: %e s, %M KB peak" \
    "$KENSAKU" index --site "$WORK/site" --index-dir "$WORK/index" > /dev/null
}
for round in $(seq "${ROUNDS:-4}"); do
  if [ $((round % 2)) = 1 ]; then
    pagefind_round "$round"; kensaku_round "$round"
  else
    kensaku_round "$round"; pagefind_round "$round"
  fi
done

echo "== relevance (the same judged queries; MRR@10 per set, locale, style)"
for set in dev dev2; do
  node bench/peers/pagefind-query.mjs "$WORK/pagefind" all pagefind < "$SHARED/eval/$set.jsonl" > "$WORK/pagefind-$set.trec"
  echo "-- Pagefind, $set"
  "$KENSAKU" eval "$SHARED/eval/$set.jsonl" --run "$WORK/pagefind-$set.trec"
  echo "-- kensaku --site, $set"
  "$KENSAKU" eval --index-dir "$WORK/index" "$SHARED/eval/$set.jsonl"
done
