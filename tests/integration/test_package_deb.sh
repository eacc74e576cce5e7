#!/bin/bash
# The .deb, for real: build it with debhelper, install it with apt into a
# fresh Debian 12 tree (debootstrap, cached), and check that
#  - every file is where DESIGN.md §4 says, with the right modes;
#  - nsswitch.conf has prov after files in passwd and group (never shadow),
#    and getent answers through it;
#  - the PAM stack pam-auth-update generated really denies a denied prov
#    user (deactivated or grant expired: PAM_ACCT_EXPIRED; no grant:
#    PAM_PERM_DENIED) and lets local users and granted prov users in, also
#    when provd is down (local users only); and that a profile whose
#    account line ignores pam_prov's denial would be caught by this test;
#  - the sshd and sudoers drop-ins pass sshd -t / visudo -c and win;
#  - the units pass systemd-analyze verify and are enabled;
#  - after purge nothing of prov is left, and nsswitch.conf, the PAM
#    config, passwd and group are byte-identical to before.
# provd runs inside the chroot on the demo directory (no systemd there: see
# test_systemd_units.sh for the units under a real systemd).
#
# Needs root. Runs in a private mount + PID namespace: every mount and
# process it makes is gone when it ends, pass or fail.
set -euo pipefail

PROV_SRC=${PROV_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PROV_BUILD=${PROV_BUILD:-$PROV_SRC/build}
HERE=$PROV_SRC/tests/integration
# shellcheck source=tests/integration/pkg-rootfs.sh
source "$HERE/pkg-rootfs.sh"
export -f in_chroot

pkg_sandbox_enter debtest "debootstrap, chroot, unshare" "${DEB_BUILD_HOST_PKGS[@]}" "${ROOTFS_HOST_PKGS[@]}"

# ---- inside the namespace from here on ----
R=$W/root
PKGDIR=$PROV_BUILD/pkg
PROVD_PID=

stop_provd() {
	if [ -n "$PROVD_PID" ]; then
		kill "$PROVD_PID" 2>/dev/null || true
		wait "$PROVD_PID" 2>/dev/null || true
		PROVD_PID=
	fi
}
trap 'stop_provd' EXIT

t0=$SECONDS
echo "== build the .deb (scripts/build-deb.sh --lintian)"
"$PROV_SRC/scripts/build-deb.sh" -o "$PKGDIR" --lintian >"$W/lintian.txt" 2>&1 || {
	cat "$W/lintian.txt"
	echo "FAIL building or lintian-checking the .deb"
	exit 1
}
grep -E '^(E|W|I): ' "$W/lintian.txt" || true
debs=("$PKGDIR"/prov_*.deb)
DEB=${debs[0]}
echo "   $DEB ($((SECONDS - t0)) s)"

echo "== the package itself"
dpkg-deb -c "$DEB" | awk '{ print $1, $6 }' | sed 's,^\(.*\) \./,\1 /,' >"$W/contents"
has() { grep -qE "^$1 $2\$" "$W/contents"; }
check "provd in /usr/sbin" has '-rwxr-xr-x' /usr/sbin/provd
check "provctl in /usr/sbin" has '-rwxr-xr-x' /usr/sbin/provctl
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
# Beside bookworm's own NSS and PAM modules (libc6, libpam-modules): not
# under the /usr/lib alias, which makes dpkg warn on purge.
check "NSS module beside libc6's (/lib/$MA)" has '-rw-r--r--' "/lib/$MA/libnss_prov.so.2"
check "PAM module beside libpam-modules' (/lib/$MA/security)" has '-rw-r--r--' "/lib/$MA/security/pam_prov.so"
check "nothing under /usr/lib/$MA" bash -c "! grep -q ' /usr/lib/$MA/' '$W/contents'"
for u in provd.service provd.socket provd-private.socket; do
	check "unit $u" has '-rw-r--r--' "/lib/systemd/system/$u"
done
check "provd.conf is 0640 (a url may be a presigned credential)" has '-rw-r-----' /etc/prov/provd.conf
check "sshd drop-in sorts first" has '-rw-r--r--' /etc/ssh/sshd_config.d/10-prov.conf
check "sudoers drop-in mode 0440" has '-r--r-----' /etc/sudoers.d/prov
check "pam-auth-update profile" has '-rw-r--r--' /usr/share/pam-configs/prov
check "demo directory document" has '-rw-r--r--' /usr/share/prov/demo-directory.json
for m in man8/provd.8 man8/provctl.8 man8/pam_prov.8 man8/nss_prov.8 man5/provd.conf.5; do
	check "man page $m" has '-rw-r--r--' "/usr/share/man/$m.gz"
done
check "no token shipped" bash -c "! grep -q ' /etc/prov/token\$' '$W/contents'"
dpkg-deb -e "$DEB" "$W/control"
for f in /etc/prov/provd.conf /etc/ssh/sshd_config.d/10-prov.conf /etc/sudoers.d/prov; do
	check "conffile $f" grep -qx "$f" "$W/control/conffiles"
done

echo "== a fresh Debian 12 tree"
t1=$SECONDS
rootfs_extract "$R"
rm -f "$R/usr/sbin/policy-rc.d" # nothing may start anyway: no systemd in a chroot
chroot_mount "$R"
mkdir -m 0755 "$R/run/sshd" # sshd's privilege separation dir (tmpfiles.d at boot)
echo "   ready in $((SECONDS - t1)) s"

# A local user and a PAM service that runs the generated common stacks.
in_chroot "$R" useradd -u 1500 -m -s /bin/bash localuser
printf '%s\n' '@include common-account' '@include common-session' >"$R/etc/pam.d/ci-check"

snapshot() {
	local out=$1
	mkdir -p "$out"
	cp -a "$R/etc/nsswitch.conf" "$R/etc/passwd" "$R/etc/group" "$R/etc/shadow" "$out/"
	cp -a "$R/etc/pam.d" "$out/pam.d"
	(cd "$R" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./run \
		-o -path ./tmp -o -path ./var/log -o -path ./var/cache -o -path ./var/lib/apt \
		-o -path ./var/lib/dpkg \) -prune -o -print | sort) >"$out/files"
}
snapshot "$W/before"

