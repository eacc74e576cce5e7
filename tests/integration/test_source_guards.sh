#!/bin/bash
# Which directory provd serves, and when it refuses one (issues 9 and 10):
#  - no [directory] url: provd serves nobody and caches nothing (not the
#    embedded demo, not an old cache); status says "unconfigured", doctor
#    fails, PAM sees directory users as unknown (user_unknown), local users
#    are unaffected;
#  - url = demo: serves the embedded demo, never written to the cache;
#  - a file:// document gets every guard the network sources get: a serial
#    reused with other content is refused, and so is a mass deprovisioning
#    (provctl refresh --force accepts it) - at start-up, on SIGHUP and on a
#    refresh alike;
#  - pointing provd at another directory is recognised (source_changed):
#    its first document is not compared with the old source's serial, the
#    deprovisioning guard still applies.
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"

CTL=$PROV_BUILD/provctl/provctl
MODULE=$PROV_BUILD/pam_prov/pam_prov.so
status_of() { "$CTL" status | sed -n "s/^$1: *//p"; }

# doc FILE SERIAL FIRST LAST [GECOS]: users user<FIRST>..user<LAST>.
doc() {
	python3 - "$@" <<'PY'
import json, os, sys
path, serial, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
gecos = sys.argv[5] if len(sys.argv) > 5 else ""
users = [{"name": "user%d" % i, "uid": 30000 + i, "gecos": gecos} for i in range(first, last + 1)]
json.dump({"prov_directory": 1, "serial": serial, "users": users}, open(path + ".new", "w"))
os.rename(path + ".new", path)
PY
}
hup_and_wait() { # SIGHUP, then wait until provd answered a status after it
	kill -HUP "$PROVD_PID"
	sleep 0.3
	"$CTL" status >/dev/null
}

# PAM: our own service file, nothing else changes.
cp -a /etc/pam.d "$T/pam.d"
cat > "$T/pam.d/provtest" <<PAM
account [success=ok user_unknown=ignore default=bad] $MODULE
account required pam_permit.so
PAM
mount --bind "$T/pam.d" /etc/pam.d

echo "== no url configured: nobody is served, nothing is cached"
doc "$T/a.json" 3 1 10
# A cache from a source configured before must not be served either.
write_config "$T/a.conf" "file://$T/a.json"
start_provd "$T/a.conf"
check_eq "(setup) a cache from an earlier source" "user1" "$(getent passwd user1 | cut -d: -f1)"
stop_provd
cache_before=$(sha256sum <"$T/state/directory.cache")
sync_before=$(sha256sum <"$T/state/sync.state")
write_config "$T/none.conf" ""
: >"$T/provd.log"
start_provd "$T/none.conf"
check_eq "status: unconfigured" "unconfigured" "$(status_of state)"
check "status names what to set" grep -q 'set \[directory\] url' <<<"$(status_of source)"
rc=0; getent passwd user1 >/dev/null || rc=$?
check_eq "the old cache is not served" 2 $rc
rc=0; getent passwd alice >/dev/null || rc=$?
check_eq "the demo is not served" 2 $rc
check_eq "local users are unaffected" "root" "$(getent passwd root | cut -d: -f1)"
check_eq "the cache is left as it was" "$cache_before" "$(sha256sum <"$T/state/directory.cache")"
check_eq "nor the sync state" "$sync_before" "$(sha256sum <"$T/state/sync.state")"
check "the log says what to set" grep -q 'set \[directory\] url' "$T/provd.log"
rc=0; "$CTL" check alice >"$T/out" 2>&1 || rc=$?
check_eq "provctl check: alice is not a prov user (exit 1)" 1 $rc
rc=0; pamtester provtest user1 acct_mgmt >"$T/pt.out" 2>&1 || rc=$?
check_eq "PAM: a directory user is unknown (user_unknown, the stack goes on)" 0 $rc
rc=0; "$CTL" refresh >"$T/out" 2>&1 || rc=$?
check "refresh says unconfigured and fails" test $rc -ne 0
check "refresh result: unconfigured" grep -q '^result: *unconfigured' "$T/out"
rc=0; "$CTL" doctor --sshd none >"$T/out" 2>&1 || rc=$?
check "doctor fails when unconfigured" test $rc -ne 0
check "doctor says what to set" grep -q 'FAIL.*\[directory\] url' "$T/out"
stop_provd

echo "== a configured source not loaded yet: PAM fails closed"
# conf_state FILE URL STATE_DIR [lines]: write_config with another state_dir.
conf_state() {
	local f=$1 u=$2 sd=$3
	shift 3
	write_config "$f" "$u" "$@"
	sed -i "s|^state_dir = .*|state_dir = $sd|" "$f"
	mkdir -p -m 700 "$sd"
}
conf_state "$T/gone.conf" "file://$T/nowhere.json" "$T/state-empty"
start_provd "$T/gone.conf"
check_eq "status: unavailable" "unavailable" "$(status_of state)"
rc=0; pamtester provtest user1 acct_mgmt >"$T/pt.out" 2>&1 || rc=$?
check "PAM: denied while the configured directory is not loaded" test $rc -ne 0
stop_provd

echo "== url = demo: the embedded demo, never cached"
conf_state "$T/demo.conf" "demo:" "$T/state-demo"
check "--check-config accepts url = demo:" "$PROV_BUILD/provd/provd" --check-config -c "$T/demo.conf"
start_provd "$T/demo.conf"
check_eq "alice of the demo resolves" "alice" "$(getent passwd alice | cut -d: -f1)"
check_eq "status: the embedded demo" "embedded demo (url = demo:)" "$(status_of source)"
kill -HUP "$PROVD_PID"; sleep 0.3
check_eq "still served after a reload" "alice" "$(getent passwd alice | cut -d: -f1)"
stop_provd
check "no cache written for the demo" test -z "$(ls -A "$T/state-demo")"
printf '[directory]\nurl = demo: file://%s\n' "$T/a.json" >"$T/bad.conf"
check "demo: with other URLs is a config error" bash -c "! '$PROV_BUILD/provd/provd' --check-config -c '$T/bad.conf' 2>/dev/null"

