#!/bin/bash
# Instructions per NSS lookup (callgrind), side by side for the sources of
# bench/run-nss.sh: the stable figure on a shared, noisy machine, where
# run-nss.sh's times move by 2x between runs. Per setup and operation:
#   libc    instructions inside the glibc call (getpwnam_r, getpwuid_r,
#           getgrouplist, getgrnam_r): everything the caller pays
#   module  of those, the ones inside the NSS module's own entry point
#           (_nss_prov_* or _nss_benchfloor_*; nscd answers before any
#           module is dispatched: 0)
#   glibc   libc - module: glibc's NSS dispatch (and nscd's client)
#   sys     system calls per lookup (strace -c)
# Each figure is (N+1 calls - 1 call) / N, so start-up (dlopen, mapping the
# snapshot, the first nscd connection) cancels out.
# Setups: prov (nss_prov on its snapshot; prov-warm: every key looked up
# once first, untimed, as for nscd), floor (bench/nss_floor.c: a
# module that computes its answer from the name, no data: the cost of
# dispatching to any NSS module), nscd (Debian's, cache primed), then the
# big group: getgrnam and getgrgid of a 100,000-member group (prov, nscd).
#
# usage (root): bench/run-nss-instr.sh [-n CALLS] [-B]
#   -n  calls per measurement (default 2000)   -B  no big-group rows
# PROV_BUILD = build dir (provd, provctl, libnss_prov.so.2, bench_nss,
# libnss_benchfloor.so.2). Needs valgrind, strace; nscd optional.

# shellcheck source=../tests/integration/lib.sh
. "$(dirname "$0")/../tests/integration/lib.sh"
sandbox_enter "$@"

N=2000
BIG=1
while getopts n:B opt; do
	case $opt in
	n) N=$OPTARG ;;
	B) BIG= ;;
	*) echo "usage: $0 [-n CALLS] [-B]" >&2; exit 2 ;;
	esac
done
BENCH=$PROV_BUILD/bench/bench_nss
FLOOR_DIR=$PROV_BUILD/bench
NSCD_PID=
OUT=$T/instr.txt
: > "$OUT"

teardown() {
	local rc=$?
	[ -z "$NSCD_PID" ] || { kill "$NSCD_PID" 2>/dev/null; wait "$NSCD_PID" 2>/dev/null; }
	stop_provd
	exit $rc
}
trap teardown EXIT

set_nss() {
	printf '%s\n' "passwd: $1" "group: $1" 'shadow: files' 'hosts: files' > "$T/etc/nsswitch.conf"
}

# ir FN CALLS ARGS...: instructions callgrind collects inside FN (and what
# it calls) in bench_nss's worker thread, over a run of CALLS calls. The
# main thread's priming (-p) is counted apart (--separate-threads), so it
# fills caches without being measured.
ir() {
	local fn=$1 calls=$2
	shift 2
	rm -f "$T"/cg.out*
	valgrind --tool=callgrind --callgrind-out-file="$T/cg.out" --collect-atstart=no --separate-threads=yes \
		--toggle-collect="$fn" "$BENCH" -n "$calls" -w 0 -t 3600 "$@" >/dev/null 2>"$T/cg.log"
	sed -n 's/^summary: *//p' "$T/cg.out-02"
}

per_call() {
	python3 -c "import sys; a, b, n = map(int, sys.argv[1:]); print('%.0f' % ((b - a) / n))" "$@"
}

syscalls() {
	local one many
	strace -f -c -o "$T/st1" "$BENCH" -n 1 -w 0 -t 3600 "$@" >/dev/null
	strace -f -c -o "$T/st2" "$BENCH" -n $((N + 1)) -w 0 -t 3600 "$@" >/dev/null
	one=$(awk '$NF == "total" { print $4 }' "$T/st1")
	many=$(awk '$NF == "total" { print $4 }' "$T/st2")
	python3 -c "import sys; print('%.2f' % ((int(sys.argv[2]) - int(sys.argv[1])) / int(sys.argv[3])))" "$one" "$many" "$N"
}

