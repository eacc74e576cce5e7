#!/bin/bash
# Builds the prov binary RPM from packaging/rpm/prov.spec.
#
#   scripts/build-rpm.sh [-o OUTDIR]
#
# Makes the source tarball prov-VERSION.tar.gz from the working tree
# (without .git and build directories), then runs rpmbuild -bb in a
# temporary _topdir and copies the .rpm to OUTDIR (default: dist/ in the
# source tree).
#
# On Debian (CI), rpm's database knows none of the BuildRequires (they are
# Debian packages there: cmake, libjson-c-dev, ...), so rpmbuild runs with
# --nodeps and the build uses the Debian toolchain and libraries: the
# result proves that the spec, its %%install and %%files are right, not
# that the binaries run on RHEL (build it in a RHEL/Fedora container for
# that: the same command works there, without --nodeps). Debian's rpm
# lacks find-debuginfo, so no debuginfo package is made there.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=$SRC/dist
while [ $# -gt 0 ]; do
	case "$1" in
	-o) OUT=$2; shift 2 ;;
	*) echo "usage: $0 [-o OUTDIR]" >&2; exit 2 ;;
	esac
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

spec=$SRC/packaging/rpm/prov.spec
version=$(sed -n 's/^Version:[[:space:]]*//p' "$spec")
WORK=$(mktemp -d /tmp/prov-rpm.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK"/{SOURCES,SPECS,BUILD,RPMS,SRPMS,BUILDROOT}

tar -C "$SRC" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
	--exclude=./.git --exclude='./build' --exclude='./build-*' --exclude=./dist \
	--exclude=./debian --transform "s,^\\.,prov-$version," \
	-czf "$WORK/SOURCES/prov-$version.tar.gz" .
cp "$spec" "$WORK/SPECS/"

args=(-bb --define "_topdir $WORK")
if [ -r /etc/debian_version ]; then
	args+=(--nodeps --define 'debug_package %{nil}')
fi
if ! rpmbuild "${args[@]}" "$WORK/SPECS/prov.spec" >"$WORK/rpmbuild.log" 2>&1; then
	tail -n 60 "$WORK/rpmbuild.log" >&2
	echo "build-rpm: rpmbuild failed (last 60 lines above)" >&2
	exit 1
fi
find "$WORK/RPMS" -name '*.rpm' -exec cp {} "$OUT"/ \;
find "$OUT" -maxdepth 1 -name "prov-$version-*.rpm" -newer "$WORK/SPECS/prov.spec" -print
