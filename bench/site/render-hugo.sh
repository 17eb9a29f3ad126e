#!/usr/bin/env bash
# Renders a Microsoft-Docs-style markdown corpus (SRC/<locale>/<path>.md: the
# shared corpus, the demo corpus) into a multilingual static site with Hugo, a
# real generator as a docs team would run it: every locale under /<locale>/,
# pretty URLs (/<locale>/<path>/index.html), translations linked by hreflang,
# a docs theme's chrome (header, navigation, sidebar, breadcrumbs, page table
# of contents, feedback, footer) around an <article>.
#
#   bench/site/render-hugo.sh ../shared/corpus target/site/hugo
#
# DocFX syntax Hugo does not know is turned into the HTML DocFX would write
# first (hugo/docfx-compat.pl: callouts, images, no-loc; headings keep their
# <a name> anchors); `index.md` becomes `_index.md` (else Hugo makes its
# folder a bundle and drops the pages beside it). Every source article must
# come out as a page: the script checks, and fails if one is missing.
#
#   HUGO=/usr/bin/hugo
#   STRIP_H1=auto       the template writes the title as <h1>: the article's own H1 is dropped
#                       when it says the same, kept when it says more (1: always dropped, 0: kept)
#   BASE_URL=https://docs.example.org/  where the site is served (canonical links, sitemaps)
#   PAGEFIND_BODY=1     mark <article> data-pagefind-body (Pagefind then skips the chrome)
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 SRC OUT" >&2; exit 2; }
SRC=$(cd "$1" && pwd); OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd); SKEL=$HERE/hugo
HUGO=${HUGO:-hugo}; STRIP_H1=${STRIP_H1:-auto}; PAGEFIND_BODY=${PAGEFIND_BODY:-0}
command -v "$HUGO" >/dev/null || { echo "hugo is needed: apt-get install hugo" >&2; exit 1; }
LOCALES=$(cd "$SRC" && for d in */; do d=${d%/}; [[ "$d" =~ ^[a-z]{2,3}(-[a-z0-9]+)*$ ]] && echo "$d"; done)
[ -n "$LOCALES" ] || { echo "no locale folders in $SRC" >&2; exit 1; }
FIRST=$(echo "$LOCALES" | grep -x en-us || echo "$LOCALES" | head -1)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/render-hugo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp -r "$SKEL/layouts" "$SKEL/i18n" "$WORK/"
{
  cat <<TOML
baseURL = "${BASE_URL:-https://docs.example.org/}"
title = "Documentation"
defaultContentLanguage = "$FIRST"
defaultContentLanguageInSubdir = true
disablePathToLower = true
pluralizeListTitles = false
disableKinds = ["taxonomy", "term", "RSS", "404"]
enableRobotsTXT = false
timeout = "120s"

[params]
pagefindBody = $([ "$PAGEFIND_BODY" = 1 ] && echo true || echo false)

[markup.goldmark.renderer]
unsafe = true
[markup.goldmark.parser]
autoHeadingID = true
autoHeadingIDType = "github"
[markup.tableOfContents]
startLevel = 2
endLevel = 3
TOML
  weight=1
  for loc in $LOCALES; do
    code=$(echo "$loc" | awk -F- '{ printf "%s", $1; for (i = 2; i <= NF; i++) printf "-%s", toupper($i) }')
    printf '\n[languages.%s]\nlanguageCode = "%s"\nlanguageName = "%s"\ncontentDir = "content/%s"\nweight = %d\n' \
      "$loc" "$code" "$loc" "$loc" "$weight"
    weight=$((weight + 1))
    [ -f "$WORK/i18n/$loc.toml" ] || cp "$WORK/i18n/en-us.toml" "$WORK/i18n/$loc.toml"
  done
} > "$WORK/hugo.toml"

for loc in $LOCALES; do
  (cd "$SRC/$loc" && find . -type f -name '*.md' ! -iname 'TOC.md' ! -iname 'README.md') | sed 's#^\./##' |
  while IFS= read -r rel; do
    dst=$WORK/content/$loc/$rel
    case "$(basename "$rel")" in index.md) dst=$(dirname "$dst")/_index.md;; esac
    mkdir -p "$(dirname "$dst")"
    printf '%s\t%s\t%s\n' "$loc" "$SRC/$loc/$rel" "$dst"
  done
done > "$WORK/jobs.tsv"
perl "$SKEL/docfx-compat.pl" "$STRIP_H1" < "$WORK/jobs.tsv"

mkdir -p "$OUT"
if ! "$HUGO" --source "$WORK" --destination "$(cd "$OUT" && pwd)" --cleanDestinationDir --gc \
     > "$WORK/hugo.log" 2>&1; then
  cat "$WORK/hugo.log" >&2; echo "hugo failed" >&2; exit 1
fi

missing=0
for loc in $LOCALES; do
  while IFS= read -r rel; do
    case "$rel" in */index.md|index.md) p=$(dirname "$rel");; *) p=${rel%.md};; esac
    [ "$p" = . ] && p=""
    if [ ! -f "$OUT/$loc/${p:+$p/}index.html" ]; then missing=$((missing + 1)); echo "MISSING $loc/$rel" >&2; fi
  done < <(cd "$SRC/$loc" && find . -type f -name '*.md' ! -iname 'TOC.md' ! -iname 'README.md' | sed 's#^\./##')
done
echo "rendered $(echo $LOCALES | wc -w) locales, $(find "$OUT" -name '*.html' | wc -l) pages into $OUT ($missing articles missing)"
exit $(( missing > 0 ))
