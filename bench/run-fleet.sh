#!/bin/bash
# The fleet simulation (issue 13): HOSTS simulated hosts (bench/fleet_sim.py)
# poll a signed document of USERS users that a real nginx serves over HTTPS
# on loopback, with conditional requests, every INTERVAL s +- 10% jitter.
# At t a user is deactivated and `prov-publish build` publishes it; the
# report is when each host holds the new document (target: every host by
# t + interval x 1.1), nginx's request rate and CPU, and the bytes a change
# costs. Real time scale by default (-x S compresses it S times).
#
# usage: bench/run-fleet.sh [-n HOSTS] [-u USERS] [-i INTERVAL] [-x TIMESCALE]
set -euo pipefail

PROV_SRC=${PROV_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
PROV_BUILD=${PROV_BUILD:-$PROV_SRC/build}
HOSTS=2000 USERS=10000 INTERVAL=30 SCALE=1
while getopts "n:u:i:x:" o; do
	case $o in
	n) HOSTS=$OPTARG ;;
	u) USERS=$OPTARG ;;
	i) INTERVAL=$OPTARG ;;
	x) SCALE=$OPTARG ;;
	*) sed -n '2,11p' "$0" >&2; exit 2 ;;
	esac
done
PUB=$PROV_BUILD/prov-publish/prov-publish
[ -x "$PUB" ] || { echo "missing $PUB: build first" >&2; exit 1; }

T=$(mktemp -d /tmp/prov-bench-fleet.XXXXXX)
chmod 755 "$T"
. "$PROV_SRC/tests/integration/nginx_lib.sh"
trap 'nginx_stop; rm -rf "$T"' EXIT
unset http_proxy https_proxy HTTPS_PROXY ALL_PROXY all_proxy
ulimit -n 65536 2>/dev/null || true

mkdir -p "$T/www"
nginx_start "$T/www" 2
"$PUB" keygen "$T/fleet" >/dev/null 2>&1
python3 "$PROV_SRC/tests/integration/gen_directory.py" "$T/users.json" "$USERS"
echo '{"prov_directory": 1, "serial": 0, "bindings": [{"name": "staff", "groups": ["staff-prov"], "grants": ["login", "sudo"]}]}' \
	> "$T/bindings.json"
# Pre-compressed (--gzip, nginx's gzip_static), as a CDN or object store
# would serve it:
# compressing 2000 copies on the fly is not what the origin should do.
build="$PUB build --out $T/www --key $T/fleet.key --audience fleet --document $T/users.json --bindings $T/bindings.json"
build="$build --gzip >/dev/null"
eval "$build"
# The revocation: user00001 deactivated, then published.
revoke="sed -i 's/\"id\": \"u1\", /\"id\": \"u1\", \"active\": false, /' $T/users.json && $build"

cpu_ticks() { # user+sys ticks of nginx's master and workers
	local p sum=0
	for p in $NGINX_PID $(pgrep -P "$NGINX_PID"); do
		sum=$((sum + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo $sum
}
c0=$(cpu_ticks); t0=$(date +%s%N)
python3 "$PROV_SRC/bench/fleet_sim.py" --url "https://127.0.0.1:$NGINX_PORT/directory.json" --ca "$T/certs/ca.pem" \
	--hosts "$HOSTS" --interval "$INTERVAL" --publish-at $((INTERVAL + 10)) --observe $((INTERVAL * 4 / 3 + 5)) \
	--publish-cmd "$revoke" --timescale "$SCALE" > "$T/sim.json"
c1=$(cpu_ticks); t1=$(date +%s%N)
lines=$(wc -l < "$T/nginx/logs/access.log")
hz=$(getconf CLK_TCK)
raw=$(stat -c %s "$T/www/directory.json"); gz=$(gzip -6 -c "$T/www/directory.json" | wc -c)

python3 - "$T/sim.json" "$lines" $(((t1 - t0) / 1000000)) $((c1 - c0)) "$hz" "$raw" "$gz" "$USERS" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
lines, wall_ms, ticks, hz, raw, gz, users = (int(x) for x in sys.argv[2:])
r = s["revocation_s"]
cpu_s = ticks / hz
print("\nprov fleet simulation: %d hosts, interval %gs +- %d%%, time scale 1/%g, a %d-user document (%d KB raw, %d KB gzip -6)"
      % (s["hosts"], s["interval_s"], round(100 * s["jitter"]), s["timescale"], users, raw // 1024, gz // 1024))
print("nginx: %d requests in %.1f s (%.1f/s overall, %.1f/s steady, %.1f%% of steady polls answered 304), "
      "CPU %.2f s (%.2f ms per request), errors %d"
      % (lines, wall_ms / 1000, lines / (wall_ms / 1000), s["steady_requests_per_s"] * s["timescale"] / s["timescale"],
         100 * s["steady_304_share"], cpu_s, 1000 * cpu_s / max(1, lines), s["errors"]))
print("the change: %d bytes served after it (%.1f KB per host)" % (s["bytes_after_publish"],
      s["bytes_after_publish"] / 1024 / max(1, s["hosts"])))
print("revocation reached %d of %d hosts: min %.1f s, p50 %.1f s, p90 %.1f s, p99 %.1f s, max %.1f s; "
      "%d within the target of %.1f s (interval x (1 + jitter))"
      % (r["hosts_holding"], s["hosts"], r["min"], r["p50"], r["p90"], r["p99"], r["max"], r["within_target"], r["target"]))
PY
