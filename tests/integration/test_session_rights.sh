#!/bin/bash
# A right that ends, ends in running sessions too (issue 8 §1, DESIGN
# invariant 3). Real sessions: processes started the way sshd and login
# start them (setpriv --init-groups: the user's initgroups group vector,
# prov-sudo in it while the grant holds), real sudo with the packaged
# sudoers drop-in (packaging/sudoers/prov) and a PAM stack with pam_prov,
# real glibc NSS (nss_prov), the directory over real HTTP (tests/dirserver),
# all inside lib.sh's private mount + PID namespace.
#
#   alice  login + sudo; the sudo grant is taken away in the directory:
#          sudo in her open session is refused after the next periodic pull
#          (one refresh_interval), her session stays
#   ren    renamed to ren2 (same id, same uid): his session is neither
#          ended nor signalled
#   gone   removed from the directory: his session ends (control)
#   frank  login (no end) + sudo until T; the directory server is stopped
#          before T: sudo in his open session works before T and is refused
#          within a second of T, offline; his session stays
#   erin   login + sudo until T: her session process is gone within ~1-2 s
#          of T, offline, by provd's own timer
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"

PROVCTL=$PROV_BUILD/provctl/provctl
MODULE=$PROV_BUILD/pam_prov/pam_prov.so
for bin in /usr/bin/sudo /usr/sbin/visudo python3 setpriv; do
	if ! command -v "$bin" >/dev/null; then
		echo "FAIL: $bin is missing (scripts/install-deps.sh installs it)"
		exit 1
	fi
done

# write_directory SERIAL PHASE UNTIL: PHASE 1 = as at login, 2 = alice's
# sudo taken away, ren renamed, gone removed; UNTIL = unix time frank's
# sudo grant and erin's login+sudo grant end.
write_directory() {
	python3 - "$1" "$2" "$3" >"$T/directory.json.new" <<'PY'
import json, sys, time
serial, phase, until = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(until))
ren = "ren" if phase == 1 else "ren2"
names = [("alice", 20012), ("frank", 20010), ("erin", 20011), (ren, 20013)] + ([("gone", 20014)] if phase == 1 else [])
users = [{"id": "u-ren" if n == ren else "u-" + n, "name": n, "uid": u, "gid": u, "shell": "/bin/bash"}
         for n, u in names]
groups = [{"id": "g-" + n, "name": n, "gid": u} for n, u in names if n != ren] + [{"id": "g-ren", "name": ren, "gid": 20013}]
print(json.dumps({
    "prov_directory": 1, "serial": serial, "users": users, "groups": groups,
    "bindings": [
        {"name": "staff", "users": ["alice", "frank", ren] + (["gone"] if phase == 1 else []), "grants": ["login"]},
        {"name": "alice-admin", "users": ["alice"], "grants": ["sudo"] if phase == 1 else []},
        {"name": "frank-sudo", "users": ["frank"], "grants": ["sudo"], "not_after": iso},
        {"name": "erin-oncall", "users": ["erin"], "grants": ["login", "sudo"], "not_after": iso},
    ]}, indent=1))
PY
	chmod 644 "$T/directory.json.new"
	mv "$T/directory.json.new" "$T/directory.json"
}

FAR=$(($(date +%s) + 86400))
write_directory 1 1 "$FAR"

python3 "$PROV_SRC/tests/dirserver/dirserver.py" serve --document "$T/directory.json" \
	--ports-file "$T/ports" >"$T/dirserver.log" 2>&1 &
DIRSERVER_PID=$!
for i in $(seq 100); do [ -s "$T/ports" ] && break; sleep 0.05; done
HTTP_PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["http"])' "$T/ports")
ADMIN_PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin"])' "$T/ports")
publish() {
	python3 - "$ADMIN_PORT" "$T/directory.json" <<'PY'
import sys, urllib.request
body = open(sys.argv[2], "rb").read()
urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/document", data=body, method="POST")).read()
PY
}

