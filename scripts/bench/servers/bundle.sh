#!/bin/bash
# bundle-server.sh DIR PORT [CERT KEY] - a server script for ../shared/bench (its servers/common.sh
# contract): serves the bundle BUNDLE (made by herald bundle from DIR) over HTTP/2 + TLS.
. "$(cd "$(dirname "$0")/../.." && pwd)/../shared/bench/servers/common.sh"
: "${BUNDLE:?set BUNDLE to the executable made by herald bundle}"
start "$BUNDLE" --addr "127.0.0.1:$PORT" --cert "$CERT" --key "$KEY"
