#!/bin/bash
# End to end, the way a user meets prov (issue 4, DESIGN invariants 3, 8):
# a real sshd on loopback, the real ssh client with keys from the
# directory, real glibc NSS (nss_prov) and real PAM (pam_prov), real sudo,
# and the directory served over real HTTP by tests/dirserver (file:// with
# E2E_SOURCE=file). All inside a private mount + PID namespace (lib.sh):
# its own nsswitch.conf, passwd (with the keys user), pam.d, sudoers.d,
# tmpfs /home and /run; nothing of the host changes.
#
#   alice  in ops, bound login+sudo on e2e-*   logs in with her key, gets her
#                                              home from skel, is in ops and
#                                              prov-sudo, sudo -n works
#   bob    bound on db-* only                  refused: no key served
#   carol  in ops, deactivated                 refused: no key served
#   dave   grant expired in 2020               refused: no key served
#   mallory no grant, key in a local file      key accepted by sshd, refused
#                                              by PAM (pam_prov account)
# then alice is deprovisioned in the directory, a refresh runs, and: her
# next ssh is refused, "provctl keys alice" prints nothing, she is out of
# prov-sudo, and the session she had open has ended.
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"

SSHD=/usr/sbin/sshd
PROVCTL=$PROV_BUILD/provctl/provctl
MODULE=$PROV_BUILD/pam_prov/pam_prov.so
SOURCE=${E2E_SOURCE:-http}
for bin in "$SSHD" /usr/bin/ssh /usr/bin/ssh-keygen /usr/bin/sudo /usr/sbin/visudo python3 setpriv pgrep; do
	if ! command -v "$bin" >/dev/null; then
		echo "FAIL: $bin is missing (scripts/install-deps.sh installs it)"
		exit 1
	fi
done
check "pam_prov.so is built" test -f "$MODULE"

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- keys and the directory document ---
for u in alice bob carol dave mallory erin frank frank-env frank-cmd; do
	ssh-keygen -q -t ed25519 -N '' -C "$u@e2e" -f "$T/key-$u"
done
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"

# directory.json: write_directory SERIAL ALICE_ACTIVE(1/0) WITH_BOB(1/0) [ERIN_UNTIL]
# ERIN_UNTIL: unix time erin's login+sudo grant ends (none when absent).
write_directory() {
	python3 - "$T" "$1" "$2" "$3" "${4:-0}" > "$T/directory.json.new" <<'PY'
import json, sys, time
t, serial, alice_active, with_bob = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4] == "1"
erin_until = int(sys.argv[5])
key = lambda u: open(f"{t}/key-{u}.pub").read().strip()
def user(name, uid, **kw):
    return dict(name=name, uid=uid, gid=uid, gecos=f"{name.title()} E2E", ssh_keys=[key(name)], **kw)
print(json.dumps({
    "prov_directory": 1, "serial": serial,
    "users": [user("alice", 20001, active=alice_active)] + ([user("bob", 20002)] if with_bob else [])
             + [user("carol", 20003, active=False), user("dave", 20004), user("mallory", 20005),
                user("erin", 20006),
                # issue 9 §5: keys with options are not keys; her plain key is
                dict(name="frank", uid=20007, gid=20007, ssh_keys=[
                    'environment="LD_PRELOAD=/tmp/evil.so" ' + key("frank-env"),
                    'command="/bin/sh -c id" ' + key("frank-cmd"),
                    key("frank")])],
    "groups": [{"name": n, "gid": g} for n, g in
               (("alice", 20001), ("bob", 20002), ("carol", 20003), ("dave", 20004), ("mallory", 20005),
                ("erin", 20006), ("frank", 20007))
               if with_bob or n != "bob"]
              + [{"name": "ops", "gid": 30001, "members": ["alice", "carol"]}],
    "bindings": [
        {"name": "ops-admin", "groups": ["ops"], "hosts": ["e2e-*"], "grants": ["login", "sudo"]},
        {"name": "bob-db", "users": ["bob"], "hosts": ["db-*"], "grants": ["login"]},
        {"name": "frank-login", "users": ["frank"], "hosts": ["e2e-*"], "grants": ["login"]},
        {"name": "dave-contract", "users": ["dave"], "grants": ["login"], "not_after": "2020-01-31T00:00:00Z"},
    ] + ([{"name": "erin-oncall", "users": ["erin"], "grants": ["login", "sudo"],
           "not_after": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(erin_until))}] if erin_until else [])},
    indent=1))
