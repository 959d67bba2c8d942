#!/bin/bash
# workload.sh SITE URL MIX_PAGES - print the mix workload, one URL per line: MIX_PAGES pages of SITE
# (every 10th page by path) and then, once each, their stylesheets (with @imports) and scripts
# (lib/page-assets.sh), each prefixed with URL (https://127.0.0.1:PORT). page-assets.sh forks a few
# processes per tag (a minute or more for 50 pages on a loaded machine), so the list is kept in
# $BENCH_DATA/workload and made again only when a file of SITE is newer than it.
set -eu
. "$(dirname "$0")/env.sh"
SITE=$(realpath "$1") U=$2 MIX_PAGES=$3
list=$BENCH_DATA/workload/$(echo "$SITE $MIX_PAGES" | sha256sum | cut -c1-16)
if [ ! -s "$list" ] || [ -n "$(find "$SITE" -newer "$list" -print -quit)" ]; then
	mkdir -p "$BENCH_DATA/workload"
	pages=$(cd "$SITE" && find . -name '*.html' | sed 's|^\.||' | sort | awk 'NR % 10 == 5' | head -n "$MIX_PAGES")
	{ echo "$pages"; for p in $pages; do "$BENCH/lib/page-assets.sh" "$SITE" "$p"; done | awk '!s[$0]++'; } >"$list.tmp"
	mv "$list.tmp" "$list"
fi
sed "s|^|$U|" "$list"
