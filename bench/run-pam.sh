#!/bin/bash
# Benchmarks the PAM side of a login through pam_prov against the same
# stack without it, with bench_pam driving real libpam:
#   permit        account: pam_permit          session: pam_permit
#   prov          account: pam_prov, pam_permit session: pam_prov, pam_permit
#   mkhomedir     account: pam_permit          session: pam_mkhomedir, pam_permit
#                 (the stock way to get a home on first login; for the
#                 first-login row only)
# Rows: a whole transaction (pam_start .. pam_end, as sshd does per login)
# and the three calls alone on one handle, for a user whose home exists;
# then first logins (the home is created from /etc/skel) for users never
# seen. provd serves N_USERS users from a document; everything runs in the
# integration tests' sandbox (tests/integration/lib.sh), /home is a tmpfs.
# Not a test: no thresholds.
#
# usage (root): bench/run-pam.sh [-n ITER] [-f FIRST] [-c CPUS] [-o RAWFILE]
#   -n  iterations per existing-home run (default 3000)
#   -f  first logins per stack (default 1000)
#   -c  pin bench_pam and provd to CPUS (taskset list)
#   -o  raw bench_pam lines (default $PROV_BUILD/bench/pam-results.txt)
# PROV_BUILD = build dir with provd, provctl, pam_prov.so, libnss_prov.so.2, bench_pam.
# shellcheck source=../tests/integration/lib.sh
. "$(dirname "$0")/../tests/integration/lib.sh"
sandbox_enter "$@"

ITER=3000
FIRST=1000
PIN=
RAW=$PROV_BUILD/bench/pam-results.txt
while getopts n:f:c:o: opt; do
	case $opt in
	n) ITER=$OPTARG ;;
	f) FIRST=$OPTARG ;;
	c) PIN=$OPTARG ;;
	o) RAW=$OPTARG ;;
	*) echo "usage: $0 [-n ITER] [-f FIRST] [-c CPUS] [-o RAWFILE]" >&2; exit 2 ;;
	esac
done
BENCH=$PROV_BUILD/bench/bench_pam
MODULE=$PROV_BUILD/pam_prov/pam_prov.so
for f in "$BENCH" "$MODULE" "$PROV_BUILD/provd/provd"; do
	if [ ! -e "$f" ]; then
		echo "$0: $f not built (PROV_BUILD=$PROV_BUILD)" >&2
		exit 1
	fi
done
RUN=()
[ -z "$PIN" ] || RUN=(taskset -c "$PIN")
N_USERS=$((2 * FIRST + 1))

# The directory: "bench" (existing home), first-login users p00000.. (prov)
# and m00000.. (mkhomedir), all with a login grant here.
python3 - "$FIRST" > "$T/directory.json" <<'PY'
import json, sys
n = int(sys.argv[1])
names = ["bench"] + [f"p{i:05d}" for i in range(n)] + [f"m{i:05d}" for i in range(n)]
users = [{"name": u, "uid": 100000 + i} for i, u in enumerate(names)]
print(json.dumps({"prov_directory": 1, "serial": 1, "users": users,
    "bindings": [{"name": "everyone", "users": names, "grants": ["login"]}]}))
PY
chmod 644 "$T/directory.json"
python3 -c 'import sys; [print(f"p{i:05d}") for i in range(int(sys.argv[1]))]' "$FIRST" > "$T/first-prov"
python3 -c 'import sys; [print(f"m{i:05d}") for i in range(int(sys.argv[1]))]' "$FIRST" > "$T/first-mkhomedir"

cp -a /etc/pam.d "$T/pam.d"
printf '%s\n' 'account required pam_permit.so' 'session required pam_permit.so' > "$T/pam.d/bench-permit"
printf '%s\n' "account [success=ok user_unknown=ignore default=bad] $MODULE" 'account required pam_permit.so' \
	"session [success=ok ignore=ignore default=bad] $MODULE" 'session required pam_permit.so' > "$T/pam.d/bench-prov"
printf '%s\n' 'account required pam_permit.so' 'session required pam_mkhomedir.so skel=/etc/skel umask=0077' \
	'session required pam_permit.so' > "$T/pam.d/bench-mkhomedir"
mount --bind "$T/pam.d" /etc/pam.d
mount -t tmpfs -o mode=755 benchhome /home

write_config "$T/provd.conf" "file://$T/directory.json"
start_provd "$T/provd.conf"
[ -z "$PIN" ] || taskset -a -p -c "$PIN" "$PROVD_PID" >/dev/null
# bench's home, made once: the rows below are for an existing home.
"$BENCH" -s bench-prov -u bench -n 1 -l warmup >/dev/null

: > "$RAW"
bench() {
	"${RUN[@]}" "$BENCH" "$@" | tee -a "$RAW"
}
echo "users=$N_USERS iterations=$ITER first_logins=$FIRST" | tee -a "$RAW"
bench -s bench-permit -u bench -n "$ITER" -m txn -l existing
bench -s bench-prov -u bench -n "$ITER" -m txn -l existing
bench -s bench-permit -u bench -n "$ITER" -m calls -l existing
bench -s bench-prov -u bench -n "$ITER" -m calls -l existing
bench -s bench-prov -f "$T/first-prov" -m txn -l first
bench -s bench-mkhomedir -f "$T/first-mkhomedir" -m txn -l first
made=$(find /home -mindepth 1 -maxdepth 1 -type d | wc -l)
echo "homes created: $made (want $((2 * FIRST + 1)))" | tee -a "$RAW"

# The table: p50 and mean per row, and prov's cost over pam_permit alone.
python3 - "$RAW" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    if not line.startswith("label="):
        continue
    kv = dict(f.split("=", 1) for f in line.split())
    rows[(kv["label"], kv["service"], kv["mode"])] = kv
def get(l, s, m, k):
    r = rows.get((l, s, m))
    return float(r[k]) if r else float("nan")
print()
print(f"{'row':44} {'p50 µs':>9} {'p99 µs':>9} {'mean µs':>9}")
for (l, s, m), kv in rows.items():
    print(f"{l + ' ' + s + ' ' + m:44} {float(kv['p50_us']):9.1f} {float(kv['p99_us']):9.1f} {float(kv['mean_us']):9.1f}")
print()
for m in ("txn", "calls"):
    p, q = get("existing", "bench-prov", m, "p50_us"), get("existing", "bench-permit", m, "p50_us")
    print(f"existing home, {m:5}: pam_prov / pam_permit = {p / q:5.2f} x (p50), +{p - q:.1f} µs per login")
p, q = get("first", "bench-prov", "txn", "p50_us"), get("existing", "bench-prov", "txn", "p50_us")
k = get("first", "bench-mkhomedir", "txn", "p50_us")
print(f"first login (home from /etc/skel): pam_prov {p:.1f} µs p50 = {p / q:.2f} x an existing home; "
      f"pam_mkhomedir {k:.1f} µs")
PY
