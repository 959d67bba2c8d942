#!/bin/bash
# corpora.sh - one row per benchmark corpus (the real sites make testsites copies into SITES):
# pages (*.html, *.htm), assets (every other file), bytes, stylesheets, scripts, fonts. Dotfiles
# (which herald never serves, such as the python docs' .buildinfo) are not counted.
set -eu
. "$(dirname "$0")/lib/env.sh"
files() { (cd "$d" && find . -type f ! -path '*/.*' "$@"); }
printf '%-16s %7s %7s %12s %8s %8s %8s\n' site pages assets bytes css js fonts
for d in "$SITES"/*/; do
	pages=$(files \( -name '*.html' -o -name '*.htm' \) | wc -l)
	all=$(files | wc -l)
	bytes=$(files -printf '%s\n' | awk '{s+=$1} END {print s+0}')
	css=$(files -name '*.css' | wc -l)
	js=$(files \( -name '*.js' -o -name '*.mjs' \) | wc -l)
	fonts=$(files \( -name '*.woff' -o -name '*.woff2' -o -name '*.ttf' -o -name '*.eot' -o -name '*.otf' \) | wc -l)
	printf '%-16s %7d %7d %12d %8d %8d %8d\n' "$(basename "$d")" "$pages" $((all - pages)) "$bytes" "$css" "$js" "$fonts"
done