PY
	chmod 644 "$T/directory.json.new"
	mv "$T/directory.json.new" "$T/directory.json"
}
write_directory 1 1 1

DIRSERVER_PID=
stop_dirserver() {
	if [ -n "$DIRSERVER_PID" ]; then
		kill "$DIRSERVER_PID" 2>/dev/null || true
		wait "$DIRSERVER_PID" 2>/dev/null || true
		DIRSERVER_PID=
	fi
}
if [ "$SOURCE" = http ]; then
	python3 "$PROV_SRC/tests/dirserver/dirserver.py" serve --document "$T/directory.json" \
		--ports-file "$T/ports" >"$T/dirserver.log" 2>&1 &
	DIRSERVER_PID=$!
	for i in $(seq 100); do [ -s "$T/ports" ] && break; sleep 0.05; done
	HTTP_PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["http"])' "$T/ports")
	ADMIN_PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin"])' "$T/ports")
	URL="http://127.0.0.1:$HTTP_PORT/directory.json"
else
	URL="file://$T/directory.json"
fi
echo "directory source: $URL"

# publish: the new document where provd reads it.
publish() {
	if [ "$SOURCE" = http ]; then
		python3 - "$ADMIN_PORT" "$T/directory.json" <<'PY'
import sys, urllib.request
body = open(sys.argv[2], "rb").read()
urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/document", data=body, method="POST")).read()
PY
	fi
}
# refresh: make provd read its source now.
refresh() {
	if [ "$SOURCE" = http ]; then
		"$PROVCTL" refresh >"$T/refresh.out" 2>&1
	else
		kill -HUP "$PROVD_PID"
		sleep 0.5
	fi
}

# --- the host: passwd with the keys user, pam.d, sudoers.d, /home, sshd ---
cp /etc/passwd "$T/passwd"
echo "_prov-keys:x:998:998:prov SSH keys helper:/nonexistent:/usr/sbin/nologin" >> "$T/passwd"
chmod 644 "$T/passwd"
mount --bind "$T/passwd" /etc/passwd

cp -a /etc/pam.d "$T/pam.d"
cat > "$T/pam.d/sshd" <<PAM
# prov users: pam_prov decides; local users: not ours (user_unknown), pass.
auth     required pam_deny.so
account  [success=ok user_unknown=ignore default=bad] $MODULE
account  required pam_permit.so
session  [success=ok ignore=ignore default=bad] $MODULE
session  required pam_permit.so
password required pam_deny.so
PAM
cat > "$T/pam.d/sudo" <<PAM
auth     required pam_deny.so
account  [success=ok user_unknown=ignore default=bad] $MODULE
account  required pam_permit.so
session  required pam_permit.so
PAM
mount --bind "$T/pam.d" /etc/pam.d

mkdir -m 755 "$T/sudoers.d"
install -m 0440 "$PROV_SRC/packaging/sudoers/prov" "$T/sudoers.d/prov"
check "sudoers drop-in is valid" visudo -c -q -f "$T/sudoers.d/prov"
mount --bind "$T/sudoers.d" /etc/sudoers.d

mount -t tmpfs -o mode=755 e2ehome /home
# The keys command: root-owned all the way up, as sshd demands.
mkdir -m 755 /run/sshd /run/sb /run/sb/keys
install -m 0755 "$PROVCTL" /run/sb/provctl
# mallory's key in a local authorized_keys file: sshd accepts it, pam_prov
# must still refuse her (she has no grant).
install -m 0644 "$T/key-mallory.pub" /run/sb/keys/mallory

