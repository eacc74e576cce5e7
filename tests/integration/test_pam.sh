#!/bin/bash
# pam_prov.so through real libpam with pamtester, against a real provd, in a
# private mount namespace with its own /etc/pam.d and a tmpfs /home:
# allowed, not granted, deactivated, expired, unknown (local user passes
# the stack), the just-in-time home (DESIGN invariant 8), provd down and
# provd hung (invariant 6: prov user denied fast, local user fine), and the
# audit lines (invariant 10).
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"

MODULE=$PROV_BUILD/pam_prov/pam_prov.so
check "pam_prov.so is built" test -f "$MODULE"

cat > "$T/dir.json" <<'JSON'
{"prov_directory": 1, "serial": 1,
 "users": [
  {"name": "alice", "uid": 20001, "gid": 20001, "home": "/home/alice"},
  {"name": "carol", "uid": 20003, "gid": 20003, "active": false},
  {"name": "dave",  "uid": 20004, "gid": 20004},
  {"name": "frank", "uid": 20006, "gid": 20006},
  {"name": "gina",  "uid": 20007, "gid": 20007},
  {"name": "erin",  "uid": 20005, "gid": 20005}],
 "groups": [
  {"name": "alice", "gid": 20001}, {"name": "carol", "gid": 20003},
  {"name": "dave", "gid": 20004}, {"name": "frank", "gid": 20006},
  {"name": "gina", "gid": 20007}, {"name": "erin", "gid": 20005},
  {"name": "ops", "gid": 30001, "members": ["alice", "carol"]},
  {"name": "hostlogin", "gid": 30004, "members": ["gina"]},
  {"name": "auditors", "gid": 30003, "members": ["erin"]}],
 "bindings": [
  {"name": "ops-admin", "groups": ["ops"], "hosts": ["itest*"], "grants": ["login", "sudo"]},
  {"name": "ops-elsewhere", "users": ["frank"], "hosts": ["db-*"], "grants": ["login"]},
  {"name": "dave-contract", "users": ["dave"], "grants": ["login"], "not_after": "2020-01-31T00:00:00Z"},
  {"name": "auditors-prod", "groups": ["auditors"], "labels": ["env=prod"], "grants": ["login"]}]}
JSON
write_config "$T/provd.conf" "file://$T/dir.json" \
	"[host]" "name = itest-1" "labels = env=prod role=web" "login_groups = hostlogin"

# Our own /etc/pam.d (a copy, so every other service keeps working) and
# /home: nothing outside the namespace changes.
cp -a /etc/pam.d "$T/pam.d"
cat > "$T/pam.d/provtest" <<PAM
account [success=ok user_unknown=ignore default=bad] $MODULE
account required pam_permit.so
session [success=ok ignore=ignore default=bad] $MODULE
session required pam_permit.so
PAM
cat > "$T/pam.d/provtest-fast" <<PAM
account [success=ok user_unknown=ignore default=bad] $MODULE timeout=300
account required pam_permit.so
PAM
mount --bind "$T/pam.d" /etc/pam.d
mount -t tmpfs -o mode=755 provhome /home

start_provd "$T/provd.conf"

# pt USER OPS...: pamtester's exit status; its output in $T/pt.out
pt() {
	local user=$1
	shift
	pamtester -v provtest "$user" "$@" >"$T/pt.out" 2>&1
}

# --- allowed: account, then the home is created on session open ---
check "alice (group grant) passes account + session" pt alice acct_mgmt open_session close_session
check_eq "home created, owned by alice, private" "20001:20001 700" "$(stat -c '%u:%g %a' /home/alice 2>/dev/null)"
check "home filled from /etc/skel" test -f /home/alice/.profile
check_eq "skel file owned by alice" "20001" "$(stat -c %u /home/alice/.profile 2>/dev/null)"

# --- the home is never touched again ---
chmod 751 /home/alice
echo mine > /home/alice/.profile
check "second session for alice" pt alice open_session close_session
check_eq "existing home mode untouched" "751" "$(stat -c %a /home/alice)"
check_eq "existing home content untouched" "mine" "$(cat /home/alice/.profile)"

# --- host config and labels ---
check "gina (provd.conf login_groups) passes" pt gina acct_mgmt
check "erin (label env=prod) passes" pt erin acct_mgmt