echo "== apt-get install ./prov.deb in the tree"
cp "$DEB" "$R/tmp/"
if ! in_chroot "$R" apt-get install -y -q --no-install-recommends "/tmp/$(basename "$DEB")" \
	>"$W/install.log" 2>&1; then
	cat "$W/install.log"
	echo "FAIL installing the package"
	exit 1
fi
# dpkg_clean LOG: no warning or error from dpkg, apt or a maintainer script.
dpkg_clean() {
	if grep -iE 'warning|error' "$1"; then return 1; fi
	return 0
}
check "install: no dpkg warning" dpkg_clean "$W/install.log"
in_chroot "$R" dpkg -L prov >"$W/pkgfiles"

echo "== upgrade: the package installed over itself"
if ! in_chroot "$R" apt-get install -y -q --reinstall --no-install-recommends "/tmp/$(basename "$DEB")" \
	>"$W/upgrade.log" 2>&1; then
	cat "$W/upgrade.log"
	echo "FAIL upgrading the package"
	exit 1
fi
check "upgrade: no dpkg warning" dpkg_clean "$W/upgrade.log"
check "upgrade: nsswitch.conf still has prov once" test "$(grep -c '^passwd:.*prov' "$R/etc/nsswitch.conf")" = 1

echo "== files and wiring"
check "every packaged file is on disk" bash -c \
	"while read -r f; do [ -e '$R'\"\$f\" ] || { echo \"missing \$f\"; exit 1; }; done <'$W/pkgfiles'"
check "sudoers drop-in is 0440 root" test "$(stat -c '%a %U' "$R/etc/sudoers.d/prov")" = "440 root"
check "nsswitch passwd: files prov ..." grep -qE '^passwd:\s+files prov(\s|$)' "$R/etc/nsswitch.conf"
check "nsswitch group: files prov ..." grep -qE '^group:\s+files prov(\s|$)' "$R/etc/nsswitch.conf"
check "nsswitch shadow untouched" bash -c "! grep -E '^(shadow|gshadow):' '$R/etc/nsswitch.conf' | grep -qw prov"
check "common-account has pam_prov with default=bad" \
	grep -qE '^account\s+\[default=bad success=ok user_unknown=ignore\]\s+pam_prov\.so' "$R/etc/pam.d/common-account"