echo "== file://: every guard"
# state/ holds serial 3 of a.json (users 1-10) from above.
start_provd "$T/a.conf"
check_eq "serial 3 served" "3" "$(status_of serial)"
doc "$T/a.json" 3 1 10 "changed without a new serial"
hup_and_wait
check_eq "same serial, other content: refused on SIGHUP" "" "$(getent passwd user1 | cut -d: -f5)"
check "the refusal is logged" grep -q 'serial 3 reused with different content' "$T/provd.log"
rc=0; "$CTL" refresh >"$T/out" 2>&1 || rc=$?
check "refresh: rejected (exit 4)" test $rc -eq 4
check "refresh result: rejected" grep -q '^result: *rejected' "$T/out"
stop_provd
: >"$T/provd.log"
start_provd "$T/a.conf"
check_eq "... and at start-up: the cache (serial 3) is served" "" "$(getent passwd user1 | cut -d: -f5)"
check "... with the refusal logged" grep -q 'reused with different content' "$T/provd.log"
doc "$T/a.json" 4 1 2
hup_and_wait
check_eq "8 of 10 users deprovisioned at once: refused" "user10" "$(getent passwd user10 | cut -d: -f1)"
check "the guard is logged" grep -qi 'deprovision' "$T/provd.log"
check_eq "serial still 3" "3" "$(status_of serial)"
rc=0; "$CTL" refresh --force >"$T/out" 2>&1 || rc=$?
check_eq "refresh --force accepts it" 0 $rc
check_eq "serial 4 served" "4" "$(status_of serial)"
check_eq "user10 deprovisioned (nologin)" "/usr/sbin/nologin" "$(getent passwd user10 | cut -d: -f7)"
stop_provd

echo "== another directory: a new source is not compared with the old serial"
doc "$T/a.json" 40 1 10
: >"$T/provd.log"
start_provd "$T/a.conf"
check_eq "serial 40 from a.json" "40" "$(status_of serial)"
check "the source identity is kept in sync.state" grep -q '^source document:' "$T/state/sync.state"
doc "$T/b.json" 1 1 10 "from b"
write_config "$T/a.conf" "file://$T/b.json"
hup_and_wait
check_eq "b.json at serial 1 replaces serial 40" "1" "$(status_of serial)"
check_eq "its users are served" "from b" "$(getent passwd user1 | cut -d: -f5)"
check "the source change is logged" grep -q 'source_changed\|directory source changed' "$T/provd.log"
doc "$T/b.json" 0 1 10 "replayed"
hup_and_wait
check_eq "the same source again: an older serial is refused" "from b" "$(getent passwd user1 | cut -d: -f5)"
# A third directory that would remove most users: still guarded.
doc "$T/c.json" 1 1 3 "from c"
write_config "$T/a.conf" "file://$T/c.json"
hup_and_wait
check_eq "a new source removing 7 of 10: refused" "from b" "$(getent passwd user1 | cut -d: -f5)"
rc=0; "$CTL" refresh --force >"$T/out" 2>&1 || rc=$?
check_eq "refresh --force accepts the new source" 0 $rc
check_eq "c.json served" "from c" "$(getent passwd user1 | cut -d: -f5)"
stop_provd
# A restart after a source change does not lose it.
start_provd "$T/a.conf"
check_eq "after a restart, the cache of the new source" "from c" "$(getent passwd user1 | cut -d: -f5)"
stop_provd

echo "== doctor: a directory not confirmed for over 3 refresh intervals fails"
# The cache says it was saved 1000 s ago (header rewritten, CRCs redone);
# the source accepts connections and never answers, so no pull fails yet.
python3 - "$T/state/directory.cache" <<'PY'
import struct, sys, time, zlib
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
struct.pack_into("<Q", b, 32, int(time.time()) - 1000)
struct.pack_into("<I", b, 44, zlib.crc32(bytes(b[:44])))
open(p, "wb").write(b)
PY
rm -f "$T/state/sync.state"
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True); time.sleep(120)' >"$T/hang.port" &
HANG_PID=$!
trap 'rc=$?; kill "$HANG_PID" 2>/dev/null || true; stop_provd; exit $rc' EXIT
for i in $(seq 50); do [ -s "$T/hang.port" ] && break; sleep 0.05; done
write_config "$T/hang.conf" "http://127.0.0.1:$(cat "$T/hang.port")/d.json" \
	"[directory]" "refresh_interval = 10s" "timeout = 60s"
start_provd "$T/hang.conf"
check_eq "(setup) the aged cache is served" "from c" "$(getent passwd user1 | cut -d: -f5)"
rc=0; "$CTL" doctor --sshd none >"$T/out" 2>&1 || rc=$?
check_eq "doctor fails" 4 $rc
check "doctor: not confirmed for over 3 refresh intervals" grep -q 'FAIL.*over 3 refresh intervals' "$T/out"
rc=0; "$CTL" --json doctor --sshd none >"$T/out" 2>&1 || rc=$?
check "doctor --json: one object, ok false" python3 -c 'import json, sys
o = json.load(open(sys.argv[1])); assert o["ok"] is False and o["fails"] >= 1, o
assert any(c["check"] == "provd" and c["result"] == "fail" for c in o["checks"]), o' "$T/out"
stop_provd
kill "$HANG_PID" 2>/dev/null; wait "$HANG_PID" 2>/dev/null || true

finish
