#!/bin/sh
# testsites.sh DIR - copy the real sites the tests use into DIR, links resolved
# (the Debian doc folders hold symlinks to shared javascript): python and
# postgres docs from Debian, reveal.js and swagger-ui-dist from npm.
set -eu
dir=$1
mkdir -p "$dir"
[ -d "$dir/python" ] || cp -rL /usr/share/doc/python3.11/html "$dir/python"
[ -d "$dir/postgres" ] || cp -rL /usr/share/doc/postgresql-doc-15/html "$dir/postgres"
for pkg in reveal.js swagger-ui-dist; do
	[ -d "$dir/$pkg" ] && continue
	tmp=$(mktemp -d)
	tgz=$(cd "$tmp" && npm pack --silent "$pkg" | tail -1)
	mkdir -p "$dir/$pkg.tmp" && tar -xzf "$tmp/$tgz" -C "$dir/$pkg.tmp" --strip-components=1
	mv "$dir/$pkg.tmp" "$dir/$pkg"
	rm -rf "$tmp"
done
