#!/bin/bash
# DESIGN invariant 4, the crash half: provd killed with SIGKILL at any point
# of writing the cache leaves a cache the next start loads, holding either
# the old directory or the new one. The worker is stopped exactly where it
# matters by a fault point compiled into test builds (provd/base/faultpoint.h:
# the temp file written but not yet durable; durable but not yet renamed;
# renamed but the directory not yet synced): provd stops itself there
# (SIGSTOP), the test sees it stopped and kills it. No race: the kill
# cannot land before or after the point. A few more kills land at random
# moments of a pull.
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"
. "$(dirname "$0")/sync_lib.sh"
sync_traps
trap 'rc=$?; ds_stop; stop_provd; exit $rc' EXIT
# faultpoint.h: provd reads this file at each point; absent = no stop.
export PROV_FAULT_FILE=$T/fault
rm -f "$PROV_FAULT_FILE"


doc() { # doc SERIAL: a document of 3000 users, posted to the dirserver
	python3 - "$1" "$T/doc.json" <<'PY'
import json, sys
s = int(sys.argv[1])
users = [{"id": "u%d" % i, "name": "user%06d" % i, "uid": 100000 + i, "gecos": "serial %d" % s}
         for i in range(1, 3001)]
json.dump({"prov_directory": 1, "serial": s, "users": users}, open(sys.argv[2], "w"))
PY
	curl -sSf --data-binary @"$T/doc.json" "http://127.0.0.1:$DS_ADMIN/document" >/dev/null
}
cache=$T/state/directory.cache

ds_start
doc 1
write_config "$T/provd.conf" "https://127.0.0.1:$DS_HTTPS/directory.json" \
	"[directory]" "token_file = $T/token" "ca_file = $T/certs/ca.pem" "connect_timeout = 1s" "timeout = 5s" \
	"refresh_interval = 1h" "retry_base = 1h" "retry_max = 1h"

start_and_settle() { # provd up, its first pull (at start) done
	start_provd "$T/provd.conf"
	local i
	for i in $(seq 100); do [ "$(status_of last_sync)" != "-" ] && break; sleep 0.05; done
}
served_gecos() { getent passwd user000001 | cut -d: -f5; }

start_and_settle
check_eq "serial 1 served and cached" "serial 1" "$(served_gecos)"
serial=1

proc_state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }

# crash_at NAME POINT CHECK_CMD EXPECT(old|new): provd stops itself at
# POINT during a pull; CHECK_CMD must hold there; then SIGKILL.
crash_at() {
	local name=$1 point=$2 check_cmd=$3 expect=$4 i
	local next=$((serial + 1))
	doc "$next"
	echo "$point" >"$PROV_FAULT_FILE"
	"$CTL" refresh >/dev/null 2>&1 &
	local ctl=$!
	# Generous: a pull of 3000 users on a loaded machine; it ends the
	# moment provd stops.
	for i in $(seq 600); do [ "$(proc_state "$PROVD_PID")" = T ] && break; sleep 0.05; done
	check_eq "$name: the worker stopped at $point" T "$(proc_state "$PROVD_PID")"
	check "$name: the files are as at that point" eval "$check_cmd"
	rm -f "$PROV_FAULT_FILE"
	kill -9 "$PROVD_PID"
	wait "$PROVD_PID" 2>/dev/null || true
	PROVD_PID=
	wait "$ctl" 2>/dev/null || true
	# Restart with the source down: what is served is the cache alone.
	fault '{"mode": "refuse"}'
	: > "$T/provd.log"
	start_and_settle
	check "$name: the cache loads after the crash" grep -q "cache: loaded\|^loaded" <<<"$(status_of cache)"
	if [ "$expect" = new ]; then
		check_eq "$name: it holds the new directory" "serial $next" "$(served_gecos)"
		serial=$next
	else
		check_eq "$name: it holds the old directory" "serial $serial" "$(served_gecos)"
	fi
	check "$name: no cache refusal logged" bash -c "! grep -q cache_refused '$T/provd.log'"
	fault '{"mode": "none"}'
}

tmp_complete() { # the temp file exists with the whole document in it
	local f
	f=$(ls "$T"/state/.directory.cache.tmp.* 2>/dev/null | head -1)
	[ -n "$f" ] && [ "$(stat -c %s "$f")" -eq $(($(stat -c %s "$T/doc.json") + 48)) ]
}
cache_is_new() { [ "$(stat -c %s "$cache")" -eq $(($(stat -c %s "$T/doc.json") + 48)) ] && ! tmp_complete; }

crash_at "killed before the temp file is durable" cache_written tmp_complete old
crash_at "killed between fsync and rename" cache_synced tmp_complete old
crash_at "killed after the rename, before the directory fsync" cache_renamed cache_is_new new

# The next good pull replaces the cache and clears what the crashes left.
check "a pull after the crashes" refresh
check "leftover temp files removed by the next write" bash -c "! ls '$T'/state/.directory.cache.tmp.* 2>/dev/null"

# And at random moments of whole pulls.
for k in 1 2 3 4 5; do
	next=$((serial + 1))
	doc "$next"
	"$CTL" refresh >/dev/null 2>&1 &
	ctl=$!
	sleep "0.$((RANDOM % 30))"
	kill -9 "$PROVD_PID"
	wait "$PROVD_PID" 2>/dev/null || true
	PROVD_PID=
	wait "$ctl" 2>/dev/null || true
	fault '{"mode": "refuse"}'
	: > "$T/provd.log"
	start_and_settle
	got=$(served_gecos)
	check "random kill $k: cache loads, old or new ($got)" test "$got" = "serial $serial" -o "$got" = "serial $next"
	[ "$got" = "serial $next" ] && serial=$next
	fault '{"mode": "none"}'
done

finish
