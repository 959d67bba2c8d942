#!/bin/sh
# testdeps.sh - install what the tests run against, when missing: Debian's
# documentation sites, a push-capable HTTP/2 client (nghttp), a browser
# (chromium), and the web servers the exports are checked with.
set -eu
# The doc packages' shared scripts, styles and fonts (libjs-*, fonts-*) are
# their dependencies, so they come with them: testsites.sh copies through
# their symlinks.
pkgs="python3.11-doc postgresql-doc-15 python-git-doc groonga-doc rust-doc mkdocs-doc nodejs-doc libjsoncpp-doc libcommons-lang3-java-doc nghttp2-client chromium nginx apache2 h2o caddy libnss3-tools"
need=""; SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
	echo "testdeps: installing$need"
	$SUDO apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $need >/dev/null
fi
command -v npm >/dev/null || {
	echo "testdeps: installing npm"
	[ -n "$need" ] || $SUDO apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q npm >/dev/null
}
# Pebble, Let's Encrypt's test ACME server, and its mock DNS server: the
# ACME tests start them (go install ships no certificates; the tests make
# those).
for p in pebble pebble-challtestsrv; do
	command -v "$p" >/dev/null || [ -x "$(go env GOPATH)/bin/$p" ] || {
		echo "testdeps: installing $p"
		go install "github.com/letsencrypt/pebble/v2/cmd/$p@v2.10.3"
	}
done
