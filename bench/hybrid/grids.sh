# Sourced by the relevance scripts: the grids of the held-out evaluations
# (`kensaku eval --folds 5 --grid`), one definition for every script.
# Lexical alone: the weights that matter most, each chosen on 4 folds
# (81 configurations), among them how much a locale's own words count for a
# query in another script against its translations' (`own_words_across_scripts`).
LEXICAL='['
for e in 0.5 0.75 1.0; do for t in 2 3 4; do for en in 0.2 0.3 0.5; do for o in 0 0.5 1; do
  LEXICAL+="{\"coverage_exponent\": $e, \"title\": $t, \"english\": $en, \"own_words_across_scripts\": $o, \"fusion\": {\"semantic_ratio\": 0}},"
done; done; done; done
LEXICAL="${LEXICAL%,}]"
# Hybrid: the weight of meaning, what a section adds to its article's
# similarity, the hub penalty with its neighbours (none, or 0.25 / 0.5 of
# the mean similarity to the 1 or 3 nearest articles), and how the default
# ratio leans to words as the best lexical match covers more of the query:
# off, or from coverage 0.3 / 0.5 / 0.7 down to 0.1 / 0.3 / 0.5 at full
# coverage; each chosen on 4 folds (240 configurations). Earlier runs' folds always chose
# convex fusion over z-score (RRF lost every comparison) and the English
# originals' vectors at twice a translation's own: those are fixed here.
# The own words' weight across scripts stays 0 (every fold chose it among 0
# and 0.5) and the coverage exponent the lexical default: ratio 0 must be
# the lexical ranking.
HYBRID='['
for r in 0.6 0.7 0.8; do for s in 0.3 1.0; do
  for hub in "0 3" "0.25 1" "0.25 3" "0.5 1"; do
    for adapt in "2.0 0.8" "0.3 0.1" "0.3 0.3" "0.3 0.5" "0.5 0.1" "0.5 0.3" "0.5 0.5" "0.7 0.1" "0.7 0.3" "0.7 0.5"; do
      set -- $hub $adapt
      HYBRID+="{\"own_words_across_scripts\": 0, \"fusion\": {\"method\": \"convex\", \"semantic_ratio\": $r, \"section_weight\": $s, \"originals\": 2, \"hub_penalty\": $1, \"hub_neighbours\": $2, \"covered_share\": $3, \"covered_ratio\": $4}},"
    done
  done
done; done
HYBRID="${HYBRID%,}]"
