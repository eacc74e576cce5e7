# shellcheck shell=bash
# A local attacker's load on provd (issue 8, DESIGN invariant 12), for
# tests/integration/test_load.sh and bench/run-load.sh. Source after lib.sh,
# inside the sandbox, with provd serving a directory from gen_directory.py
# --sudo-binding (user05000 holds the sudo grant).
#
# start_load HOLD: uid 65534 (nobody) holds HOLD idle connections to the
# public socket, reopening those provd closes; uids 1001..1004 each loop on
# one of the costliest public requests: the sudo group, a whole passwd
# enumeration, initgroups, a whole group enumeration. stop_load stops them
# by pid and prints what each did.

BENCH_LOAD=$PROV_BUILD/bench/bench_load
LOAD_PIDS=()

_as_uid() {
	local uid=$1
	shift
	setpriv --reuid="$uid" --regid="$uid" --clear-groups "$@"
}

start_load() {
	local hold=$1
	(
		ulimit -n $((hold + 64))
		exec setpriv --reuid=65534 --regid=65534 --clear-groups "$BENCH_LOAD" hold "$hold"
	) >"$T/load-hold.out" 2>&1 &
	LOAD_PIDS+=($!)
	# exec: the pid kept is bench_load's own, so stop_load reaches it
	(exec setpriv --reuid=1001 --regid=1001 --clear-groups "$BENCH_LOAD" loop sudo) >"$T/load-1001.out" 2>&1 &
	LOAD_PIDS+=($!)
	(exec setpriv --reuid=1002 --regid=1002 --clear-groups "$BENCH_LOAD" loop pwenum) >"$T/load-1002.out" 2>&1 &
	LOAD_PIDS+=($!)
	(exec setpriv --reuid=1003 --regid=1003 --clear-groups "$BENCH_LOAD" loop initgroups user05000) \
		>"$T/load-1003.out" 2>&1 &
	LOAD_PIDS+=($!)
	(exec setpriv --reuid=1004 --regid=1004 --clear-groups "$BENCH_LOAD" loop grenum) >"$T/load-1004.out" 2>&1 &
	LOAD_PIDS+=($!)
	# the holder's connections are up, the loops are going
	sleep 2
}

stop_load() {
	local p
	for p in "${LOAD_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${LOAD_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	LOAD_PIDS=()
	cat "$T"/load-*.out 2>/dev/null || true
}

