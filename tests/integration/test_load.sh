#!/bin/bash
# No local user can lock others out or starve provd (issue 8 §2, DESIGN
# invariant 12), with real parts: provd serving 20,000 users and a sudo
# binding naming 5,000 of them; nobody holding 1,100 connections to the
# public socket; four other uids looping on the costliest public requests
# (tests/integration/load_lib.sh). Meanwhile the PAM account step for a
# granted user (pamtester: real libpam + pam_prov.so) answers, p99 under
# 100 ms, and getent run as another uid answers. Also: one uid's
# connections are capped, its flood of refused requests is rate-limited in
# the log with a summary, and the budgets are in status.
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"
. "$PROV_SRC/tests/integration/load_lib.sh"
trap 'rc=$?; stop_load >/dev/null; (exit $rc); _sandbox_teardown' EXIT

MODULE=$PROV_BUILD/pam_prov/pam_prov.so
check "bench_load is built" test -x "$BENCH_LOAD"

python3 "$PROV_SRC/tests/integration/gen_directory.py" "$T/dir.json" 20000 --sudo-binding 5000
chmod 644 "$T/dir.json"
write_config "$T/provd.conf" "file://$T/dir.json"
cp -a /etc/pam.d "$T/pam.d"
cat > "$T/pam.d/provtest" <<PAM
account [success=ok user_unknown=ignore default=bad] $MODULE
account required pam_permit.so
PAM
mount --bind "$T/pam.d" /etc/pam.d
start_provd "$T/provd.conf"

# pam_p99 N: runs pamtester N times for alice; prints the p99 in ms, or
# "fail" when one run was refused.
pam_p99() {
	local n=$1 i t0 t1 failed=0
	: >"$T/pam.ms"
	for i in $(seq "$n"); do
		t0=$(date +%s%N)
		pamtester provtest alice acct_mgmt >/dev/null 2>&1 || failed=1
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000000)) >>"$T/pam.ms"
	done
	if [ $failed = 1 ]; then echo fail; return; fi
	sort -n "$T/pam.ms" | awk '{ v[NR] = $1 } END { i = int(NR * 0.99); if (i < 1) i = 1; print v[i] }'
}

check "alice passes PAM account without load" pamtester provtest alice acct_mgmt
check_eq "getent as uid 1005 without load" "alice:20001" \
	"$(setpriv --reuid=1005 --regid=1005 --clear-groups getent passwd alice | cut -d: -f1,3)"
idle_p99=$(pam_p99 50)
echo "pamtester p99 without load: ${idle_p99} ms"

start_load 1100
loaded_p99=$(pam_p99 100)
echo "pamtester p99 under load: ${loaded_p99} ms"
check "PAM account for alice answers under load (p99 ${loaded_p99} ms)" test "$loaded_p99" != fail
# What the flood may cost PAM is measured against the same machine idle, in
# the same run: pamtester's wall time is mostly a process start, which a
# loaded 2-core machine (a CPU hog beside the suite) makes slow with no
# flood at all (p99 near 400 ms seen idle). The bound is on what the flood
# adds: under 100 ms on top of the idle p99 (so under 100 ms on a quiet one).
check "PAM account p99 under load below 100 ms beyond idle (${loaded_p99} ms, idle ${idle_p99} ms)" \
	test "$loaded_p99" != fail -a "${loaded_p99:-999}" -lt $((${idle_p99//fail/0} + 100))
check_eq "getent passwd as uid 1005 answers under load" "alice:20001" \
	"$(setpriv --reuid=1005 --regid=1005 --clear-groups getent passwd alice | cut -d: -f1,3)"
check_eq "getent group prov-sudo as uid 1005 under load: 5000 members" 5000 \
	"$(setpriv --reuid=1005 --regid=1005 --clear-groups getent group prov-sudo | cut -d: -f4 | tr , '\n' | wc -l)"
check_eq "id user05000 has the sudo group under load" yes \
	"$(setpriv --reuid=1005 --regid=1005 --clear-groups id -Gn user05000 | tr ' ' '\n' | grep -qx prov-sudo && echo yes)"
"$PROV_BUILD/provctl/provctl" status >"$T/status.txt" 2>&1 || true
clients=$(awk -F': *' '$1 ~ /^ *clients$/ { print $2 }' "$T/status.txt" | head -1)
echo "provd clients under load: ${clients:-?}"
check "nobody holds at most max_clients_per_uid (64) connections (clients ${clients:-?})" \
	test "${clients:-9999}" -lt 200
check "over-budget connections are logged" grep -q 'PROV_EVENT=client_over_budget' "$T/provd.log"
stop_load
# loop_ok FILE: bench_load's "loop K: N requests, F failed" with F <= 1% of N
loop_ok() {
	local n f
	read -r n f < <(sed -nE 's/.*: ([0-9]+) requests, ([0-9]+) failed.*/\1 \2/p' "$1")
	[ -n "$n" ] && [ "$n" -gt 0 ] && [ $((f * 100)) -le "$n" ]
}
for u in 1001 1002 1003 1004; do
	check "the loop of uid $u was served (at most 1% failed): $(cat "$T/load-$u.out")" loop_ok "$T/load-$u.out"
done

# A flood of refused privileged requests from one uid: a handful of lines
# and one summary, not one line each.
before=$(grep -c 'PROV_EVENT=request_denied' "$T/provd.log" || true)
setpriv --reuid=1006 --regid=1006 --clear-groups /usr/bin/python3 - <<'PY'
import socket, struct
for _ in range(300):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect("/run/prov/socket")
    # REFRESH (20) with a u32 flags body: root-only, refused
    s.sendall(struct.pack("<IHHII", 0x31565250, 1, 20, 0, 4) + b"\0\0\0\0")
    s.recv(64)
    s.close()
PY
after=$(grep -c 'PROV_EVENT=request_denied' "$T/provd.log" || true)
denied=$((after - before))
check "300 refused requests from one uid: at most 10 lines ($denied)" test "$denied" -le 10 -a "$denied" -ge 1
sleep 11
"$PROV_BUILD/provctl/provctl" status >/dev/null 2>&1 || true
check "then one summary line with the count" \
	grep -qE 'PROV_EVENT=log_suppressed.*PROV_PEER_UID=1006|[0-9]+ more lines caused by peer uid 1006 suppressed' \
	"$T/provd.log"
check "provd still running" kill -0 "$PROVD_PID"

finish