check "common-account skips pam_prov for local users" \
	grep -qE '^account\s+\[success=1 default=ignore\]\s+pam_localuser\.so' "$R/etc/pam.d/common-account"
check "common-session has pam_prov, failing closed (default=bad)" grep -qE \
	'^session\s+\[success=ok ignore=ignore user_unknown=ignore default=bad\]\s+pam_prov\.so' \
	"$R/etc/pam.d/common-session"
check "common-session-noninteractive has no pam_prov" \
	bash -c "! grep -q pam_prov '$R/etc/pam.d/common-session-noninteractive'"
check "_prov-keys system user exists" in_chroot "$R" getent passwd _prov-keys
check "visudo -c accepts the sudoers drop-in" in_chroot "$R" visudo -c -q -f /etc/sudoers.d/prov
check "sshd -t accepts the configuration" in_chroot "$R" /usr/sbin/sshd -t
akc=$(in_chroot "$R" /usr/sbin/sshd -T -C user=root,host=localhost,addr=127.0.0.1 2>/dev/null |
	sed -n 's/^authorizedkeyscommand //p' || true)
check "sshd's effective AuthorizedKeysCommand is provctl" test "$akc" = "/usr/sbin/provctl keys %u"
check "systemd-analyze verify of the units" in_chroot "$R" systemd-analyze verify --man=no \
	/lib/systemd/system/provd.service /lib/systemd/system/provd.socket /lib/systemd/system/provd-private.socket
# Another package's drop-in that sorts first would silently win: postinst
# must say so (run it again by hand; it is idempotent).
printf 'AuthorizedKeysCommand /bin/true\nAuthorizedKeysCommandUser nobody\n' \
	>"$R/etc/ssh/sshd_config.d/05-other.conf"
in_chroot "$R" env DPKG_MAINTSCRIPT_PACKAGE=prov /var/lib/dpkg/info/prov.postinst configure 0.1.0 \
	>"$W/postinst-again.log" 2>&1 || true
rm -f "$R/etc/ssh/sshd_config.d/05-other.conf"
check "postinst warns about a drop-in that shadows provctl keys" \
	grep -q "prov: warning: sshd uses AuthorizedKeysCommand '/bin/true'" "$W/postinst-again.log"
for l in sockets.target.wants/provd.socket sockets.target.wants/provd-private.socket \
	multi-user.target.wants/provd.service; do
	check "enabled: $l" test -L "$R/etc/systemd/system/$l"
done

echo "== provd in the tree, on the packaged config + the demo directory"
check "packaged provd.conf passes provd --check-config" in_chroot "$R" /usr/sbin/provd --check-config
# The packaged config names no source: provd serves nobody (issue 10).
mkdir -m 0755 "$R/run/prov"
mkdir -m 0700 "$R/var/lib/prov"
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 PROV_NSS_BYPASS=1 \
	chroot "$R" /usr/sbin/provd --foreground >"$W/provd-unconfigured.log" 2>&1 &
PROVD_PID=$!
for _ in $(seq 100); do [ -S "$R/run/prov/socket" ] && break; sleep 0.1; done
check "packaged config: provctl status says unconfigured" bash -c \
	"in_chroot '$R' provctl status | grep -qE '^state: +unconfigured'"
check "packaged config: the demo's alice does not resolve" bash -c "! in_chroot '$R' getent passwd alice"
check "packaged config: nothing cached" test -z "$(ls -A "$R/var/lib/prov")"
check "packaged config: pam lets localuser in" in_chroot "$R" pamtester ci-check localuser acct_mgmt
stop_provd
rm -rf "$R/run/prov" "$R/var/lib/prov"
# The demo directory, named explicitly (whatever the packaged default is);
# a list key given again appends.
printf '\n[directory]\nurl = file:///usr/share/prov/demo-directory.json\n' >>"$R/etc/prov/provd.conf"
# What provd.service's RuntimeDirectory= and StateDirectory= would do.
mkdir -m 0755 "$R/run/prov"
mkdir -m 0700 "$R/var/lib/prov"
# Not through the in_chroot function: $! must be provd itself (env and
# chroot exec it), so that stop_provd really stops it.
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 PROV_NSS_BYPASS=1 \
	chroot "$R" /usr/sbin/provd --foreground >"$W/provd.log" 2>&1 &
