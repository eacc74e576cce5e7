#!/bin/bash
# Builds the prov .deb with debhelper from packaging/debian.
#
#   scripts/build-deb.sh [-o OUTDIR] [--force] [--lintian]
#
# dpkg-buildpackage wants debian/ at the root of the source tree, and the
# repository keeps it in packaging/debian (next to rpm/, ansible/ ...). So
# this copies the working tree (without .git and build directories) to a
# temporary directory, puts packaging/debian there as debian/, runs
# `dpkg-buildpackage -b -us -uc`, and moves the .deb (and .buildinfo,
# .changes) to OUTDIR (default: dist/ in the source tree).
#
# The copy is hashed; if OUTDIR already holds a .deb built from identical
# sources it is reused (several tests need the same package), unless
# --force. --lintian runs lintian on the result and fails on an error.
# Needs: build-essential debhelper dh-nss cmake pkg-config scdoc sudo and the
# -dev packages of debian/control (scripts/install-deps.sh --package).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=$SRC/dist
FORCE=0
LINTIAN=0
while [ $# -gt 0 ]; do
	case "$1" in
	-o) OUT=$2; shift 2 ;;
	--force) FORCE=1; shift ;;
	--lintian) LINTIAN=1; shift ;;
	*) echo "usage: $0 [-o OUTDIR] [--force] [--lintian]" >&2; exit 2 ;;
	esac
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# Tests that run at once share OUTDIR: one builds, the others wait and reuse.
exec 9>"$OUT/.build-deb.lock"
flock 9

WORK=$(mktemp -d /tmp/prov-deb.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

version=$(dpkg-parsechangelog -l "$SRC/packaging/debian/changelog" -S Version)
tree=$WORK/prov-$version
mkdir -p "$tree"
# Deterministic tar, so the hash changes only when a file does.
tar -C "$SRC" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
	--exclude=./.git --exclude='./build' --exclude='./build-*' --exclude=./dist \
	--exclude=./debian -cf "$WORK/src.tar" .
hash=$( (sha256sum <"$WORK/src.tar"; echo "DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-}") | sha256sum | cut -d' ' -f1)
arch=$(dpkg --print-architecture)
deb=$OUT/prov_${version}_${arch}.deb

if [ $FORCE = 0 ] && [ -f "$deb" ] && [ "$(cat "$OUT/.prov-src-sha256" 2>/dev/null)" = "$hash" ]; then
	echo "build-deb: $deb is up to date"
else
	# -m: files get the time of extraction, not the hash-friendly epoch 0
	# (lintian: package-contains-ancient-file).
	tar -C "$tree" -m -xf "$WORK/src.tar"
	cp -a "$SRC/packaging/debian" "$tree/debian"
	echo "build-deb: building in $tree"
	(cd "$tree" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
		dpkg-buildpackage -b -us -uc) >"$WORK/build.log" 2>&1 || {
		tail -n 80 "$WORK/build.log" >&2
		echo "build-deb: dpkg-buildpackage failed (last 80 lines above)" >&2
		exit 1
	}
	rm -f "$OUT"/prov_*.deb "$OUT"/prov_*.buildinfo "$OUT"/prov_*.changes "$OUT"/prov-dbgsym_*.deb
	mv "$WORK"/prov_"$version"_*.deb "$WORK"/prov_"$version"_*.buildinfo \
		"$WORK"/prov_"$version"_*.changes "$OUT"/
	mv "$WORK"/prov-dbgsym_*.deb "$OUT"/ 2>/dev/null || true
	# The central side's own binary package (issue 13).
	rm -f "$OUT"/prov-publish_*.deb "$OUT"/prov-publish-dbgsym_*.deb
	mv "$WORK"/prov-publish_*.deb "$OUT"/
	mv "$WORK"/prov-publish-dbgsym_*.deb "$OUT"/ 2>/dev/null || true
	echo "$hash" >"$OUT/.prov-src-sha256"
	echo "build-deb: built $deb"
fi

if [ $LINTIAN = 1 ]; then
	# Errors fail the build; warnings are shown. Overrides, with reasons, are
	# in packaging/debian/prov.lintian-overrides.
	lintian --fail-on error --display-info "$deb"
	lintian --fail-on error --display-info "$OUT"/prov-publish_"$version"_*.deb
fi
