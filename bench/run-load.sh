#!/bin/bash
# provd's request latency under a local attacker's load, side by side with
# the same requests without it (issue 8, DESIGN invariant 12). The load
# (tests/integration/load_lib.sh): nobody holds HOLD idle connections to the
# public socket; four other uids loop on the sudo group (USERS users, a
# binding naming SUDO of them), whole passwd and group enumerations, and
# initgroups. Measured with bench_load, connect to last reply byte:
#   access   ACCESS_CHECK on the private socket, as root (what pam_prov
#            asks for the PAM account step)
#   getent   PW_BY_NAME on the public socket, as uid 1005
# Everything runs in the integration tests' sandbox (lib.sh). Not a test:
# no thresholds.
#
# usage (root): bench/run-load.sh [-n USERS] [-s SUDO] [-H HOLD] [-m N] [-p PROVD]
#   -n  directory users (default 20000)      -s  users in the sudo binding (5000)
#   -H  idle connections nobody holds (1100) -m  requests timed per row (300)
#   -p  another provd binary to compare (e.g. one built from main)
# PROV_BUILD = build dir with provd, provctl, libnss_prov.so.2, bench_load.
# shellcheck source=../tests/integration/lib.sh
. "$(dirname "$0")/../tests/integration/lib.sh"
sandbox_enter "$@"
# shellcheck source=../tests/integration/load_lib.sh
. "$PROV_SRC/tests/integration/load_lib.sh"

USERS=20000
SUDO=5000
HOLD=1100
N=300
while getopts n:s:H:m:p: opt; do
	case $opt in
	n) USERS=$OPTARG ;;
	s) SUDO=$OPTARG ;;
	H) HOLD=$OPTARG ;;
	m) N=$OPTARG ;;
	p) export PROVD_BIN=$OPTARG ;;
	*) echo "usage: $0 [-n USERS] [-s SUDO] [-H HOLD] [-m N] [-p PROVD]" >&2; exit 2 ;;
	esac
done
for f in "$BENCH_LOAD" "${PROVD_BIN:-$PROV_BUILD/provd/provd}"; do
	if [ ! -x "$f" ]; then
		echo "$0: $f not built (PROV_BUILD=$PROV_BUILD)" >&2
		exit 1
	fi
done
trap 'rc=$?; stop_load >/dev/null; (exit $rc); _sandbox_teardown' EXIT

python3 "$PROV_SRC/tests/integration/gen_directory.py" "$T/dir.json" "$USERS" --sudo-binding "$SUDO"
chmod 644 "$T/dir.json"
write_config "$T/provd.conf" "file://$T/dir.json"
start_provd "$T/provd.conf"

rows() {
	local tag=$1
	"$BENCH_LOAD" measure "$N" access alice "access-$tag" | tee -a "$T/rows"
	_as_uid 1005 "$BENCH_LOAD" measure "$N" pw alice "getent-$tag" | tee -a "$T/rows"
}
echo "users=$USERS sudo_binding=$SUDO hold=$HOLD requests_per_row=$N provd=${PROVD_BIN:-$PROV_BUILD/provd/provd}"
rows idle
start_load "$HOLD"
rows load
"$PROV_BUILD/provctl/provctl" status 2>/dev/null | grep -E '^(clients|requests|denied|dropped|rejected):' | tr -s ' ' | tr '\n' ' '
echo
echo "log: $(grep -c 'PROV_EVENT=client_over_budget' "$T/provd.log" || true) client_over_budget," \
	"$(grep -c 'PROV_EVENT=clients_rejected' "$T/provd.log" || true) clients_rejected," \
	"$(grep -c 'PROV_EVENT=log_suppressed' "$T/provd.log" || true) log_suppressed lines"
grep 'PROV_EVENT=client_over_budget' "$T/provd.log" | grep -o 'PROV_PEER_UID=[0-9]*' | sort | uniq -c || true
grep -m2 'suppressed' "$T/provd.log" || true
stop_load

python3 - "$T/rows" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows[f[0]] = dict(x.split("=", 1) for x in f[1:])
print()
print(f"{'request':8} {'idle p50':>9} {'idle p99':>9} {'load p50':>9} {'load p99':>9} {'p99 ratio':>9} {'failed idle/load':>17}  (ms)")
for r in ("access", "getent"):
    i, l = rows.get(r + "-idle"), rows.get(r + "-load")
    if not i or not l:
        continue
    ratio = float(l["p99"]) / float(i["p99"]) if float(i["p99"]) > 0 else float("nan")
    print(f"{r:8} {float(i['p50']):9.2f} {float(i['p99']):9.2f} {float(l['p50']):9.2f} {float(l['p99']):9.2f} "
          f"{ratio:9.1f} {i['failed'] + '/' + l['failed']:>17}")
PY