PORT=$(free_port)
cat > "$T/sshd_config" <<CONF
Port $PORT
ListenAddress 127.0.0.1
HostKey $T/hostkey
PidFile $T/sshd.pid
UsePAM yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthenticationMethods publickey
PermitRootLogin no
StrictModes yes
AuthorizedKeysFile /run/sb/keys/%u
AuthorizedKeysCommand /run/sb/provctl keys %u
AuthorizedKeysCommandUser _prov-keys
PrintMotd no
PrintLastLog no
LogLevel VERBOSE
CONF

write_config "$T/provd.conf" "$URL" "[host]" "name = e2e-host"
check "provd --check-config" bash -c '"$0" -c "$1" --check-config >/dev/null' "$PROV_BUILD/provd/provd" "$T/provd.conf"
start_provd "$T/provd.conf"
for i in $(seq 100); do
	"$PROVCTL" status 2>/dev/null | grep -q '^serial: *1$' && break
	sleep 0.05
done
check_eq "provd serves serial 1 from $SOURCE" "1" "$("$PROVCTL" --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["serial"])')"

$SSHD -t -f "$T/sshd_config"
$SSHD -f "$T/sshd_config" -D -E "$T/sshd.log" &
SSHD_PID=$!
SESSION_PID=
cleanup_e2e() {
	[ -z "$SESSION_PID" ] || kill "$SESSION_PID" 2>/dev/null || true
	[ -z "${ERIN_SESSION:-}" ] || kill "$ERIN_SESSION" 2>/dev/null || true
	kill "$SSHD_PID" 2>/dev/null || true
	wait "$SSHD_PID" 2>/dev/null || true
	stop_dirserver
}
trap 'rc=$?; cleanup_e2e; stop_provd; exit $rc' EXIT
for i in $(seq 100); do [ -s "$T/sshd.pid" ] && break; sleep 0.05; done

# ssh_as USER CMD...: the real client with USER's key; output in $T/ssh.out
ssh_as() {
	local user=$1
	shift
	timeout 20 ssh -F /dev/null -i "$T/key-$user" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		-p "$PORT" "$user@127.0.0.1" "$@" >"$T/ssh.out" 2>&1
}

# --- the granted user ---
check "alice logs in with her key from the directory" ssh_as alice 'id; echo "HOME=$HOME"; pwd'
check "her session runs in her home" grep -qx "/home/alice" "$T/ssh.out"
check "id shows her groups (ops and prov-sudo)" \
	grep -q 'uid=20001(alice) gid=20001(alice) groups=20001(alice),29999(prov-sudo),30001(ops)' "$T/ssh.out"
check_eq "home created: owner, mode" "20001:20001 700" "$(stat -c '%u:%g %a' /home/alice 2>/dev/null)"
check "home filled from /etc/skel" test -f /home/alice/.profile -a -f /home/alice/.bashrc
check_eq "skel files are hers" "20001" "$(stat -c %u /home/alice/.bashrc 2>/dev/null)"
check "sshd: key from the keys command" grep -q 'Accepted publickey for alice' "$T/sshd.log"
check "sudo -n true works for the sudo grant" ssh_as alice 'sudo -n true'
check "sudo -n id -u is 0" ssh_as alice 'sudo -n id -u'
check_eq "sudo ran as root" "0" "$(tail -n1 "$T/ssh.out")"

# --- keys are keys (issue 9 §5): frank's keys with options are dropped ---
ssh_key() { # ssh_key KEYNAME USER CMD...
	local k=$1 user=$2
	shift 2
	timeout 20 ssh -F /dev/null -i "$T/key-$k" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		-p "$PORT" "$user@127.0.0.1" "$@" >"$T/ssh.out" 2>&1
}
setpriv --reuid=998 --regid=998 --clear-groups "$PROVCTL" keys frank >"$T/keys-frank.out" 2>&1 || true
check_eq "provctl keys frank: only the plain key" "$(cat "$T/key-frank.pub")" "$(cat "$T/keys-frank.out")"
check "no environment= or command= line offered to sshd" bash -c "! grep -Eq 'environment=|command=' '$T/keys-frank.out'"
check "frank's key with environment= does not log in" eval '! ssh_key frank-env frank true'
check "frank's key with command= does not log in" eval '! ssh_key frank-cmd frank true'
check "frank's plain key still logs in" ssh_key frank frank 'echo in-as-$(id -un)'
check_eq "... as frank" "in-as-frank" "$(tail -n1 "$T/ssh.out")"
check "sshd log: the option keys were not accepted" \
	bash -c "! grep -q 'Accepted key ED25519 .* for frank\|Accepted publickey for frank .*$(ssh-keygen -lf "$T/key-frank-env.pub" | cut -d' ' -f2)' '$T/sshd.log'"