# measure LABEL MODULE_PREFIX LIBC_FN OP KIND [bench_nss options]
measure() {
	local label=$1 prefix=$2 libc_fn=$3 op=$4 kind=$5 mod_fn a b libc module sys libc_sym
	shift 5
	# libc's symbols carry their version (getpwnam_r@@GLIBC_2.2.5).
	case $libc_fn in
	*_r) libc_sym="$libc_fn@*" ;;
	*) libc_sym=$libc_fn ;;
	esac
	a=$(ir "$libc_sym" 1 "$@" "$op" "$kind" 1)
	b=$(ir "$libc_sym" $((N + 1)) "$@" "$op" "$kind" 1)
	libc=$(per_call "$a" "$b" "$N")
	module=0
	if [ -n "$prefix" ]; then
		case $libc_fn in
		getgrouplist) mod_fn=${prefix}_initgroups_dyn ;;
		*) mod_fn=${prefix}_${libc_fn} ;;
		esac
		a=$(ir "$mod_fn" 1 "$@" "$op" "$kind" 1)
		b=$(ir "$mod_fn" $((N + 1)) "$@" "$op" "$kind" 1)
		module=$(per_call "$a" "$b" "$N")
	fi
	sys=$(syscalls "$@" "$op" "$kind" 1)
	echo "$label $op${TAG:-} $kind $libc $module $sys" >> "$OUT"
	echo "  $label $op $kind: libc $libc module $module syscalls $sys" >&2
}

run_small() {
	local label=$1 prefix=$2
	shift 2
	measure "$label" "$prefix" getpwnam_r getpwnam hit -k "$T/users.passwd" "$@"
	measure "$label" "$prefix" getpwnam_r getpwnam miss "$@"
	measure "$label" "$prefix" getpwuid_r getpwuid hit -k "$T/users.passwd" "$@"
	measure "$label" "$prefix" getgrouplist getgrouplist hit -k "$T/users.passwd" "$@"
}

start_nscd() {
	sed -E 's/^([[:space:]]*persistent[[:space:]]+[a-z]+[[:space:]]+)yes/\1no/' \
		/etc/nscd.conf > "$T/etc/nscd.conf"
	mkdir -p /run/nscd "$T/nscd-cache"
	[ -d /var/cache/nscd ] && mount --bind "$T/nscd-cache" /var/cache/nscd
	nscd -F -f "$T/etc/nscd.conf" >>"$T/nscd.log" 2>&1 &
	NSCD_PID=$!
	local _
	for _ in $(seq 100); do
		[ -S /run/nscd/socket ] && return 0
		sleep 0.05
	done
	echo "nscd did not start" >&2
	return 1
}

stop_nscd() {
	kill "$NSCD_PID" 2>/dev/null || true
	wait "$NSCD_PID" 2>/dev/null || true
	NSCD_PID=
	mountpoint -q /var/cache/nscd && umount /var/cache/nscd
}

# files_of DOC PASSWD GROUP: the document's users and groups as files.
files_of() {
	python3 - "$1" "$2" "$3" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as f:
    for u in doc["users"]:
        f.write("%s:x:%d:%d:%s:%s:%s\n" % (u["name"], u["uid"], u["gid"], u.get("gecos", ""), u["home"], u["shell"]))
with open(sys.argv[3], "w") as f:
    for g in doc["groups"]:
        f.write("%s:x:%d:%s\n" % (g["name"], g["gid"], ",".join(g["members"])))
PY
}

with_nscd() {
	cat /etc/passwd "$1" > "$T/etc/passwd.nscd"
	cat /etc/group "$2" > "$T/etc/group.nscd"
	chmod 644 "$T/etc/passwd.nscd" "$T/etc/group.nscd"
	mount --bind "$T/etc/passwd.nscd" /etc/passwd
	mount --bind "$T/etc/group.nscd" /etc/group
	set_nss files
	start_nscd
}

without_nscd() {
	stop_nscd
	umount /etc/passwd
	umount /etc/group
}

