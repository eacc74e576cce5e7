#!/bin/bash
# Signed documents (issue 13): what one host's provd pays per poll of a
# signed directory document served by a real nginx over HTTPS on loopback,
# side by side with the same document unsigned (the peer: issue 3's path).
# Per size (default 10,000 and 100,000 users):
#
#   changed, signed      a 200: download, .sig fetch, Ed25519 verify, parse,
#                        admit, plan, persist (median of 3 changes)
#   changed, unsigned    the same without trusted_keys (median of 3)
#   unchanged (304)      a conditional GET answered 304 (median of 5)
#   prov-publish build   wall and CPU of a build that changed (from a document)
#
# plus the document's size raw and gzip-compressed (-6, what a CDN or
# nginx's gzip_static would serve). provd CPU is its process CPU clock (all
# threads) across one `provctl refresh`. Not a test: no thresholds.
#
# usage: bench/run-signed.sh [-s "10000 100000"]
# PROV_BUILD = build dir (provd, provctl, prov-publish, bench_proccpu).
set -euo pipefail

PROV_SRC=${PROV_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
PROV_BUILD=${PROV_BUILD:-$PROV_SRC/build}
SIZES="10000 100000"
while getopts "s:" o; do
	case $o in
	s) SIZES=$OPTARG ;;
	*) sed -n '2,19p' "$0" >&2; exit 2 ;;
	esac
done
PROVD=$PROV_BUILD/provd/provd
CTL=$PROV_BUILD/provctl/provctl
PUB=$PROV_BUILD/prov-publish/prov-publish
CPU=$PROV_BUILD/bench/bench_proccpu
for b in "$PROVD" "$CTL" "$PUB" "$CPU"; do
	[ -x "$b" ] || { echo "missing $b: build first" >&2; exit 1; }
done

T=$(mktemp -d /tmp/prov-bench-signed.XXXXXX)
chmod 755 "$T"
PROV_SRC=$PROV_SRC
. "$PROV_SRC/tests/integration/nginx_lib.sh"
PROVD_PID=
cleanup() {
	[ -n "$PROVD_PID" ] && kill "$PROVD_PID" 2>/dev/null && wait "$PROVD_PID" 2>/dev/null
	nginx_stop
	rm -rf "$T"
}
trap cleanup EXIT
unset http_proxy https_proxy HTTPS_PROXY ALL_PROXY all_proxy

mkdir -p "$T/www" "$T/out"
NGINX_ACCESS_LOG=off nginx_start "$T/www"
"$PUB" keygen "$T/fleet" >/dev/null 2>&1
echo '{"prov_directory": 1, "serial": 0, "bindings": [{"name": "bench-staff", "groups": ["staff-prov"], "grants": ["login"]}]}' \
	> "$T/bindings.json"

gen() { # gen N SEQ: N users; SEQ changes one user's gecos (a change to publish)
	python3 "$PROV_SRC/tests/integration/gen_directory.py" "$T/users.json" "$1"
	sed -i "s/\"Test User 1\"/\"Test User 1 v$2\"/" "$T/users.json"
}
publish() { "$PUB" build --out "$T/out" --key "$T/fleet.key" --audience bench --document "$T/users.json" \
	--bindings "$T/bindings.json" >/dev/null; }
serve() {
	cp -p "$T/out/directory.json.sig" "$T/www/.s" && mv "$T/www/.s" "$T/www/directory.json.sig"
	cp -p "$T/out/directory.json" "$T/www/.d" && mv "$T/www/.d" "$T/www/directory.json"
}