SESSIONS=()
cleanup() {
	local p
	for p in "${SESSIONS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	for p in "${SESSIONS[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ -n "$DIRSERVER_PID" ]; then
		kill "$DIRSERVER_PID" 2>/dev/null || true
		wait "$DIRSERVER_PID" 2>/dev/null || true
	fi
}
trap 'rc=$?; cleanup; stop_provd; exit $rc' EXIT

# --- the host: sudo's PAM stack (pam_prov account), the packaged sudoers ---
cp -a /etc/pam.d "$T/pam.d"
cat >"$T/pam.d/sudo" <<PAM
auth     required pam_deny.so
account  [success=ok user_unknown=ignore default=bad] $MODULE
account  required pam_permit.so
session  required pam_permit.so
PAM
mount --bind "$T/pam.d" /etc/pam.d
mkdir -m 755 "$T/sudoers.d"
install -m 0440 "$PROV_SRC/packaging/sudoers/prov" "$T/sudoers.d/prov"
check "packaged sudoers drop-in is valid" visudo -c -q -f "$T/sudoers.d/prov"
mount --bind "$T/sudoers.d" /etc/sudoers.d

write_config "$T/provd.conf" "http://127.0.0.1:$HTTP_PORT/directory.json" \
	"[directory]" "refresh_interval = 10" "refresh_jitter = 0%" "max_deprovision_share = 100%"
start_provd "$T/provd.conf"
serves() { "$PROVCTL" status 2>/dev/null | grep -q "^serial: *$1\$"; }
for i in $(seq 100); do serves 1 && break; sleep 0.05; done
check "provd serves serial 1" serves 1

# session USER LOG [sudo]: a process as USER with her initgroups vector, as
# sshd gives it; with "sudo" it tries "sudo -n true" every 0.1 s and logs
# "<start time> ok|no"; with "plain" it is a sleep (what most of a session
# is: SIGHUP ends it); otherwise it logs the signals it gets. Prints its pid.
session() {
	local uid
	uid=$(getent passwd "$1" | cut -d: -f3)
	if [ "${3:-}" = plain ]; then
		setpriv --reuid="$uid" --regid="$uid" --init-groups sleep 600 >"$2" 2>&1 &
	elif [ "${3:-}" = sudo ]; then
		setpriv --reuid="$uid" --regid="$uid" --init-groups bash -c \
			'while :; do s=$(date +%s.%N); if sudo -n true 2>/dev/null; then r=ok; else r=no; fi
			 echo "$s $r"; sleep 0.1; done' >"$2" 2>&1 &
	else
		setpriv --reuid="$uid" --regid="$uid" --init-groups bash -c \
			'for s in HUP TERM INT CONT USR1 USR2; do trap "echo $s" $s; done
			 while :; do sleep 0.2; done' >"$2" 2>&1 &
	fi
	echo $!
}
groups_of() { awk '/^Groups:/ { $1 = ""; print }' "/proc/$1/status" 2>/dev/null; }
alive() { kill -0 "$1" 2>/dev/null; }

ALICE=$(session alice "$T/alice.log" sudo)
FRANK=$(session frank "$T/frank.log" sudo)
ERIN=$(session erin "$T/erin.log" plain)
REN=$(session ren "$T/ren.log")
GONE=$(session gone "$T/gone.log")
SESSIONS=("$ALICE" "$FRANK" "$ERIN" "$REN" "$GONE")
sleep 1.5
for u in ALICE FRANK ERIN; do
	check "$u's session carries prov-sudo (29999) in its group vector" \
		bash -c "grep -qw 29999 <<<'$(groups_of "${!u}")'"
done
check "sudo works in alice's session" grep -q ' ok$' "$T/alice.log"
check "sudo works in frank's session" grep -q ' ok$' "$T/frank.log"

# first_after LOG RESULT SINCE: start time of the first probe with RESULT
# that started at or after SINCE (empty when none).
first_after() {
	awk -v r="$2" -v t="$3" '$2 == r && $1 >= t { print $1; exit }' "$1"
}
# any_after LOG RESULT SINCE: probes with RESULT started at or after SINCE.
count_after() {
	awk -v r="$2" -v t="$3" '$2 == r && $1 >= t { n++ } END { print n + 0 }' "$1"
}

echo "== the directory takes alice's sudo away, renames ren, removes gone (periodic pull)"
write_directory 2 2 "$FAR"
P=$(date +%s.%N)
publish
for i in $(seq 300); do serves 2 && break; sleep 0.05; done
check "provd pulled serial 2 on its own (within refresh_interval)" serves 2
sleep 1.5
no=$(first_after "$T/alice.log" no "$P")
check "sudo refused in alice's open session" test -n "$no"
check "refused within one refresh interval (+3 s) of the change" \
	python3 -c "import sys; sys.exit(not float('${no:-1e12}') - $P <= 13)"
applied=$(date +%s.%N)
check_eq "no sudo in alice's session after the pull" 0 "$(count_after "$T/alice.log" ok "$applied")"
check "her group vector still has 29999 (the refusal is sudo asking nss_prov)" \
	bash -c "grep -qw 29999 <<<'$(groups_of "$ALICE")'"
check "alice keeps her session (login grant stays)" alive "$ALICE"
check_eq "ren2 is ren renamed (same uid)" "ren2" "$(getent passwd 20013 | cut -d: -f1)"
check_eq "the old name is gone, not kept as a removed user beside ren2" "" "$(getent passwd ren || true)"
check_eq "one passwd entry has uid 20013" 1 "$(getent passwd | awk -F: '$3 == 20013' | wc -l)"
check "ren's session is alive" alive "$REN"
check_eq "ren's session got no signal" "" "$(cat "$T/ren.log")"
check "no access_revoked for ren" bash -c "! grep -q 'PROV_EVENT=access_revoked.*PROV_USER=ren' '$T/provd.log'"
for i in $(seq 50); do alive "$GONE" || break; sleep 0.1; done
check "gone's session ended (removal still ends sessions)" bash -c "! kill -0 $GONE 2>/dev/null"

echo "== frank's sudo and erin's login end at T, with the directory unreachable"
T_END=$(($(date +%s) + 6))
write_directory 3 2 "$T_END"
publish
"$PROVCTL" refresh >"$T/refresh.out" 2>&1 || true
for i in $(seq 100); do serves 3 && break; sleep 0.05; done
check "provd serves serial 3" serves 3
kill "$DIRSERVER_PID"
wait "$DIRSERVER_PID" 2>/dev/null || true
DIRSERVER_PID=
check "the directory is unreachable" \
	python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1', $HTTP_PORT)) == 0)"
"$PROVCTL" refresh >/dev/null 2>&1 || true
check "erin's session runs before T" alive "$ERIN"
erin_gone=
while python3 -c "import sys,time; sys.exit(time.time() >= $T_END + 4)"; do
	if [ -z "$erin_gone" ] && ! alive "$ERIN"; then erin_gone=$(date +%s.%N); fi
	sleep 0.05
done
[ -n "$erin_gone" ] || alive "$ERIN" || erin_gone=$(date +%s.%N)
echo "   T=$T_END erin's session gone at ${erin_gone:-never}; frank's first refusal $(first_after "$T/frank.log" no "$T_END")"
check "sudo still worked in frank's session just before T" test "$(count_after "$T/frank.log" ok $((T_END - 2)))" -gt 0
check_eq "no sudo in frank's session from T + 1 s" 0 "$(count_after "$T/frank.log" ok $((T_END + 1)))"
check "sudo was tried and refused after T + 1 s" test "$(count_after "$T/frank.log" no $((T_END + 1)))" -gt 0
check "frank keeps his session (his login has no end)" alive "$FRANK"
check "erin's session ended" test -n "$erin_gone"
check "... not before T" python3 -c "import sys; sys.exit(not float('${erin_gone:-0}') >= $T_END)"
check "... within 2 s of T" python3 -c "import sys; sys.exit(not float('${erin_gone:-1e12}') <= $T_END + 2)"
check "expiry audited" grep -q 'PROV_EVENT=access_revoked.*PROV_USER=erin.*PROV_REASON=grant erin-oncall expired' "$T/provd.log"

finish