check "provd log: the dropped keys by index and reason" \
	bash -c "grep -q 'ssh_keys\[0\] has options' '$T/provd.log' && grep -q 'ssh_keys\[1\] has options' '$T/provd.log'"
check "provd log: no key material of the dropped keys" \
	bash -c "! grep -qF '$(cut -d' ' -f2 "$T/key-frank-env.pub")' '$T/provd.log'"

# --- refused users: why is in the sshd log ---
refused() {
	local user=$1
	! ssh_as "$user" true
}
check "bob (grant for other hosts) refused" refused bob
check "carol (deactivated) refused" refused carol
check "dave (expired grant) refused" refused dave
check "mallory (no grant, key from a local file) refused" refused mallory
# (The notes in /work/shared/notes/sshd-nss-pam-sandbox.md: a key refusal
# is "Failed publickey" with no PAM line; a PAM refusal names PAM.)
for u in bob carol dave; do
	check "sshd log: $u refused for want of a key (the keys command printed none)" \
		bash -c "grep -q 'Failed publickey for $u ' '$T/sshd.log' && ! grep -q 'Access denied for user $u ' '$T/sshd.log'"
done
check "sshd log: mallory's key was accepted" grep -q 'Accepted key ED25519 .* found at /run/sb/keys/mallory' "$T/sshd.log"
check "sshd log: mallory refused by PAM account (pam_prov)" \
	grep -q 'Access denied for user mallory by PAM account configuration' "$T/sshd.log"
check "provd audit: dave's keys withheld, expired" \
	grep -q 'PROV_EVENT=ssh_keys.*PROV_USER=dave.*PROV_DECISION=expired' "$T/provd.log"
check "provd audit: mallory refused, no grant" \
	grep -q 'PROV_EVENT=access_check.*PROV_USER=mallory.*PROV_DECISION=no_grant' "$T/provd.log"
check "no home for refused users" test ! -e /home/bob -a ! -e /home/mallory
check "provctl check alice: allowed" bash -c '"$0" check alice >/dev/null' "$PROVCTL"
rc=0; "$PROVCTL" check dave >"$T/check.out" || rc=$?
check_eq "provctl check dave: exit 1" 1 "$rc"
check "provctl check dave: says why" grep -q 'grant dave-contract expired 2020-01-31T00:00:00Z' "$T/check.out"
rc=0; "$PROVCTL" doctor --sshd-config "$T/sshd_config" --sudoers /etc/sudoers.d/prov >"$T/doctor.out" 2>&1 || rc=$?
check_eq "provctl doctor: all wired (sshd -T on this sshd_config)" 0 "$rc"
check "doctor read the keys command from sshd -T" grep -q 'ok    sshd      AuthorizedKeysCommand /run/sb/provctl keys %u.*from sshd -T' "$T/doctor.out"

# --- deprovisioning: a session open, then alice is deactivated ---
timeout 60 ssh -F /dev/null -i "$T/key-alice" -o IdentitiesOnly=yes -o BatchMode=yes \
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
	-p "$PORT" alice@127.0.0.1 'sleep 60' >/dev/null 2>&1 &
SESSION_PID=$!
for i in $(seq 100); do pgrep -u 20001 -x sleep >/dev/null && break; sleep 0.05; done
check "alice's session is running" bash -c 'pgrep -u 20001 -x sleep >/dev/null'

