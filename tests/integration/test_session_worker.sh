#!/bin/bash
# Slow work never runs on the thread that answers lookups (issue 8 §2,
# provd/access/session_worker.c): while provd ends a user's session and has nscd
# forget, through an nscd that takes ~2 s a call, getent from everyone else
# keeps answering at once. The slow nscd is a script bind-mounted over
# /usr/sbin/nscd with a socket file where nscd's would be (nobody listens
# on it, so glibc itself goes straight to nss_prov), inside lib.sh's
# private mount + PID namespace.
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"

write_doc() {
	cat >"$T/dir.json.new" <<JSON
{"prov_directory": 1, "serial": $1,
 "users": [{"name": "alice", "uid": 20001, "active": $2}, {"name": "bob", "uid": 20002}],
 "bindings": [{"name": "all", "users": ["alice", "bob"], "grants": ["login"]}]}
JSON
	chmod 644 "$T/dir.json.new"
	mv "$T/dir.json.new" "$T/dir.json"
}
write_doc 1 true
write_config "$T/provd.conf" "file://$T/dir.json"

cat >"$T/nscd" <<SH
#!/bin/sh
echo "\$(date +%s.%N) start \$*" >> $T/nscd.calls
sleep 1.8
echo "\$(date +%s.%N) end \$*" >> $T/nscd.calls
SH
chmod 755 "$T/nscd"
touch "$T/nscd.calls"
chmod 666 "$T/nscd.calls"
if [ -e /usr/sbin/nscd ]; then
	mount --bind "$T/nscd" /usr/sbin/nscd
else
	echo "FAIL: /usr/sbin/nscd is missing (scripts/install-deps.sh installs nscd)"
	exit 1
fi
mkdir -p /run/nscd
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' /run/nscd/socket
check "a socket where nscd's would be" test -S /var/run/nscd/socket

start_provd "$T/provd.conf"
serves() { "$PROV_BUILD/provctl/provctl" status 2>/dev/null | grep -q "^serial: *$1\$"; }
for i in $(seq 100); do serves 1 && break; sleep 0.05; done
check "provd serves serial 1" serves 1
# Let the start-up invalidation pass before measuring.
for i in $(seq 100); do [ "$(grep -c ' end ' "$T/nscd.calls")" -ge 2 ] && break; sleep 0.1; done
: >"$T/nscd.calls"

setpriv --reuid=20001 --regid=20001 --init-groups sleep 600 &
ALICE=$!
trap 'rc=$?; kill -KILL "$ALICE" 2>/dev/null || true; stop_provd; exit $rc' EXIT
sleep 0.3

write_doc 2 false
kill -HUP "$PROVD_PID"
# Lookups from another uid for 3 s, while the slow nscd runs.
max=0 bad=0 n=0
end=$(($(date +%s%N) + 3000000000))
while [ "$(date +%s%N)" -lt "$end" ]; do
	t0=$(date +%s%N)
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups getent passwd bob | cut -d: -f1) || true
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -gt "$max" ] && max=$ms
	[ "$out" = bob ] || bad=$((bad + 1))
	n=$((n + 1))
	sleep 0.05
done
echo "   $n lookups during the slow nscd, slowest ${max} ms"
check "provd applied serial 2" serves 2
check "the slow nscd was called meanwhile" grep -q ' start -i passwd' "$T/nscd.calls"
check_eq "every lookup answered" 0 "$bad"
check "no lookup waited behind nscd (slowest < 1000 ms; nscd takes 1800 ms a call)" test "$max" -lt 1000
for i in $(seq 50); do kill -0 "$ALICE" 2>/dev/null || break; sleep 0.1; done
check "alice's session ended meanwhile" bash -c "! kill -0 $ALICE 2>/dev/null"
for i in $(seq 60); do grep -q 'end -i group' "$T/nscd.calls" && break; sleep 0.1; done
check "nscd -i passwd and -i group both ran, on the worker" \
	bash -c "grep -q 'end -i passwd' '$T/nscd.calls' && grep -q 'end -i group' '$T/nscd.calls'"

finish
