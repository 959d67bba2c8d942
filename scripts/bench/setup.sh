#!/bin/bash
# setup.sh - install and build what the bench scripts use; idempotent, quick when all is there.
#   apt (as root, else with sudo), when missing: nginx h2o caddy nghttp2-client (h2load, nghttp)
#   python3-h2 (push/critical.py) openssl time (lib/abtime.sh) util-linux (taskset);
#   the Go tools of cmd/ (floor, gofs, delayproxy) and herald into $BENCH_DATA/bin;
#   a self-signed ECDSA certificate for 127.0.0.1/localhost in $BENCH_DATA/tls.
# The corpora are the sites make testsites copies into .cache/sites (SITES); setup only checks them.
set -eu
. "$(dirname "$0")/lib/env.sh"
pkgs="nginx h2o caddy nghttp2-client python3-h2 openssl time util-linux"
need="" SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
	echo "bench setup: installing$need" >&2
	$SUDO apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $need >/dev/null
fi
mkdir -p "$BENCH_DATA/bin" "$BENCH_DATA/tls" "$BENCH_DATA/run" "$BENCH_DATA/results"
# go build is quick when nothing changed; herald is rebuilt so that every run measures the tree.
(cd "$TOP" && for t in floor gofs delayproxy; do go build -o "$BENCH_DATA/bin/$t" "./scripts/bench/cmd/$t"; done &&
	go build -tags urfave_cli_no_docs -o "$BENCH_DATA/bin/herald" ./cmd/herald)
[ -f "$BENCH_DATA/tls/cert.pem" ] ||
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 -subj /CN=localhost \
		-addext 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1' \
		-keyout "$BENCH_DATA/tls/key.pem" -out "$BENCH_DATA/tls/cert.pem" 2>/dev/null
[ -d "$SITES/python" ] || { echo "bench setup: no corpora in $SITES: run make testsites" >&2; exit 2; }
