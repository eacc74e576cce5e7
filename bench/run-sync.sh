#!/bin/bash
# The sync benchmark (issue 3): provd pulling a big directory from the test
# SCIM server (tests/dirserver) over HTTPS on loopback, and what an
# unchanged directory costs afterwards. Prints one table:
#
#   full sync, SCIM         every page of /Users and /Groups into an empty cache
#   re-check, SCIM          the same directory again, unchanged (median of 3)
#   start-up from cache     provd started with the directory down: cache load
#   full sync, document     the same directory as one prov document (a 200)
#   re-check, document      unchanged: a conditional GET answered 304 (median of 3)
#
# Wall time is what `provctl refresh` waited (the test server's own time
# included); provd CPU is its process CPU clock (all threads) across it; peak
# RSS is provd's VmHWM after the step, steady RSS its VmRSS a second later.
# Not a test: no thresholds (bench/README.md lists the targets).
#
# usage: bench/run-sync.sh [-u USERS] [-g GROUPS] [-p PAGE] [-m MEMBERS]
#   defaults: 100000 users, 10000 groups, pages of 1000, 10 members a group
# PROV_BUILD = build dir (provd, provctl, bench/bench_proccpu); root or not.
set -euo pipefail

PROV_SRC=${PROV_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
PROV_BUILD=${PROV_BUILD:-$PROV_SRC/build}
USERS=100000 NGROUPS=10000 PAGE=1000 MEMBERS=10
while getopts "u:g:p:m:" o; do
	case $o in
	u) USERS=$OPTARG ;;
	g) NGROUPS=$OPTARG ;;
	p) PAGE=$OPTARG ;;
	m) MEMBERS=$OPTARG ;;
	*) sed -n '2,20p' "$0" >&2; exit 2 ;;
	esac
done

PROVD=$PROV_BUILD/provd/provd
CTL=$PROV_BUILD/provctl/provctl
CPU=$PROV_BUILD/bench/bench_proccpu
for b in "$PROVD" "$CTL" "$CPU"; do
	[ -x "$b" ] || { echo "missing $b: build first (cmake --build $PROV_BUILD)" >&2; exit 1; }
done

