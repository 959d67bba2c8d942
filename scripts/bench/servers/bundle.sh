#!/bin/bash
# bundle.sh DIR PORT [CERT KEY] - serves the bundle BUNDLE (made by herald bundle from DIR) over
# HTTP/2 + TLS; used by scripts/bench-bundle.sh.
. "$(dirname "$0")/common.sh"
: "${BUNDLE:?set BUNDLE to the executable made by herald bundle}"
start "$BUNDLE" --addr "127.0.0.1:$PORT" --cert "$CERT" --key "$KEY"