# --- refused, with the reason shown to the user ---
rc=0; pt frank acct_mgmt || rc=$?
check "frank (grant for other hosts only) refused" test $rc -ne 0
check "frank sees why" grep -q 'no login grant for frank on host itest-1' "$T/pt.out"
rc=0; pt carol acct_mgmt || rc=$?
check "carol (deactivated) refused" test $rc -ne 0
check "carol sees why" grep -q 'account deactivated in the directory' "$T/pt.out"
rc=0; pt dave acct_mgmt || rc=$?
check "dave (expired grant) refused" test $rc -ne 0
check "dave sees why" grep -q 'grant dave-contract expired 2020-01-31T00:00:00Z' "$T/pt.out"
rc=0; pt frank open_session || rc=$?
check "session for a refused user refused too" test $rc -ne 0
check "no home for a refused user" test ! -e /home/frank

# --- not ours: the stack goes on (local user, and a name prov does not know) ---
check "root (local) passes the stack" pt root acct_mgmt open_session close_session
check "a user prov does not know passes to the next module" pt nosuchuser acct_mgmt

# --- audit (invariant 10) ---
check "allow audited" grep -q 'PROV_EVENT=access_check.*PROV_USER=alice.*PROV_DECISION=allow' "$T/provd.log"
check "refusal audited with reason" \
	grep -q 'PROV_EVENT=access_check.*PROV_USER=frank.*PROV_DECISION=no_grant.*PROV_REASON=no login grant' "$T/provd.log"
check "home creation audited" grep -q 'PROV_EVENT=home_created.*PROV_USER=alice' "$T/provd.log"
check "session close audited" grep -q 'PROV_EVENT=session_close.*PROV_USER=alice' "$T/provd.log"
check "local users never reach provd" bash -c "! grep -q 'PROV_USER=root' '$T/provd.log'"

# --- home_base reached through a symlink (issue 8 §3) ---
# On ostree systems /home -> var/home: root's own link is followed, once,
# and nothing below it. The same link owned by a user is refused.
base_through() {
	stop_provd
	write_config "$T/provd-link.conf" "file://$T/dir.json" \
		"[host]" "name = itest-1" "login_groups = hostlogin" \
		"[accounts]" "home_base = $1"
	start_provd "$T/provd-link.conf"
}
mkdir -p /home/var/home /home/var/other
ln -s var/home /home/ostree-home
base_through /home/ostree-home
check "home_base via root's symlink: gina's session opens" pt gina acct_mgmt open_session close_session
check_eq "her home is made under the resolved base" "20007:20007 700" \
	"$(stat -c '%u:%g %a' /home/var/home/gina 2>/dev/null)"
check "... and audited" grep -q 'PROV_EVENT=home_created.*PROV_USER=gina' "$T/provd.log"
ln -s var/other /home/user-home
chown -h 20001:20001 /home/user-home
base_through /home/user-home
rc=0; pt gina acct_mgmt open_session || rc=$?
check "home_base via a user's symlink: session refused" test $rc -ne 0
check "no home made through the user's link" test ! -e /home/var/other/gina
check "the refusal says why" grep -q 'PROV_EVENT=home_failed.*PROV_USER=gina' "$T/provd.log"
check "local root unaffected" pt root acct_mgmt open_session close_session
base_through /home
rm -rf /home/var /home/ostree-home /home/user-home

# --- provd hung: prov user denied within the deadline, local user fine ---
kill -STOP "$PROVD_PID"
ms=$(elapsed_ms pamtester provtest-fast alice acct_mgmt)
rc=0; pamtester provtest-fast alice acct_mgmt >/dev/null 2>&1 || rc=$?
check "provd hung: alice refused" test $rc -ne 0
check "provd hung: refused within the deadline (${ms} ms)" test "$ms" -lt 2000
check "provd hung: root fine" pt root acct_mgmt
# Resolving is not granting: the lookup snapshot still names alice, PAM
# still asks provd and fails closed.
check_eq "provd hung: alice still resolves (lookup snapshot)" "alice" "$(getent passwd alice | cut -d: -f1)"
kill -CONT "$PROVD_PID"

# --- provd down: prov user denied at once, local user fine ---
stop_provd
ms=$(elapsed_ms pamtester provtest alice acct_mgmt)
rc=0; pt alice acct_mgmt || rc=$?
check "provd down: alice refused" test $rc -ne 0
check "provd down: alice told why" grep -q 'access service is not available' "$T/pt.out"
check "provd down: refused fast (${ms} ms)" test "$ms" -lt 1000
check "provd down: root fine" pt root acct_mgmt open_session close_session
check_eq "provd down: alice still resolves (lookup snapshot)" "alice" "$(getent passwd alice | cut -d: -f1)"
rc=0; pt alice acct_mgmt || rc=$?
check "provd down: alice resolving does not let her in" test $rc -ne 0

finish