python3 "$PROV_SRC/tests/integration/gen_directory.py" "$T/dir.json" 10000
files_of "$T/dir.json" "$T/users.passwd" "$T/users.group"
write_config "$T/provd.conf" "file://$T/dir.json"
export TMPDIR=$T

echo "== prov" >&2
start_provd "$T/provd.conf"
set_nss prov
# prov: each record met for the first time in the process (checked whole);
# prov-warm: after every key was looked up once (-p, as nscd's cache is
# filled), the steady state of a long-running process.
run_small prov _nss_prov
run_small prov-warm _nss_prov -p
stop_provd
echo "== floor" >&2
set_nss benchfloor
LD_LIBRARY_PATH=$FLOOR_DIR run_small floor _nss_benchfloor
if command -v nscd >/dev/null; then
	echo "== nscd" >&2
	with_nscd "$T/users.passwd" "$T/users.group"
	run_small nscd "" -p
	without_nscd
fi
if [ -n "$BIG" ]; then
	python3 - "$T/big.json" <<'PY'
import json, sys
users = [{"id": "b%06d" % i, "name": "b%06d" % i, "uid": 300000 + i, "gid": 400000,
          "home": "/home/b%06d" % i, "shell": "/bin/bash"} for i in range(100000)]
json.dump({"prov_directory": 1, "serial": 1, "users": users,
           "groups": [{"name": "allstaff", "gid": 400000, "members": [u["name"] for u in users]}],
           "bindings": []}, open(sys.argv[1], "w"))
PY
	files_of "$T/big.json" "$T/big.passwd" "$T/big.group"
	head -1 "$T/big.passwd" > "$T/big.key"
	rm -rf "${T:?}/state"/*
	write_config "$T/provd-big.conf" "file://$T/big.json"
	TAG=-100k # the rows of the 100,000-member group
	echo "== big: prov" >&2
	start_provd "$T/provd-big.conf"
	set_nss prov
	measure prov _nss_prov getgrnam_r getgrnam hit -g allstaff
	measure prov-warm _nss_prov getgrnam_r getgrnam hit -g allstaff -p
	measure prov _nss_prov getgrouplist getgrouplist hit -k "$T/big.key"
	stop_provd
	if command -v nscd >/dev/null; then
		echo "== big: nscd" >&2
		with_nscd "$T/big.passwd" "$T/big.group"
		measure nscd "" getgrnam_r getgrnam hit -g allstaff -p
		measure nscd "" getgrouplist getgrouplist hit -k "$T/big.key" -p
		without_nscd
	fi
fi

echo "instructions per lookup (callgrind, $N calls; libc = the whole glibc call, module = inside the NSS module's entry point), system calls per lookup (strace -c)"
python3 - "$OUT" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
setups = []
for r in rows:
    if r[0] not in setups:
        setups.append(r[0])
keys = []
for r in rows:
    if (r[1], r[2]) not in keys:
        keys.append((r[1], r[2]))
d = {(r[0], r[1], r[2]): r[3:] for r in rows}
head = "%-22s" % "op kind" + "".join(" | %-27s" % s for s in setups)
head2 = "%-22s" % "" + "".join(" | %8s %8s %9s" % ("libc", "module", "syscalls") for s in setups)
ratios = [(a, b) for a, b in (("prov", "floor"), ("prov", "nscd"), ("prov-warm", "floor"), ("prov-warm", "nscd"),
                              ("floor", "nscd")) if a in setups and b in setups]
head += " | libc ratio"
head2 += " |" + "".join(" %11s" % ("%s/%s" % (a, b)) for a, b in ratios)
print(head)
print(head2)
print("-" * len(head2))
for k in keys:
    line = "%-22s" % " ".join(k)
    for s in setups:
        v = d.get((s,) + k)
        line += " | %8s %8s %9s" % tuple(v) if v else " | %8s %8s %9s" % ("-", "-", "-")
    line += " |"
    for a, b in ratios:
        va, vb = d.get((a,) + k), d.get((b,) + k)
        line += " %11s" % ("%.2f" % (float(va[0]) / float(vb[0])) if va and vb and float(vb[0]) else "-")
    print(line)
PY
