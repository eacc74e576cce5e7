#!/bin/bash
# The Ansible role, for real: packaging/ansible/playbook.yml run with
# connection local inside a booted Debian 12 container (systemd-nspawn of
# the cached debootstrap tree, so the systemd tasks and handlers act on a
# real systemd), installing the .deb built from this tree. Checks:
#  1. first run: package installed, provd.conf from variables and valid,
#     token 0600 and never printed, sshd and sudoers drop-ins, units
#     enabled and running, getent answers through prov;
#  2. second run changes nothing (idempotent);
#  3. a changed variable rewrites provd.conf and restarts provd (handler);
#  4. an invalid value is refused by `provd --check-config` (validate:):
#     the run fails, the running config and provd stay as they were;
#  5. another package's drop-in that would shadow prov's
#     AuthorizedKeysCommand fails the run with a clear message.
#
# Needs root. Private mount + PID namespace; the container is powered off
# (or killed, by pid) on the way out.
set -euo pipefail

PROV_SRC=${PROV_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PROV_BUILD=${PROV_BUILD:-$PROV_SRC/build}
HERE=$PROV_SRC/tests/integration
# shellcheck source=tests/integration/pkg-rootfs.sh
source "$HERE/pkg-rootfs.sh"

pkg_sandbox_enter ansibletest "debootstrap, systemd-nspawn, unshare" "${DEB_BUILD_HOST_PKGS[@]}" "${ROOTFS_HOST_PKGS[@]}" systemd-container

R=$W/root
PKGDIR=$PROV_BUILD/pkg
trap 'nspawn_stop' EXIT
t0=$SECONDS

pkg_build_deb "$W/build.log"
DEB=$(basename "$DEB")

rootfs_extract "$R"
rm -f "$R/usr/sbin/policy-rc.d" # the role must really start provd

SECRET="tok-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
mkdir -p "$W/ci"
cat >"$W/ci/inventory.ini" <<EOF
[prov_hosts]
localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3
EOF
cat >"$W/ci/vars.yml" <<EOF
prov_package_file: /srv/pkg/$DEB
prov_urls: ["file:///usr/share/prov/demo-directory.json"]
prov_token: "$SECRET"
prov_host_labels: {env: ci, role: test}
prov_login_groups: [ops]
prov_sudo_groups: [ops]
prov_offline_grace: 3d
EOF

nspawn_boot "$R" "$W/nspawn.log" \
	--bind-ro="$PROV_SRC/packaging/ansible:/srv/ansible" \
	--bind-ro="$PKGDIR:/srv/pkg" \
	--bind-ro="$W/ci:/srv/ci"
echo "   booted in $((SECONDS - t0)) s"
C() { in_container "$@"; }
prop() { C systemctl show -P "$2" "$1"; }

# play LOG [extra -e args...]: one ansible-playbook run; its recap line is
# left in RECAP.
RECAP=
play() {
	local log=$1 rc=0
	shift
	# Speed (this test took 191 s on a fresh 2-core machine): the facts
	# the role reads (os_family) are gathered once, minimal, and cached
	# for the later runs.
	C env ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_LOCAL_TEMP=/tmp/ansible-local \
		ANSIBLE_REMOTE_TEMP=/tmp/ansible-remote ANSIBLE_GATHER_SUBSET='!all' \
		ANSIBLE_GATHERING=smart ANSIBLE_CACHE_PLUGIN=jsonfile \
		ANSIBLE_CACHE_PLUGIN_CONNECTION=/var/tmp/ansible-facts ANSIBLE_CACHE_PLUGIN_TIMEOUT=3600 \
		ANSIBLE_PIPELINING=True ANSIBLE_RETRY_FILES_ENABLED=False \
		ansible-playbook -i /srv/ci/inventory.ini /srv/ansible/playbook.yml \
		-e @/srv/ci/vars.yml "$@" >"$log" 2>&1 || rc=$?
	RECAP=$(grep -E '^localhost +:' "$log" || true)
	echo "   $(basename "$log"): rc=$rc $RECAP"
	return $rc
}
play_fails() { ! play "$@"; }
recap() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$RECAP"; }
not_in() { ! grep -qF -- "$1" "$2"; }
dump_log_on_failure() { [ "$_pkg_fail" -eq 0 ] || tail -n 60 "$1"; }

echo "== 1. first run"
t=$SECONDS
t_all=$SECONDS
check "playbook succeeds" play "$W/run1.log"
echo "   ($((SECONDS - t)) s)"
check "it changed things" test "$(recap changed)" -gt 0
check "package installed" test "$(C dpkg-query -W -f='${Status}' prov)" = "install ok installed"
check "token is root 0600" test "$(C stat -c '%U %a' /etc/prov/token)" = "root 600"
check "token content" test "$(C cat /etc/prov/token)" = "$SECRET"
check "token never printed by ansible" not_in "$SECRET" "$W/run1.log"
check "provd.conf has the labels" C grep -qx 'labels = env=ci role=test' /etc/prov/provd.conf
check "provd.conf has login_groups" C grep -qx 'login_groups = ops' /etc/prov/provd.conf
check "provd.conf is root 0640 (a url may be a presigned credential)" \
	test "$(C stat -c '%U %a' /etc/prov/provd.conf)" = "root 640"
check "provd.conf passes provd --check-config" C /usr/sbin/provd --check-config -c /etc/prov/provd.conf
check "sshd drop-in in place" C grep -q '^AuthorizedKeysCommandUser _prov-keys$' /etc/ssh/sshd_config.d/10-prov.conf
check "sudoers drop-in 0440" test "$(C stat -c '%a' /etc/sudoers.d/prov)" = 440
for u in provd.socket provd-private.socket provd.service; do
	check "$u enabled and active" test "$(C systemctl is-enabled "$u")/$(prop "$u" ActiveState)" = enabled/active
done
check "getent passwd alice through prov" test "$(C getent passwd alice | cut -d: -f1,3)" = "alice:20001"
dump_log_on_failure "$W/run1.log"

echo "== 2. second run: idempotent"
check "playbook succeeds" play "$W/run2.log"
check "changed=0" test "$(recap changed)" = 0
dump_log_on_failure "$W/run2.log"

echo "== 3. a changed variable restarts provd"
pid=$(prop provd.service MainPID)
check "playbook succeeds" play "$W/run3.log" -e prov_offline_grace=2d
check "provd.conf updated" C grep -qx 'offline_grace = 2d' /etc/prov/provd.conf
check "provd restarted by the handler" test "$(prop provd.service MainPID)" != "$pid"
check "provd active" test "$(prop provd.service ActiveState)" = active
dump_log_on_failure "$W/run3.log"

echo "== 4. an invalid value is refused before it is put in place"
C cp /etc/prov/provd.conf /tmp/provd.conf.good
pid=$(prop provd.service MainPID)
# From the provd.conf task on: what comes before was checked by runs 1-3.
check "playbook fails" play_fails "$W/run4.log" -e prov_offline_grace=bogus --start-at-task provd.conf
grep -m1 '^fatal:' "$W/run4.log" | cut -c1-300 || true
check "the failure is provd's own message" grep -q "offline_grace: 'bogus' is not a duration" "$W/run4.log"
check "provd.conf unchanged" C cmp /etc/prov/provd.conf /tmp/provd.conf.good
check "provd untouched (same pid, active)" \
	test "$(prop provd.service MainPID)/$(prop provd.service ActiveState)" = "$pid/active"

echo "== 5. a drop-in that shadows prov's AuthorizedKeysCommand is reported"
C sh -c 'printf "AuthorizedKeysCommand /bin/true\nAuthorizedKeysCommandUser nobody\n" >/etc/ssh/sshd_config.d/05-other.conf'
check "playbook fails" play_fails "$W/run5.log" --start-at-task 'Is sshd installed'
check "the failure says which drop-in to fix" grep -q 'a drop-in that sorts before 10-prov.conf wins' "$W/run5.log"
C rm -f /etc/ssh/sshd_config.d/05-other.conf

echo "   5 playbook runs in $((SECONDS - t_all)) s"
if [ "$_pkg_fail" -gt 0 ]; then
	echo "--- journal of provd"
	C journalctl -u provd.service --no-pager | tail -n 30 || true
fi
nspawn_stop
echo "   total $((SECONDS - t0)) s"
check_summary
