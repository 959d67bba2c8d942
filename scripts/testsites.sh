#!/bin/sh
# testsites.sh DIR - copy the real sites the tests use into DIR, links resolved
# (the Debian doc folders hold symlinks to shared javascript): python and
# postgres docs from Debian, reveal.js and swagger-ui-dist from npm.
#
# The golden files were made from the versions in manifest/testdata/golden/VERSIONS:
# npm packages are packed at exactly those versions; a Debian package is the
# one installed, and its version is recorded when the site is copied. DIR/VERSIONS
# lists what DIR holds, in the same form; TestCorpusVersions compares the two.
set -eu
mkdir -p "$1"
dir=$(cd "$1" && pwd)
pins=$(cd "$(dirname "$0")/.." && pwd)/manifest/testdata/golden/VERSIONS
touch "$dir/VERSIONS"
# record PACKAGE VERSION: the version DIR's copy of PACKAGE came from.
record() {
	[ -n "$2" ] || { echo "testsites: no version for $1" >&2; exit 1; }
	grep -v "^$1 " "$dir/VERSIONS" >"$dir/VERSIONS.tmp" || true
	echo "$1 $2" >>"$dir/VERSIONS.tmp"
	sort "$dir/VERSIONS.tmp" >"$dir/VERSIONS" && rm "$dir/VERSIONS.tmp"
}
deb() { # deb SITE PACKAGE FOLDER
	if [ ! -d "$dir/$1" ]; then
		cp -rL "$3" "$dir/$1"
		record "$2" "$(dpkg-query -W -f='${Version}' "$2")"
	elif ! grep -q "^$2 " "$dir/VERSIONS"; then
		# copied before versions were recorded: from what is installed now
		record "$2" "$(dpkg-query -W -f='${Version}' "$2")"
	fi
}
deb python python3.11-doc /usr/share/doc/python3.11/html
deb postgres postgresql-doc-15 /usr/share/doc/postgresql-doc-15/html
for pkg in reveal.js swagger-ui-dist; do
	ver=$(awk -v p="$pkg" '$1 == p { print $2 }' "$pins")
	[ -n "$ver" ] || { echo "testsites: no version of $pkg in $pins" >&2; exit 1; }
	if [ -d "$dir/$pkg" ]; then
		grep -q "^$pkg " "$dir/VERSIONS" ||
			record "$pkg" "$(node -p "require('$dir/$pkg/package.json').version")"
		continue
	fi
	tmp=$(mktemp -d)
	tgz=$(cd "$tmp" && npm pack --silent "$pkg@$ver" | tail -1)
	mkdir -p "$dir/$pkg.tmp" && tar -xzf "$tmp/$tgz" -C "$dir/$pkg.tmp" --strip-components=1
	mv "$dir/$pkg.tmp" "$dir/$pkg"
	rm -rf "$tmp"
	record "$pkg" "$ver"
done

# Sites of other kinds, for the browser check (audit): a Sphinx theme with web
# fonts (GitPython's docs, Read the Docs theme), and from npm a landing page
# with a background hero, a blog theme, an admin template with an icon font
# and a Vite-built app; then, measured before any change was made for them,
# a Sphinx theme with an icon font (groonga's docs, PyData theme) and a
# framework's static export (ESLint's config inspector, made by Nuxt's
# generate: module preloads, prefetches, an import map). npmsite SITE
# PACKAGE FOLDER [SHA256] copies FOLDER of the pinned package's tarball
# ("." for all of it), after checking the tarball's sha256 when given.
deb gitpython python-git-doc /usr/share/doc/python-git-doc/html
deb groonga groonga-doc /usr/share/doc/groonga-doc/en/html
npmsite() {
	[ -d "$dir/$1" ] && return 0
	ver=$(awk -v p="$2" '$1 == p { print $2 }' "$pins")
	[ -n "$ver" ] || { echo "testsites: no version of $2 in $pins" >&2; exit 1; }
	tmp=$(mktemp -d)
	tgz=$(cd "$tmp" && npm pack --silent "$2@$ver" | tail -1)
	if [ -n "${4:-}" ] && ! echo "$4  $tmp/$tgz" | sha256sum -c --quiet -; then
		echo "testsites: $2@$ver is not the tarball the tests were made from (sha256 $4)" >&2
		exit 1
	fi
	mkdir -p "$tmp/x" && tar -xzf "$tmp/$tgz" -C "$tmp/x" --strip-components=1
	src=$tmp/x
	[ "$3" = . ] || src=$src/$3
	mv "$src" "$dir/$1.tmp"
	mv "$dir/$1.tmp" "$dir/$1"
	rm -rf "$tmp"
	record "$2" "$ver"
}
npmsite agency startbootstrap-agency dist
npmsite clean-blog startbootstrap-clean-blog dist
npmsite sb-admin-2 startbootstrap-sb-admin-2 .
npmsite vitest-ui @vitest/ui dist/client
npmsite config-inspector @eslint/config-inspector dist/public 233dd7e0e30d0e3fbee463de53bad8927624b4678194444e681eb305c5fff5ca

# Sites no change was made for, measured before any (README, "Checking in a
# browser"): Debian's documentation of other generators. The Rust book
# (mdBook), MkDocs' own docs, Node.js' API docs, jsoncpp's (Doxygen) and
# commons-lang3's (javadoc); and rustdoc's, a part of the standard library's:
# the shared files at the top, the implementors' scripts and two modules.
deb rust-book rust-doc /usr/share/doc/rust-doc/html/book
deb mkdocs mkdocs-doc /usr/share/doc/mkdocs/html
deb nodejs nodejs-doc /usr/share/doc/nodejs/api
deb jsoncpp libjsoncpp-doc /usr/share/doc/libjsoncpp-doc
deb commons-lang3 libcommons-lang3-java-doc /usr/share/doc/libcommons-lang3-java/api
if [ ! -d "$dir/rustdoc" ]; then
	src=/usr/share/doc/rust-doc/html
	mkdir -p "$dir/rustdoc.tmp/std"
	find "$src" -maxdepth 1 ! -type d -exec cp -L {} "$dir/rustdoc.tmp" \;
	cp -rL "$src/implementors" "$dir/rustdoc.tmp"
	cp -rL "$src/std/fmt" "$src/std/io" "$dir/rustdoc.tmp/std"
	mv "$dir/rustdoc.tmp" "$dir/rustdoc"
	record rust-doc "$(dpkg-query -W -f='${Version}' rust-doc)"
fi