# (and bob removed from it altogether; and erin gets an on-call grant,
# login and sudo, that ends in a few seconds: checked at the end)
ERIN_UNTIL=$(($(date +%s) + 8))
write_directory 2 0 0 "$ERIN_UNTIL"
publish
refresh
for i in $(seq 100); do
	"$PROVCTL" status 2>/dev/null | grep -q '^serial: *2$' && break
	sleep 0.05
done
check_eq "provd serves serial 2" "2" "$("$PROVCTL" --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["serial"])')"
timeout 60 ssh -F /dev/null -i "$T/key-erin" -o IdentitiesOnly=yes -o BatchMode=yes \
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
	-p "$PORT" erin@127.0.0.1 'sleep 60' >/dev/null 2>&1 &
ERIN_SESSION=$!
for i in $(seq 100); do pgrep -u 20006 -x sleep >/dev/null && break; sleep 0.05; done
check "erin (on-call grant) has a session" bash -c 'pgrep -u 20006 -x sleep >/dev/null'
check_eq "erin is in prov-sudo while on call" "prov-sudo:x:29999:erin" "$(getent group prov-sudo)"

ended=0
for i in $(seq 100); do
	if ! kill -0 "$SESSION_PID" 2>/dev/null; then ended=1; break; fi
	sleep 0.1
done
check_eq "her open session has ended" 1 "$ended"
wait "$SESSION_PID" 2>/dev/null || true
SESSION_PID=
check "none of her processes are left" bash -c '! pgrep -u 20001 >/dev/null'
check "sessions_ended audited" grep -q 'PROV_EVENT=sessions_ended.*PROV_USER=alice' "$T/provd.log"
check "access_revoked audited with the reason" \
	grep -q 'PROV_EVENT=access_revoked.*PROV_USER=alice.*PROV_REASON=account deactivated in the directory' "$T/provd.log"
check "her next ssh is refused" refused alice
check_eq "provctl keys alice prints nothing" "" "$(setpriv --reuid=998 --regid=998 --clear-groups /run/sb/provctl keys alice)"
check_eq "she is out of prov-sudo (erin, on call, is in)" "prov-sudo:x:29999:erin" "$(getent group prov-sudo)"
check "id alice no longer lists prov-sudo" bash -c '! id alice | grep -q prov-sudo'
check "she still resolves (files stay readable), with nologin" \
	bash -c 'getent passwd alice | grep -q ":/usr/sbin/nologin$"'
check_eq "her home is left alone" "20001:20001 700" "$(stat -c '%u:%g %a' /home/alice)"
# bob, removed from the directory, keeps resolving (nologin) for the
# retention, and is expired, not unknown, for PAM.
check_eq "removed bob still resolves, with nologin" "bob:*:20002:20002:Bob E2E:/home/bob:/usr/sbin/nologin" \
	"$(getent passwd bob)"
check_eq "removed bob resolves by uid" "bob" "$(getent passwd 20002 | cut -d: -f1)"
rc=0; "$PROVCTL" check bob >"$T/check.out" || rc=$?
check_eq "provctl check bob: exit 1" 1 "$rc"
check "provctl check bob: removed from the directory" grep -q 'reason:   removed from the directory 20' "$T/check.out"
check "removal audited" grep -q 'PROV_EVENT=user_removed.*PROV_USER=bob' "$T/provd.log"

# --- the clock alone: erin's grant ends with no sync, no refresh ---
while [ "$(date +%s)" -lt "$ERIN_UNTIL" ]; do sleep 0.2; done
ended=0
for i in $(seq 50); do
	if ! kill -0 "$ERIN_SESSION" 2>/dev/null; then ended=1; break; fi
	sleep 0.1
done
check_eq "erin's session ended when her grant expired" 1 "$ended"
wait "$ERIN_SESSION" 2>/dev/null || true
check_eq "erin is out of prov-sudo at once" "prov-sudo:x:29999:" "$(getent group prov-sudo)"
check "erin's next ssh is refused" refused erin
check "expiry audited" \
	grep -q 'PROV_EVENT=access_revoked.*PROV_USER=erin.*PROV_REASON=grant erin-oncall expired' "$T/provd.log"

finish
