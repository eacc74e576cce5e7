#!/bin/bash
# Deprovisioning ends running sessions through logind (provd/access/sessions.c,
# TerminateUser over sd-bus), under a real systemd: the .deb installed into
# a Debian 12 tree with libpam-systemd (so pam_systemd registers sessions),
# booted with systemd-nspawn (notes/systemd-in-ci.md), driven with nsenter.
#
# alice and bob get a logind session each (systemd-run with PAMName=login,
# which runs the "login" PAM stack: pam_prov's account check, pam_systemd's
# session). alice is deactivated in the directory and provd pulls it; then
# her session is gone from logind, her processes are gone, and provd's
# journal says sessions_ended with PROV_METHOD logind (or logind+signal:
# TerminateUser returns before systemd has stopped her scope, and
# sessions.c signals what is still alive after it, as sessions.h says).
# bob, still allowed, keeps his session (control).
#
# Needs root. Runs in a private mount + PID namespace; the container is
# powered off (or killed, by pid) on the way out, pass or fail.
set -euo pipefail

PROV_SRC=${PROV_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PROV_BUILD=${PROV_BUILD:-$PROV_SRC/build}
HERE=$PROV_SRC/tests/integration
# shellcheck source=tests/integration/pkg-rootfs.sh
source "$HERE/pkg-rootfs.sh"

pkg_sandbox_enter logind "debootstrap, systemd-nspawn, unshare" "${DEB_BUILD_HOST_PKGS[@]}" "${ROOTFS_HOST_PKGS[@]}" systemd-container

R=$W/root
PKGDIR=$PROV_BUILD/pkg
# Not in the shared rootfs tarball (its key would change for every other
# test): installed per run, from .debs kept here after the first download.
EXTRA_PKGS="libpam-systemd"
ARCHIVES=$ROOTFS_CACHE/apt-archives
trap 'nspawn_stop' EXIT
t0=$SECONDS

pkg_build_deb "$W/build.log"

rootfs_extract "$R"
rm -f "$R/usr/sbin/policy-rc.d"
# Not /tmp: nspawn mounts a tmpfs there.
cp "$DEB" "$R/var/tmp/"
mkdir -p "$ARCHIVES/partial"
(
	flock 9
	systemd-nspawn -q -D "$R" --register=no --keep-unit --as-pid2 \
		--bind="$ARCHIVES:/var/cache/apt/archives" \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends "/var/tmp/$(basename "$DEB")" $EXTRA_PKGS \
		</dev/null
) 9>"$ROOTFS_CACHE/.archives.lock" >"$W/install.log" 2>&1 || {
	cat "$W/install.log"
	echo "FAIL installing the package and $EXTRA_PKGS"
	exit 1
}

# write_directory SERIAL ALICE_ACTIVE(true/false): the document provd reads.
write_directory() {
	cat >"$R/etc/prov/directory.json.new" <<EOF
{
  "prov_directory": 1,
  "serial": $1,
  "users": [
    { "name": "alice", "uid": 20001, "shell": "/bin/bash", "active": $2 },
    { "name": "bob", "uid": 20002, "shell": "/bin/bash" }
  ],
  "groups": [],
  "bindings": [ { "name": "staff", "users": ["alice", "bob"], "grants": ["login"] } ]
}
EOF
	mv "$R/etc/prov/directory.json.new" "$R/etc/prov/directory.json"
}
write_directory 1 true
printf '\n[directory]\nurl = file:///etc/prov/directory.json\n' >>"$R/etc/prov/provd.conf"
echo "   tree ready in $((SECONDS - t0)) s"

nspawn_boot "$R" "$W/nspawn.log"
echo "   booted in $((SECONDS - t0)) s"
C() { in_container "$@"; }

# sessions_of USER: logind's session ids for USER, one a line.
sessions_of() {
	C loginctl list-sessions --no-legend 2>/dev/null | awk -v u="$1" '$3 == u { print $1 }'
}
# procs_of UID: the pids with that real uid in the container.
procs_of() { C pgrep -U "$1" 2>/dev/null || true; }
# wait_for SECONDS CMD...: until CMD succeeds, or false after SECONDS.
wait_for() {
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
has_session() { [ -n "$(sessions_of "$1")" ]; }
no_session() { [ -z "$(sessions_of "$1")" ]; }
no_procs() { [ -z "$(procs_of "$1")" ]; }
serves_serial() { C provctl status 2>/dev/null | grep -q "^serial: *$1\$"; }

echo "== set-up"
check "logind runs" test "$(C systemctl is-active systemd-logind.service)" = active
check "pam_systemd in common-session" C grep -q pam_systemd /etc/pam.d/common-session
C systemctl start provd.service || true
check "provd active" test "$(C systemctl is-active provd.service)" = active
check "provd serves serial 1" wait_for 5 serves_serial 1
check "alice resolves through nss_prov" test "$(C getent passwd alice | cut -d: -f3)" = 20001

echo "== sessions for alice and bob"
for u in alice bob; do
	C systemd-run -q --uid="$u" -p PAMName=login --unit="$u-sess" sleep 600 ||
		echo "   systemd-run for $u failed"
done
check "alice has a logind session" wait_for 5 has_session alice
check "bob has a logind session" wait_for 5 has_session bob
alice_sess=$(sessions_of alice | head -n1)
bob_sess=$(sessions_of bob | head -n1)
check "alice's session is in its own scope" \
	test "$(C loginctl show-session -P Scope "${alice_sess:-none}" 2>/dev/null)" = "session-$alice_sess.scope"
check "alice has processes" test -n "$(procs_of 20001)"
check "bob has processes" test -n "$(procs_of 20002)"

echo "== alice deprovisioned"
write_directory 2 false
C provctl refresh >"$W/refresh.out" 2>&1 || {
	echo "   provctl refresh failed:"
	sed 's/^/   | /' "$W/refresh.out"
}
check "provd serves serial 2" wait_for 5 serves_serial 2
check "alice's session is gone from logind (5 s)" wait_for 5 no_session alice
check "alice's session object is gone" \
	bash -c "! nsenter -t $CPID -a -- loginctl show-session $alice_sess >/dev/null 2>&1"
check "alice's processes are gone (5 s)" wait_for 5 no_procs 20001
check "alice's user manager is stopped" \
	test "$(C systemctl is-active user@20001.service 2>/dev/null || true)" != active
C journalctl -u provd.service -o verbose --no-pager >"$W/journal.txt" 2>&1 || true
C journalctl -u provd.service -o short-precise --no-pager >"$W/journal-short.txt" 2>&1 || true
ended=$(C journalctl -u provd.service -o json --no-pager PROV_EVENT=sessions_ended PROV_USER=alice 2>/dev/null || true)
field() { printf '%s\n' "$ended" | grep -o "\"$1\":\"[^\"]*\"" | head -n1 | cut -d'"' -f4; }
method=$(field PROV_METHOD)
echo "   sessions_ended for alice: PROV_METHOD=${method:-none} PROV_PIDS=$(field PROV_PIDS)"
check "sessions_ended for alice, once" test "$(printf '%s\n' "$ended" | grep -c PROV_EVENT)" = 1
check "ended through logind (PROV_METHOD logind or logind+signal)" \
	test "$method" = logind -o "$method" = logind+signal
check "no fallback warning (logind could not end ...)" \
	bash -c "! grep -q 'logind could not end' '$W/journal.txt'"
check "access_revoked for alice audited" grep -q 'PROV_EVENT=access_revoked' "$W/journal.txt"

echo "== bob (still allowed) keeps his session"
check "bob's session still listed" test "$(sessions_of bob | head -n1)" = "$bob_sess"
check "bob's session is active" \
	test "$(C loginctl show-session -P State "${bob_sess:-none}" 2>/dev/null)" = active
check "bob's processes are alive" test -n "$(procs_of 20002)"
check "bob's unit still runs" test "$(C systemctl is-active bob-sess.service)" = active
check "no sessions_ended for bob" \
	test -z "$(C journalctl -u provd.service -o cat --no-pager PROV_EVENT=sessions_ended PROV_USER=bob 2>/dev/null)"

if [ "$_pkg_fail" -gt 0 ]; then
	echo "--- loginctl"
	C loginctl list-sessions --no-pager || true
	echo "--- journal of provd"
	tail -n 40 "$W/journal-short.txt" || true
	echo "--- journal of logind"
	C journalctl -u systemd-logind.service --no-pager | tail -n 30 || true
fi
nspawn_stop
echo "   total $((SECONDS - t0)) s"
check_summary