W=$(mktemp -d /tmp/prov-bench-sync.XXXXXX)
chmod 700 "$W"
DS_PID= PROVD_PID=
cleanup() {
	[ -n "$PROVD_PID" ] && kill "$PROVD_PID" 2>/dev/null && wait "$PROVD_PID" 2>/dev/null
	[ -n "$DS_PID" ] && kill "$DS_PID" 2>/dev/null && wait "$DS_PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
unset http_proxy https_proxy HTTPS_PROXY ALL_PROXY all_proxy

# --- the directory server ---
python3 "$PROV_SRC/tests/dirserver/dirserver.py" gencerts "$W/certs"
TOKEN=bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
printf '%s\n' "$TOKEN" > "$W/token"
chmod 600 "$W/token"
python3 "$PROV_SRC/tests/dirserver/dirserver.py" serve --certs "$W/certs" --ports-file "$W/ports" \
	--token "$TOKEN" >"$W/dirserver.log" 2>&1 &
DS_PID=$!
for _ in $(seq 100); do [ -s "$W/ports" ] && break; sleep 0.05; done
read -r HTTPS ADMIN < <(python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print(p["https"], p["admin"])' "$W/ports")
admin() { curl -sSf --max-time 120 -d "$2" "http://127.0.0.1:$ADMIN$1" >/dev/null; }
admin /config "{\"max_page\": $PAGE}"
admin /generate "{\"users\": $USERS, \"groups\": $NGROUPS, \"members_per_group\": $MEMBERS, \"posix\": true}"

# --- provd ---
mkdir -m 700 "$W/state" "$W/run"
config() { # config TYPE URL
	cat > "$W/provd.conf" <<EOF
[directory]
type = $1
url = $2
token_file = $W/token
ca_file = $W/certs/ca.pem
refresh_interval = 1h
retry_base = 1h
retry_max = 1h
[scim]
page_size = $PAGE
[paths]
state_dir = $W/state
runtime_dir = $W/run
EOF
}
ctl() { "$CTL" --socket "$W/run/private/socket" "$@"; }
start_provd() {
	PROV_LOG=stderr "$PROVD" -c "$W/provd.conf" >>"$W/provd.log" 2>&1 &
	PROVD_PID=$!
	for _ in $(seq 600); do
		ctl status 2>/dev/null | grep -q '^last_sync: *[0-9]' && return 0
		sleep 0.02
	done
	echo "provd did not finish its first pull" >&2
	cat "$W/provd.log" >&2
	exit 1
}
stop_provd() { kill "$PROVD_PID"; wait "$PROVD_PID" 2>/dev/null || true; PROVD_PID=; }
mem() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$PROVD_PID/status"; }
now_ns() { date +%s%N; }

RESULTS=()
# step NAME [refresh args]: one refresh, measured.
step() {
	local name=$1 t0 t1 c0 c1 result
	shift
	c0=$("$CPU" "$PROVD_PID")
	t0=$(now_ns)
	ctl refresh "$@" > "$W/refresh.out" || { cat "$W/refresh.out" >&2; exit 1; }
	t1=$(now_ns)
	c1=$("$CPU" "$PROVD_PID")
	result=$(sed -n 's/^result: *//p' "$W/refresh.out")
	sleep 1
	RESULTS+=("$name|$(((t1 - t0) / 1000))|$(((c1 - c0) / 1000))|$(mem VmHWM)|$(mem VmRSS)|$result")
}
# median NAME COUNT: the last COUNT results become one, their median by CPU.
median() {
	local name=$1 n=$2 picked
	picked=$(printf '%s\n' "${RESULTS[@]: -$n}" | sort -t'|' -k3,3n | sed -n "$(((n + 1) / 2))p")
	RESULTS=("${RESULTS[@]:0:${#RESULTS[@]}-$n}")
	RESULTS+=("$name|${picked#*|}")
}

# 1. SCIM: the first pull at start-up fails fast (server refusing), so the
#    full sync is measured on its own, by refresh.
config scim "https://127.0.0.1:$HTTPS/scim/v2"
admin /fault '{"mode": "refuse"}'
start_provd
admin /fault '{"mode": "none"}'
step "full sync, SCIM"
for _ in 1 2 3; do step "re-check, SCIM"; done
median "re-check, SCIM (unchanged)" 3
stop_provd

# 2. Start-up from the cache, the directory down.
admin /fault '{"mode": "refuse"}'
t0=$(now_ns)
start_provd
t1=$(now_ns)
sleep 1
RESULTS+=("start-up from the cache|$(((t1 - t0) / 1000))|$(("$("$CPU" "$PROVD_PID")" / 1000))|$(mem VmHWM)|$(mem VmRSS)|$(ctl status | sed -n 's/^users: *//p') users")
stop_provd
admin /fault '{"mode": "none"}'

# 3. The same directory as a prov document (the cache's payload), over HTTPS.
tail -c +49 "$W/state/directory.cache" > "$W/directory.json"
curl -sSf --max-time 120 --data-binary @"$W/directory.json" "http://127.0.0.1:$ADMIN/document" >/dev/null
rm -f "$W/state/directory.cache" "$W/state/sync.state"
config document "https://127.0.0.1:$HTTPS/directory.json"
admin /fault '{"mode": "refuse"}'
start_provd
admin /fault '{"mode": "none"}'
step "full sync, document"
for _ in 1 2 3; do step "re-check, document"; done
median "re-check, document (304)" 3
stop_provd

# --- the table ---
doc_mb=$(($(stat -c %s "$W/directory.json") / 1048576))
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$PROV_BUILD/CMakeCache.txt" 2>/dev/null || true)
printf '\nprov sync: %d users, %d groups (%d members each), pages of %d; SCIM and a %d MiB document over HTTPS on loopback\n' \
	"$USERS" "$NGROUPS" "$MEMBERS" "$PAGE" "$doc_mb"
printf 'build %s, %s, %d CPUs\n\n' "${build_type:-?}" "$(uname -r)" "$(nproc)"
printf '%-30s %10s %12s %10s %12s  %s\n' "step" "wall" "provd CPU" "peak RSS" "steady RSS" "result"
for r in "${RESULTS[@]}"; do
	IFS='|' read -r name wall cpu hwm rss result <<<"$r"
	fmt() { # microseconds, human
		if [ "$1" -ge 1000000 ]; then printf '%d.%02d s' $(($1 / 1000000)) $(($1 % 1000000 / 10000)); else printf '%d.%d ms' $(($1 / 1000)) $(($1 % 1000 / 100)); fi
	}
	printf '%-30s %10s %12s %7d MB %9d MB  %s\n' "$name" "$(fmt "$wall")" "$(fmt "$cpu")" $((hwm / 1024)) $((rss / 1024)) "$result"
done
printf '\ntargets: full sync < 10 s wall, peak RSS < 256 MB, steady RSS < 128 MB; unchanged re-check < 50 ms of provd CPU\n'