PROVD_PID=$!
for _ in $(seq 100); do
	[ -S "$R/run/prov/socket" ] && in_chroot "$R" getent passwd alice >/dev/null 2>&1 && break
	sleep 0.1
done
check "getent passwd alice (through nsswitch.conf)" \
	test "$(in_chroot "$R" getent passwd alice | cut -d: -f1,3,4,6)" = "alice:20001:20001:/home/alice"
check "getent group developers" bash -c "in_chroot '$R' getent group developers | grep -q '^developers:.*:30001:'"
check "id alice shows her groups" bash -c "in_chroot '$R' id -nG alice | grep -qw ops"
check "hostile toor (uid 0) not served" bash -c "! in_chroot '$R' getent passwd toor"
check "local root still root" test "$(in_chroot "$R" getent passwd root | cut -d: -f3)" = 0

pam() { in_chroot "$R" pamtester ci-check "$1" "$2" >>"$W/pam.log" 2>&1; }
denied() { ! pam "$@"; }
echo "== the generated PAM stack (pamtester, service ci-check = common-account + common-session)"
check "alice (granted) allowed" pam alice acct_mgmt
check "bob (granted) allowed" pam bob acct_mgmt
check "carol (deactivated) denied" denied carol acct_mgmt
check "dave (grant expired) denied" denied dave acct_mgmt
check "erin (no grant on this host) denied" denied erin acct_mgmt
check "localuser allowed" pam localuser acct_mgmt
check "root allowed" pam root acct_mgmt
check "alice's session opens" pam alice open_session
check "alice's home made on first login, hers, 0700" \
	test "$(stat -c '%u:%g %a' "$R/home/alice" 2>/dev/null)" = "20001:20001 700"
check "localuser's session opens" pam localuser open_session
check "carol's session refused" denied carol open_session
check "no home made for carol" test ! -e "$R/home/carol"
# Issue 8 §3: a symlink planted at a prov user's home makes provd refuse
# to create it; the session line must not ignore that failure.
ln -s /root "$R/home/bob"
check "bob's session refused: a symlink is planted at his home" denied bob open_session
check "the planted symlink is left alone" test "$(readlink "$R/home/bob")" = /root
check "bob's account check is unaffected" pam bob acct_mgmt
ln -s /root "$R/home/localuser.planted"
check "localuser's session still opens" pam localuser open_session
rm -f "$R/home/localuser.planted"

echo "== the same stack with a profile that ignores the denial (must be caught)"
cp "$R/usr/share/pam-configs/prov" "$W/prov.profile"
sed -i 's/\[default=bad success=ok user_unknown=ignore\]/[success=ok default=ignore]/' \
	"$R/usr/share/pam-configs/prov"
in_chroot "$R" pam-auth-update --package
check "a default=ignore profile lets carol in (so the checks above can fail)" pam carol acct_mgmt
cp "$W/prov.profile" "$R/usr/share/pam-configs/prov"
in_chroot "$R" pam-auth-update --package
check "restored profile denies carol again" denied carol acct_mgmt
# The session line of before (default=ignore) would let bob in with the
# symlink planted at his home: proof that the session check can fail.
sed -i 's/user_unknown=ignore default=bad\]/user_unknown=ignore default=ignore]/' "$R/usr/share/pam-configs/prov"
in_chroot "$R" pam-auth-update --package
check "a default=ignore session line lets bob in (so the check above can fail)" pam bob open_session
cp "$W/prov.profile" "$R/usr/share/pam-configs/prov"
in_chroot "$R" pam-auth-update --package
check "restored profile refuses bob's session again" denied bob open_session

