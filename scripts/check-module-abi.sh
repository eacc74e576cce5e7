#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-module-abi.sh LIB KIND
#
# Fails when a module that runs inside other processes exports anything
# beyond its entry points, or links anything beyond what KIND allows:
#   nss  exports _nss_prov_*   NEEDED libc.so.6 (and the dynamic loader)
#   pam  exports pam_sm_*      NEEDED libc.so.6, libpam.so.0
set -eu

usage() { echo "usage: $0 LIB nss|pam" >&2; exit 2; }
[ $# -eq 2 ] || usage
lib=$1
kind=$2
case $kind in
nss) export_re='^_nss_prov_'; needed_re='^(libc\.so\.6|ld-linux[-a-z0-9_.]*\.so\.[0-9]+)$' ;;
pam) export_re='^pam_sm_'; needed_re='^(libc\.so\.6|libpam\.so\.0|ld-linux[-a-z0-9_.]*\.so\.[0-9]+)$' ;;
*) usage ;;
esac
[ -f "$lib" ] || { echo "$0: $lib: no such file" >&2; exit 2; }

status=0

# Defined dynamic symbols, minus version-node definitions (type A, e.g.
# "PROV_1") which are not functions anyone can call.
exports=$(nm -D --defined-only "$lib" | awk '$2 != "A" { print $3 }') || {
	echo "$0: nm failed on $lib" >&2; exit 2; }
bad_exports=$(printf '%s\n' "$exports" | grep -Ev "$export_re" | grep -v '^$' || true)
if [ -n "$bad_exports" ]; then
	echo "$0: $lib exports symbols other than the $kind entry points:" >&2
	printf '  %s\n' $bad_exports >&2
	status=1
fi
if [ -z "$(printf '%s\n' "$exports" | grep -E "$export_re" || true)" ]; then
	echo "$0: $lib exports no $kind entry point at all" >&2
	status=1
fi

needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p') || {
	echo "$0: readelf failed on $lib" >&2; exit 2; }
bad_needed=$(printf '%s\n' "$needed" | grep -Ev "$needed_re" | grep -v '^$' || true)
if [ -n "$bad_needed" ]; then
	echo "$0: $lib links libraries a $kind module must not pull into its host process:" >&2
	printf '  %s\n' $bad_needed >&2
	status=1
fi
exit $status
