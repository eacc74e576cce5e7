#!/bin/bash
# The RPM spec builds with rpmbuild (scripts/build-rpm.sh; on Debian with
# --nodeps, see there), and the package holds every file where DESIGN.md §4
# says, with the right modes and %config flags; its scriptlets leave the
# authselect profile before pam_prov.so goes; and the authselect profile
# it ships wires prov like the Debian one: after files in passwd/group,
# never shadow, an account line that cannot ignore a denial.
# Needs root only to install rpm if missing.
set -euo pipefail

PROV_SRC=${PROV_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PROV_BUILD=${PROV_BUILD:-$PROV_SRC/build}
HERE=$PROV_SRC/tests/integration
# shellcheck source=tests/integration/pkg-rootfs.sh
source "$HERE/pkg-rootfs.sh"

host_deps rpm scdoc sudo cmake pkg-config libjson-c-dev libcurl4-openssl-dev libsystemd-dev libpam0g-dev
W=$(mktemp -d /tmp/prov-rpmtest.XXXXXX)
trap 'rm -rf "$W"' EXIT
t0=$SECONDS

echo "== rpmbuild -bb packaging/rpm/prov.spec"
"$PROV_SRC/scripts/build-rpm.sh" -o "$W/out" >"$W/build.log" 2>&1 || {
	cat "$W/build.log"
	echo "FAIL rpmbuild"
	exit 1
}
rpms=("$W"/out/prov-[0-9]*.rpm)
RPM=${rpms[0]}
echo "   $(basename "$RPM") ($((SECONDS - t0)) s)"

rpm -qp --queryformat '[%{FILEMODES:perms} %{FILENAMES}\n]' "$RPM" 2>/dev/null >"$W/contents"
has() { grep -qE "^$1 $2\$" "$W/contents"; }
libdir=$(rpm --eval '%{_libdir}')
check "provd" has '-rwxr-xr-x' /usr/sbin/provd
check "provctl" has '-rwxr-xr-x' /usr/sbin/provctl
check "NSS module in %{_libdir}" has '-rw-r--r--|-rwxr-xr-x' "$libdir/libnss_prov.so.2"
check "PAM module in %{_libdir}/security" has '-rw-r--r--|-rwxr-xr-x' "$libdir/security/pam_prov.so"
for u in provd.service provd.socket provd-private.socket; do
	check "unit $u" has '-rw-r--r--' "/usr/lib/systemd/system/$u"
done
check "provd.conf is 0640 (a url may be a presigned credential)" has '-rw-r-----' /etc/prov/provd.conf
check "sshd drop-in" has '-rw-r--r--' /etc/ssh/sshd_config.d/10-prov.conf
check "sudoers drop-in 0440" has '-r--r-----' /etc/sudoers.d/prov
check "state dir 0700" has 'drwx------' /var/lib/prov
check "demo document" has '-rw-r--r--' /usr/share/prov/demo-directory.json
for f in nsswitch.conf system-auth password-auth README REQUIREMENTS; do
	check "authselect profile: $f" has '-rw-r--r--' "/usr/share/authselect/vendor/prov/$f"
done
for m in man8/provd.8 man8/provctl.8 man8/pam_prov.8 man8/nss_prov.8 man5/provd.conf.5; do
	check "man page $m" grep -qE " /usr/share/man/$m(\\.gz)?\$" "$W/contents"
done
rpm -qpc "$RPM" 2>/dev/null >"$W/config"
for f in /etc/prov/provd.conf /etc/ssh/sshd_config.d/10-prov.conf /etc/sudoers.d/prov; do
	check "%config $f" grep -qx "$f" "$W/config"
done
rpm -qp --scripts "$RPM" 2>/dev/null >"$W/scripts"
check "%preun leaves the prov authselect profile on erase" grep -q 'authselect select "\$p" --force' "$W/scripts"
check "%pre creates the keys user" grep -q 'useradd -r .*_prov-keys' "$W/scripts"

prof=$PROV_SRC/packaging/rpm/authselect/prov
check "profile nsswitch: passwd files prov" grep -qE '^passwd:\s+files prov(\s|$)' "$prof/nsswitch.conf"
check "profile nsswitch: group files prov" grep -qE '^group:\s+files prov(\s|$)' "$prof/nsswitch.conf"
check "profile nsswitch: shadow without prov" bash -c "! grep -E '^g?shadow:' '$prof/nsswitch.conf' | grep -qw prov"
for f in system-auth password-auth; do
	check "$f: account default=bad for pam_prov" \
		grep -qE '^account\s+\[default=bad success=ok user_unknown=ignore\]\s+pam_prov\.so' "$prof/$f"
	check "$f: pam_prov right after pam_localuser's skip" \
		bash -c "grep -A1 -E '^account\s+\[success=1 default=ignore\]\s+pam_localuser\.so' '$prof/$f' | grep -q pam_prov"
	check "$f: session pam_prov failing closed" grep -qE \
		'^session\s+\[success=ok ignore=ignore user_unknown=ignore default=bad\]\s+pam_prov\.so' "$prof/$f"
done
echo "   total $((SECONDS - t0)) s"
check_summary
