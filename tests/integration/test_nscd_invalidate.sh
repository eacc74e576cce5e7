#!/bin/bash
# Where nscd runs, a revocation must not wait for nscd's positive TTL
# (DESIGN invariant 3: "sudo is gone at the same time"): provd runs
# "nscd -i passwd" and "nscd -i group" after every change it applies.
# A real nscd (its own config: an hour of positive TTL, shared memory, not
# persistent) in front of nss_prov, in the private namespace of lib.sh
# (tmpfs /run, where nscd's socket lives; tmpfs /var/cache/nscd).
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"

NSCD=/usr/sbin/nscd
if [ ! -x "$NSCD" ]; then
	echo "FAIL: $NSCD is missing (scripts/install-deps.sh installs nscd)"
	exit 1
fi

write_doc() {
	cat > "$T/dir.json.new" <<JSON
{"prov_directory": 1, "serial": $1,
 "users": [{"name": "alice", "uid": 20001}, {"name": "bob", "uid": 20002}],
 "bindings": [{"name": "admins", "users": [$2], "grants": ["login", "sudo"]}]}
JSON
	chmod 644 "$T/dir.json.new"
	mv "$T/dir.json.new" "$T/dir.json"
}
write_doc 1 '"alice", "bob"'
write_config "$T/provd.conf" "file://$T/dir.json"

cat > "$T/nscd.conf" <<'CONF'
	enable-cache		passwd		yes
	positive-time-to-live	passwd		3600
	persistent		passwd		no
	shared			passwd		yes
	enable-cache		group		yes
	positive-time-to-live	group		3600
	persistent		group		no
	shared			group		yes
	enable-cache		hosts		no
	enable-cache		services	no
	enable-cache		netgroup	no
CONF
mount -t tmpfs -o mode=755 nscdcache /var/cache/nscd
mkdir -p /run/nscd

start_provd "$T/provd.conf"
"$NSCD" -F -f "$T/nscd.conf" >"$T/nscd.log" 2>&1 &
NSCD_PID=$!
trap 'rc=$?; kill "$NSCD_PID" 2>/dev/null; wait "$NSCD_PID" 2>/dev/null; stop_provd; exit $rc' EXIT
for i in $(seq 100); do [ -S /run/nscd/socket ] && break; sleep 0.05; done
check "nscd runs (its socket exists)" test -S /run/nscd/socket

check_eq "both in prov-sudo, through nscd" "prov-sudo:x:29999:alice,bob" "$(getent group prov-sudo)"
check_eq "bob resolves, through nscd" "bob" "$(getent passwd 20002 | cut -d: -f1)"
# Cached now: the same answers come from nscd's memory for an hour.
check_eq "nscd answers from its cache" "prov-sudo:x:29999:alice,bob" "$(getent group prov-sudo)"

# bob loses sudo in the directory; provd applies it (SIGHUP re-reads it).
write_doc 2 '"alice"'
kill -HUP "$PROVD_PID"
for i in $(seq 100); do
	"$PROV_BUILD/provctl/provctl" status 2>/dev/null | grep -q '^serial: *2$' && break
	sleep 0.05
done
# The invalidation runs on provd's session worker, just after the swap.
for i in $(seq 100); do
	grep -q 'PROV_EVENT=nscd_invalidated PROV_DATABASE=group' "$T/provd.log" && break
	sleep 0.05
done
check "provd invalidated nscd's group cache" grep -q 'PROV_EVENT=nscd_invalidated PROV_DATABASE=group' "$T/provd.log"
check "provd invalidated nscd's passwd cache" grep -q 'PROV_EVENT=nscd_invalidated PROV_DATABASE=passwd' "$T/provd.log"
check_eq "bob is out of prov-sudo at once, nscd or not" "prov-sudo:x:29999:alice" "$(getent group prov-sudo)"

finish
