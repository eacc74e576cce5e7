#!/bin/bash
# DESIGN invariant 4, the crash half: provd killed with SIGKILL at any point
# of writing the cache leaves a cache the next start loads, holding either
# the old directory or the new one. The worker is stopped exactly where it
# matters with strace's syscall delay (the temp file written but not yet
# durable; durable but not yet renamed; renamed but the directory not yet
# synced), then killed; a few more kills land at random moments of a pull.
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"
. "$(dirname "$0")/sync_lib.sh"
sync_traps
STRACE_PID=
trap 'rc=$?; [ -n "$STRACE_PID" ] && kill "$STRACE_PID" 2>/dev/null; ds_stop; stop_provd; exit $rc' EXIT


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

# crash_at NAME STRACE_INJECT WAIT_CMD EXPECT(old|new)
crash_at() {
	local name=$1 inject=$2 wait_cmd=$3 expect=$4 i
	local next=$((serial + 1))
	doc "$next"
	# (the injected calls must be traced: "trace=none" would disable it)
	strace -f -qq -o /dev/null -p "$PROVD_PID" -e "trace=${inject%%:*}" -e "inject=$inject" 2>/dev/null &
	STRACE_PID=$!
	sleep 0.5 # attached
	"$CTL" refresh >/dev/null 2>&1 &
	local ctl=$!
	for i in $(seq 200); do eval "$wait_cmd" && break; sleep 0.05; done
	check "$name: the worker reached the point" eval "$wait_cmd"
	kill -9 "$PROVD_PID"
	wait "$PROVD_PID" 2>/dev/null || true
	PROVD_PID=
	kill "$STRACE_PID" 2>/dev/null || true
	wait "$STRACE_PID" 2>/dev/null || true
	STRACE_PID=
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

if command -v strace >/dev/null; then
	crash_at "killed before the temp file is durable" "fsync:delay_enter=5000000:when=1" tmp_complete old
	crash_at "killed between fsync and rename" "renameat,renameat2:delay_enter=5000000" tmp_complete old
	crash_at "killed after the rename, before the directory fsync" "fsync:delay_enter=5000000:when=2" cache_is_new new
else
	fail "strace is not installed: the kills at exact points of the write were not run (apt-get install strace)"
fi

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
