#!/bin/bash
# provd's systemd units under a real systemd: the .deb installed into a
# Debian 12 tree, booted with systemd-nspawn (systemd 252 as PID 1; see
# docs in notes/systemd-in-ci.md). Checks socket activation (a lookup starts
# provd), that provd gets both sockets from systemd, Type=notify, the
# socket and directory modes, that a restart keeps the sockets, reload,
# the watchdog (a provd that stops answering is killed and restarted),
# Restart=on-failure, and that the hardened service can still create a
# home (ReadWritePaths=/home) and decide logins through PAM.
#
# Needs root. Runs in a private mount + PID namespace; the container is
# powered off (or killed, by pid) on the way out, pass or fail.
set -euo pipefail

PROV_SRC=${PROV_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PROV_BUILD=${PROV_BUILD:-$PROV_SRC/build}
HERE=$PROV_SRC/tests/integration
# shellcheck source=tests/integration/pkg-rootfs.sh
source "$HERE/pkg-rootfs.sh"

pkg_sandbox_enter unittest "debootstrap, systemd-nspawn, unshare" "${DEB_BUILD_HOST_PKGS[@]}" "${ROOTFS_HOST_PKGS[@]}" systemd-container

R=$W/root
PKGDIR=$PROV_BUILD/pkg
trap 'nspawn_stop' EXIT
t0=$SECONDS

pkg_build_deb "$W/build.log"

rootfs_extract "$R"
rm -f "$R/usr/sbin/policy-rc.d"
# Not /tmp: nspawn mounts a tmpfs there.
cp "$DEB" "$R/var/tmp/"
nspawn_run "$R" apt-get install -y -q --no-install-recommends "/var/tmp/$(basename "$DEB")" \
	>"$W/install.log" 2>&1 || {
	cat "$W/install.log"
	echo "FAIL installing the package"
	exit 1
}
# The demo directory, named explicitly (whatever the packaged default is).
printf '\n[directory]\nurl = file:///usr/share/prov/demo-directory.json\n' >>"$R/etc/prov/provd.conf"
# A short watchdog, so the test can see it bite in seconds.
mkdir -p "$R/etc/systemd/system/provd.service.d"
printf '[Service]\nWatchdogSec=4s\nRestartSec=1s\n' >"$R/etc/systemd/system/provd.service.d/50-ci.conf"
printf '%s\n' '@include common-account' '@include common-session' >"$R/etc/pam.d/prov-check"
echo "   tree ready in $((SECONDS - t0)) s"

nspawn_boot "$R" "$W/nspawn.log"
echo "   booted in $((SECONDS - t0)) s"
C() { in_container "$@"; }
prop() { C systemctl show -P "$2" "$1"; }

echo "== units after boot"
check "provd.socket listening" test "$(prop provd.socket ActiveState)" = active
check "provd-private.socket listening" test "$(prop provd-private.socket ActiveState)" = active
check "/run/prov is 0755 root" test "$(C stat -c '%a %U' /run/prov)" = "755 root"
check "/run/prov/socket is a 0666 socket" test "$(C stat -c '%F %a' /run/prov/socket)" = "socket 666"
check "/run/prov/private is 0700 root" test "$(C stat -c '%a %U' /run/prov/private)" = "700 root"
check "/run/prov/private/socket is a 0600 socket" \
	test "$(C stat -c '%F %a' /run/prov/private/socket)" = "socket 600"
check "/var/lib/prov is 0700 (StateDirectory)" test "$(C stat -c '%a' /var/lib/prov)" = 700
check "provd.service is Type=notify" test "$(prop provd.service Type)" = notify
check "provd.service LimitNOFILE=65536 (issue 8: EMFILE never bites)" test "$(prop provd.service LimitNOFILE)" = 65536

echo "== socket activation"
C systemctl stop provd.service || true
stopped_but_listening() {
	[ "$(prop provd.service ActiveState)" = inactive ] && [ "$(prop provd.socket ActiveState)" = active ]
}
check "provd stopped, sockets still listening" stopped_but_listening
# The stopped provd's lookup snapshot stays (RuntimeDirectoryPreserve) and
# answers lookups without provd; the socket path is what activates it.
check "the lookup snapshot outlives the stopped provd" test "$(C getent passwd alice | cut -d: -f1)" = alice
check "provd not started by a lookup the snapshot answers" test "$(prop provd.service ActiveState)" = inactive
C rm -f /run/prov/nss.map
check "getent passwd alice starts provd and is answered" \
	test "$(C getent passwd alice | cut -d: -f1,3)" = "alice:20001"
check "provd.service active after the lookup" test "$(prop provd.service ActiveState)" = active
pid=$(prop provd.service MainPID)
env_of() { C cat "/proc/$1/environ" | tr '\0' '\n'; }
check "provd got both sockets from systemd (LISTEN_FDS=2)" grep -qx LISTEN_FDS=2 <(env_of "$pid")
check "provd reported a status (sd_notify STATUS=)" test -n "$(prop provd.service StatusText)"
check "PROV_NSS_BYPASS set for provd" grep -q '^PROV_NSS_BYPASS=' <(env_of "$pid")

echo "== restart and reload keep the sockets"
ino=$(C stat -c %i /run/prov/socket || true)
C systemctl restart provd.service || true
check "restart: same socket inode" test "$(C stat -c %i /run/prov/socket)" = "$ino"
check "restart: lookups answered" test "$(C getent passwd bob | cut -d: -f1)" = bob
pid=$(prop provd.service MainPID)
check "systemctl reload provd succeeds" C systemctl reload provd.service
check "reload: same MainPID" test "$(prop provd.service MainPID)" = "$pid"

echo "== PAM and homes under the hardened unit"
check "alice allowed" C pamtester prov-check alice acct_mgmt
denied() { ! C pamtester prov-check "$1" acct_mgmt; }
check "carol (deactivated) denied" denied carol
check "root allowed" C pamtester prov-check root acct_mgmt
check "alice's session opens" C pamtester prov-check alice open_session
check "home made by the hardened provd: 20001:20001 0700" \
	test "$(C stat -c '%u:%g %a' /home/alice 2>/dev/null)" = "20001:20001 700"
check "journal has provd's structured events" \
	grep -q '^ *PROV_EVENT=' <(C journalctl -u provd.service -o verbose --no-pager)

echo "== watchdog and restart policy"
pid=$(prop provd.service MainPID)
sleep 6
same_pid_no_restart() { [ "$(prop provd.service MainPID)" = "$1" ] && [ "$(prop provd.service NRestarts)" = 0 ]; }
check "provd pings the watchdog (alive after 1.5 x WatchdogSec)" same_pid_no_restart "$pid"
[ "${pid:-0}" -gt 0 ] && C kill -STOP "$pid" || true # never kill 0: our process group
for _ in $(seq 100); do
	[ "$(prop provd.service NRestarts)" -ge 1 ] && [ "$(prop provd.service ActiveState)" = active ] && break
	sleep 0.1
done
restarted_from() { [ "$(prop provd.service NRestarts)" -ge 1 ] && [ "$(prop provd.service MainPID)" != "$1" ]; }
check "a hung provd is killed by the watchdog and restarted" restarted_from "$pid"
check "lookups answered after the watchdog restart" test "$(C getent passwd alice | cut -d: -f1)" = alice
pid=$(prop provd.service MainPID)
n=$(prop provd.service NRestarts)
[ "${pid:-0}" -gt 0 ] && C kill -KILL "$pid" || true
for _ in $(seq 50); do
	[ "$(prop provd.service NRestarts)" -gt "$n" ] && [ "$(prop provd.service ActiveState)" = active ] && break
	sleep 0.1
done
check "a crashed provd is restarted (Restart=on-failure)" test "$(prop provd.service NRestarts)" -gt "$n"

echo "== sshd is reloaded when the package adds or removes its drop-in"
# sshd reads drop-ins only when it starts or reloads (SIGHUP; it logs
# "Received SIGHUP"). A key login attempt makes it run the
# AuthorizedKeysCommand its running configuration names, as its user.
C systemctl start ssh.service >/dev/null 2>&1 || true
check "(setup) sshd runs in the container" test "$(prop ssh.service ActiveState)" = active
hups() { C journalctl -u ssh.service --no-pager -o cat 2>/dev/null | grep -c 'Received SIGHUP' || true; }
C ssh-keygen -q -t ed25519 -N '' -f /root/ci-key </dev/null >/dev/null 2>&1 || true
ssh_try() { # a publickey attempt as USER; it fails, sshd asks its keys command
	C timeout 20 ssh -i /root/ci-key -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o PreferredAuthentications=publickey "$1@127.0.0.1" true \
		>/dev/null 2>&1 || true
}
sshd_t_akc() { C sshd -T -C user=root,host=localhost,addr=127.0.0.1 2>/dev/null | sed -n 's/^authorizedkeyscommand //p'; }
n=$(hups)
C apt-get install -y -q --reinstall --no-install-recommends "/var/tmp/$(basename "$DEB")" \
	>"$W/reinstall.log" 2>&1 || cat "$W/reinstall.log"
check "upgrade (install over itself): sshd reloaded" test "$(hups)" -gt "$n"
check "upgrade: no dpkg warning" bash -c "! grep -qi 'warning' '$W/reinstall.log'"
n=$(hups)
C apt-get purge -y -q prov >"$W/purge.log" 2>&1 || cat "$W/purge.log"
check "purge: sshd reloaded" test "$(hups)" -gt "$n"
check "purge: no dpkg warning" bash -c "! grep -qi 'warning' '$W/purge.log'"
check "purge: the drop-in is gone from sshd -T" test "$(sshd_t_akc)" = none
since=$(C date '+%Y-%m-%d %H:%M:%S')
ssh_try root
check "after purge sshd logs nothing about _prov-keys or provctl" bash -c \
	"! in_container journalctl -u ssh.service --since '$since' --no-pager -o cat | grep -E '_prov-keys|provctl'"
n=$(hups)
C apt-get install -y -q --no-install-recommends "/var/tmp/$(basename "$DEB")" >"$W/install2.log" 2>&1 ||
	cat "$W/install2.log"
check "install with sshd running: sshd reloaded" test "$(hups)" -gt "$n"
check "install: the drop-in is effective in sshd -T" test "$(sshd_t_akc)" = "/usr/sbin/provctl keys %u"
# The proof that the reload took: a key login through the sshd that was
# running before the install, with no manual reload. The key is served
# only by the directory, so only the drop-in's AuthorizedKeysCommand finds it.
python3 - "$(C cat /root/ci-key.pub)" >"$R/etc/prov/keys-directory.json" <<'PY'
import json, sys
print(json.dumps({"prov_directory": 1, "serial": 1,
    "users": [{"name": "keyuser", "uid": 20101, "gid": 20101, "shell": "/bin/sh", "ssh_keys": [sys.argv[1]]}],
    "groups": [{"name": "keyuser", "gid": 20101}],
    "bindings": [{"name": "keyuser-login", "users": ["keyuser"], "grants": ["login"]}]}))
PY
chmod 644 "$R/etc/prov/keys-directory.json"
printf '\n[directory]\nurl = file:///etc/prov/keys-directory.json\n' >>"$R/etc/prov/provd.conf"
C systemctl restart provd.service >/dev/null 2>&1 || true
for _ in $(seq 100); do C getent passwd keyuser >/dev/null 2>&1 && break; sleep 0.1; done
who=$(C timeout 30 ssh -i /root/ci-key -o BatchMode=yes -o StrictHostKeyChecking=no \
	-o UserKnownHostsFile=/dev/null -o PreferredAuthentications=publickey keyuser@127.0.0.1 id -un 2>&1 || true)
check "install: a directory user logs in with a key through the reloaded sshd (got: ${who##*$'\n'})" \
	test "${who##*$'\n'}" = keyuser

echo "== exposure"
C systemd-analyze security provd.service --no-pager 2>/dev/null | tail -n 1 || true

if [ "$_pkg_fail" -gt 0 ]; then
	echo "--- journal of provd"
	C journalctl -u provd.service -u provd.socket -u provd-private.socket --no-pager | tail -n 60 || true
fi
nspawn_stop
echo "   total $((SECONDS - t0)) s"
check_summary