ctl() { "$CTL" --socket "$T/run/private/socket" "$@"; }
start_provd() { # start_provd SIGNED(yes|no)
	rm -rf "$T/state" "$T/run"
	mkdir -m 700 "$T/state" "$T/run"
	{
		echo "[directory]"
		echo "url = https://127.0.0.1:$NGINX_PORT/directory.json"
		echo "ca_file = $T/certs/ca.pem"
		echo "refresh_interval = 1h"
		echo "retry_base = 1h"
		echo "retry_max = 1h"
		echo "max_deprovision_share = 100%"
		[ "$1" = yes ] && echo "trusted_keys = $T/fleet.pub" && echo "audience = bench"
		echo "[paths]"
		echo "state_dir = $T/state"
		echo "runtime_dir = $T/run"
	} > "$T/provd.conf"
	PROV_LOG=stderr "$PROVD" -c "$T/provd.conf" >>"$T/provd.log" 2>&1 &
	PROVD_PID=$!
	for _ in $(seq 1500); do
		ctl status 2>/dev/null | grep -q '^last_sync: *[0-9]' && return 0
		sleep 0.02
	done
	echo "provd did not finish its first pull" >&2
	tail "$T/provd.log" >&2
	exit 1
}
stop_provd() { kill "$PROVD_PID"; wait "$PROVD_PID" 2>/dev/null || true; PROVD_PID=; }
refresh_cpu() { # one refresh; prints provd CPU in microseconds
	local c0 c1
	c0=$("$CPU" "$PROVD_PID")
	ctl refresh > "$T/refresh.out" || { cat "$T/refresh.out" >&2; exit 1; }
	c1=$("$CPU" "$PROVD_PID")
	echo $(((c1 - c0) / 1000))
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
fmt() { if [ "$1" -ge 1000000 ]; then printf '%d.%02d s' $(($1 / 1000000)) $(($1 % 1000000 / 10000)); else printf '%d.%d ms' $(($1 / 1000)) $(($1 % 1000 / 100)); fi; }

ROWS=()
seq_no=0
for n in $SIZES; do
	rm -f "$T/out/"*
	seq_no=$((seq_no + 1)); gen "$n" $seq_no; publish; serve
	raw=$(stat -c %s "$T/www/directory.json")
	gz=$(gzip -6 -c "$T/www/directory.json" | wc -c)
	for mode in yes no; do
		start_provd $mode
		changed=()
		for _ in 1 2 3; do
			seq_no=$((seq_no + 1)); gen "$n" $seq_no; publish; serve
			changed+=("$(refresh_cpu)")
			grep -q '^result: *applied' "$T/refresh.out" || { cat "$T/refresh.out" >&2; exit 1; }
		done
		unchanged=()
		for _ in 1 2 3 4 5; do unchanged+=("$(refresh_cpu)"); done
		grep -q '^not_modified: *yes' "$T/refresh.out" || { cat "$T/refresh.out" >&2; exit 1; }
		stop_provd
		c=$(printf '%s\n' "${changed[@]}" | median)
		u=$(printf '%s\n' "${unchanged[@]}" | median)
		[ $mode = yes ] && { cs=$c; us=$u; } || { cu=$c; uu=$u; }
	done
	# prov-publish build of a change, wall and CPU (user + sys of the child)
	seq_no=$((seq_no + 1)); gen "$n" $seq_no
	t0=$(date +%s%N)
	pcpu=$( { /usr/bin/time -f '%U %S' "$PUB" build --out "$T/out" --key "$T/fleet.key" --audience bench \
		--document "$T/users.json" --bindings "$T/bindings.json" >/dev/null; } 2>&1 | tail -1)
	t1=$(date +%s%N)
	pc=$(awk '{ printf "%d", ($1 + $2) * 1000000 }' <<<"$pcpu")
	ROWS+=("$n|$raw|$gz|$cs|$cu|$us|$uu|$(((t1 - t0) / 1000))|$pc")
done

printf '\nprov signed documents: provd per poll of nginx (HTTPS, loopback), build %s, %s, %d CPUs\n\n' \
	"$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$PROV_BUILD/CMakeCache.txt" 2>/dev/null || echo ?)" "$(uname -r)" "$(nproc)"
printf '%-8s %10s %10s | %16s %16s %7s | %11s %11s | %12s %12s\n' users "raw" "gzip -6" \
	"changed, signed" "changed, unsig." "ratio" "304 signed" "304 unsig." "publish wall" "publish CPU"
for r in "${ROWS[@]}"; do
	IFS='|' read -r n raw gz cs cu us uu pw pc <<<"$r"
	printf '%-8s %7d KB %7d KB | %16s %16s %6s | %11s %11s | %12s %12s\n' "$n" $((raw / 1024)) $((gz / 1024)) \
		"$(fmt "$cs")" "$(fmt "$cu")" "$(awk -v a="$cs" -v b="$cu" 'BEGIN { printf "%.2fx", a / b }')" \
		"$(fmt "$us")" "$(fmt "$uu")" "$(fmt "$pw")" "$(fmt "$pc")"
done
printf '\nprovd CPU: its process CPU clock across one provctl refresh (median); changed = 200 + .sig + verify + parse + admit + plan + persist\n'
