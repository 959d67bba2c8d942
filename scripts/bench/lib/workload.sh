#!/bin/bash
# workload.sh SITE URL MIX_PAGES - print the mix workload, one URL per line: MIX_PAGES pages of SITE
# (every 10th page by path) and then, once each, their stylesheets (with @imports) and scripts
# (lib/page-assets.sh), each prefixed with URL (https://127.0.0.1:PORT).
set -eu
lib=$(dirname "$0")
SITE=$1 U=$2 MIX_PAGES=$3
pages=$(cd "$SITE" && find . -name '*.html' | sed 's|^\.||' | sort | awk 'NR % 10 == 5' | head -n "$MIX_PAGES")
{ echo "$pages"; for p in $pages; do "$lib/page-assets.sh" "$SITE" "$p"; done | awk '!s[$0]++'; } | sed "s|^|$U|"