echo "== the RHEL authselect profile's account and session stack, same checks"
# authselect renders packaging/rpm/authselect/prov/system-auth; without
# authselect here, drop its optional-feature lines and keep the rest.
grep -E '^-?(account|session)\s' "$PROV_SRC/packaging/rpm/authselect/prov/system-auth" |
	grep -v '{include if' >"$R/etc/pam.d/ci-rhel"
rhel() { in_chroot "$R" pamtester ci-rhel "$1" "${2:-acct_mgmt}" >>"$W/pam.log" 2>&1; }
check "rhel stack: alice allowed" rhel alice
check "rhel stack: carol denied" eval '! rhel carol'
check "rhel stack: dave denied" eval '! rhel dave'
check "rhel stack: erin denied" eval '! rhel erin'
check "rhel stack: localuser allowed" rhel localuser
check "rhel stack: bob's session refused (symlink at his home)" eval '! rhel bob open_session'
check "rhel stack: localuser's session opens" rhel localuser open_session
rm -f "$R/etc/pam.d/ci-rhel"

echo "== provd down"
stop_provd
check "provd is gone" eval "! pgrep -x provd >/dev/null"
t=$SECONDS
check "localuser still allowed" pam localuser acct_mgmt
check "root still allowed" pam root acct_mgmt
check "alice denied (fail closed)" denied alice acct_mgmt
check "localuser's session still opens (pam_prov ignores local users)" pam localuser open_session
check "alice's session refused (fail closed)" denied alice open_session
check "getent passwd localuser still answers" in_chroot "$R" getent passwd localuser
check "... and all that fast (< 5 s)" test $((SECONDS - t)) -lt 5

echo "== purge"
cp "$W/pam.log" "$W/pam.log.keep" 2>/dev/null || true
rm -rf "$R/home/alice" "$R/home/bob" # made by the test, not by the package
if ! in_chroot "$R" apt-get purge -y -q prov >"$W/purge.log" 2>&1; then
	cat "$W/purge.log"
	echo "FAIL purging the package"
	exit 1
fi
snapshot "$W/after"
check "purge: no dpkg warning" dpkg_clean "$W/purge.log"
check "package gone from dpkg" bash -c "! in_chroot '$R' dpkg-query -W -f='\${Status}' prov 2>/dev/null | grep -q installed"
check "nsswitch.conf byte-identical" cmp "$W/before/nsswitch.conf" "$W/after/nsswitch.conf"
check "PAM config byte-identical" diff -r "$W/before/pam.d" "$W/after/pam.d"
check "passwd byte-identical (_prov-keys gone)" cmp "$W/before/passwd" "$W/after/passwd"
check "group byte-identical" cmp "$W/before/group" "$W/after/group"
check "shadow byte-identical" cmp "$W/before/shadow" "$W/after/shadow"
check "no file added or removed anywhere" diff "$W/before/files" "$W/after/files"
check "no packaged file left" bash -c \
	"while read -r f; do [ -d '$R'\"\$f\" ] && continue; [ ! -e '$R'\"\$f\" ] || { echo \"left: \$f\"; exit 1; }; done <'$W/pkgfiles'"
check "no /etc/prov, /var/lib/prov, /run/prov" bash -c \
	"[ ! -e '$R/etc/prov' ] && [ ! -e '$R/var/lib/prov' ] && [ ! -e '$R/run/prov' ]"
check "pam-auth-update's state forgets prov" eval "! grep -rqw prov '$R/var/lib/pam'"
left=$(cd "$R" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./var/log \) -prune \
	-o \( -name prov -o -name 'prov[._-]*' -o -name 'provd*' -o -name 'provctl*' -o -name '*nss_prov*' \
	-o -name 'pam_prov*' -o -name '*-prov.conf' -o -name '*prov-keys*' \) -print || true)
check "nothing named *prov* left ($left)" test -z "$left"

if [ "$_pkg_fail" -gt 0 ]; then
	echo "--- provd log"; tail -n 40 "$W/provd.log" || true
	echo "--- pamtester log"; tail -n 40 "$W/pam.log.keep" || true
	echo "--- install log"; tail -n 40 "$W/install.log" || true
fi
echo "   total $((SECONDS - t0)) s"
check_summary
