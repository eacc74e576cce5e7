#!/bin/bash
# Benchmarks glibc NSS lookups through prov against the alternatives a user
# would otherwise pick, with the same 10,000 users, side by side:
#   files       passwd/group: files, the users appended to /etc/passwd, /etc/group
#   prov        passwd/group: prov, provd serving a document with those users;
#               nss_prov answers from the lookup snapshot provd publishes
#   prov-socket the same, with the snapshot made group-writable so that
#               nss_prov ignores it and asks provd over the socket (the path
#               before issue 12, and the fallback now)
#   files+prov  passwd/group: files prov (the real deployment order: a prov hit
#               pays a miss in the small local files first)
#   nscd        nscd (Debian's, its default cache settings, not persistent) in
#               front of the big files; only if nscd is installed
#   floor       passwd/group: benchfloor, bench/nss_floor.c: a module that
#               computes its answer from the name, no data: what dispatching
#               to any NSS module costs on this glibc (nscd answers before
#               the dispatch); no big rows
#   prov-base   prov again, but with the libnss_prov.so.2 of another build
#               ($PROV_BASE, e.g. main before a change) against the same
#               provd and snapshot: a before/after in one run
#   sssd        passwd/group: sss, SSSD's LDAP provider against a private
#               slapd on 127.0.0.1 loaded with the same users and groups
#               (bench/sssd_lib.sh), its caches warmed first: hits come from
#               its memory-mapped cache (/var/lib/sss/mc), misses from
#               sssd_nss over its socket (the mapped cache keeps no negative
#               entries); the run checks which, with strace. Enumeration
#               off (SSSD's default): no getpwent row unless -E. Only if
#               sssd and slapd are installed (scripts/install-deps.sh --bench)
# Each setup runs bench_nss for getpwnam/getpwuid/getgrouplist x hit/miss x
# 1/2 threads, counts the system calls of a getpwnam hit (strace -c, 2001
# calls minus 1), then one table prints them all. Not a test: no thresholds.
# Then the big-directory rows (issue 9 §6), same setups, same table: 100,000
# users all in one 100,000-member group "allstaff" (their primary group):
#   id        `id USER` of a member (getpwnam, getgrouplist, getgrgid of
#             the 100,000-member group)
#   getgrnam  `getent group allstaff`
#   getpwent  `getent passwd`: the whole enumeration of 100,000 users
# (-B skips them).
#
# usage (root): bench/run-nss.sh [-t SECS] [-w SECS] [-s "SETUPS"] [-c CPUS] [-o RAWFILE]
#   -t  measured seconds per run (default 2)     -w  warm-up seconds (default 0.5)
#   -s  setups to run, in order (default "prov prov-socket files+prov files sssd nscd floor")
#   -c  pin the benchmark, provd and nscd to CPUS (taskset list, e.g. 0): shows
#       the cost without cross-CPU wake-ups (which dominate on some VMs)
#   -o  where the raw bench_nss lines go (default $PROV_BUILD/bench/nss-results.txt)
#   -B  no big-directory rows
#   -E  sssd's big rows with enumerate = true, waiting up to SSSD_ENUM_WAIT
#       seconds (default 900) for SSSD to enumerate the 100,000 users, so
#       that it has a getpwent row (without -E: SSSD's default, no row)
# bench/run-nss.sh -R RAWFILE   prints the table of an earlier run again.
# PROV_BUILD = build dir with provd, provctl, libnss_prov.so.2 and bench_nss.

# The table: one row per op/kind/threads, the setups' p50, p99 (µs) and
# ops/s side by side, then p50 ratios against files and nscd.
print_table() {
	python3 - "$1" "$SETUPS" <<'EOF'
import sys
raw, setups = sys.argv[1], sys.argv[2].split()
runs, order = {}, []
sysc = {}
sssd_conn = []
for line in open(raw):
    f = dict(kv.split("=", 1) for kv in line.split())
    if f["op"] == "syscalls":
        sysc[f["label"]] = f["calls_per_op"]
        continue
    if f["op"] == "sssd-path":
        sssd_conn.append("  %-18s %5s  %-40s %s" % (f["kind"].replace("-", " "), f["per_op"],
                         f["by_name"].replace(",", " ").replace(":", " "), f["nss_connects"]))
        continue
    key = (f["op"], f["kind"], f["threads"])
    if key not in order:
        order.append(key)
    runs[key + (f["label"],)] = f
present = [s for s in setups if any(k[3] == s for k in runs)]
floor = [runs[k] for k in runs if k[0] == "unix-rtt"]
order = [k for k in order if k[0] != "unix-rtt"]

def us(v):
    v = float(v)
    return "%.2f" % v if v < 10 else "%.1f" % v if v < 1000 else "%.0f" % v

def rate(v):
    v = float(v)
    return "%.2fM" % (v / 1e6) if v >= 1e6 else "%.1fk" % (v / 1e3) if v >= 1e3 else "%.0f" % v

def ratio(a, b):
    if a is None or b is None or float(b["p50_us"]) == 0:
        return "-"
    v = float(a["p50_us"]) / float(b["p50_us"])
    return "%.0f" % v if v >= 100 else "%.1f" % v if v >= 10 else "%.3f" % v

ratios = []
for p in ("prov", "files+prov"):
    for base in ("files", "nscd", "sssd", "prov-socket", "floor", "prov-base"):
        if p in present and base in present:
            ratios.append((p, base))
for f in floor:
    print("AF_UNIX floor, %s thread(s): p50 %s µs, p99 %s µs, %s/s (connect, 29 B request, 85 B reply, close; trivial echo server, no NSS)"
          % (f["threads"], us(f["p50_us"]), us(f["p99_us"]), rate(f["ops_per_s"])))
if floor:
    print()
head1 = "%-24s" % ""
head2 = "%-24s" % "op kind threads"
for s in present:
    head1 += " | %-25s" % s
    head2 += " | %8s %8s %7s" % ("p50 µs", "p99 µs", "ops/s")
if ratios:
    head1 += " | %s" % "p50 ratio"
    head2 += " |" + "".join(" %11s" % ("%s/%s" % (p.replace("files+prov", "f+p"), b.replace("prov-socket", "sock")))
                            for p, b in ratios)
print(head1)
print(head2)
print("-" * len(head2))
errors = []
for key in order:
    row = "%-24s" % " ".join(key)
    for s in present:
        r = runs.get(key + (s,))
        if r is None:
            row += " | %8s %8s %7s" % ("-", "-", "-")
            continue
        mark = "!" if r["errors"] != "0" else ""
        if mark:
            errors.append("%s %s: %s wrong answers of %s" % (s, " ".join(key), r["errors"], r["ops"]))
        row += " | %8s %8s %7s" % (us(r["p50_us"]) + mark, us(r["p99_us"]), rate(r["ops_per_s"]))
    if ratios:
        row += " |" + "".join(" %11s" % ratio(runs.get(key + (p,)), runs.get(key + (b,)))
                              for p, b in ratios)
    print(row)
if sysc:
    print()
    print("system calls per getpwnam hit (strace -c, 2001 calls minus 1): " +
          ", ".join("%s %s" % (x, sysc[x]) for x in present if x in sysc))
if sssd_conn:
    print("sssd, which path answered (strace; per call = 2001 calls minus 1; connects = connect() to /var/lib/sss/pipes/nss in a 2001-call run):")
    print("  %-18s %5s  %-40s %s" % ("op kind", "calls", "per call, by name", "connects"))
    for line in sssd_conn:
        print(line)
scale = []
for x in present:
    one, two = runs.get(("getpwnam", "hit", "1", x)), runs.get(("getpwnam", "hit", "2", x))
    if one and two and float(one["ops_per_s"]) > 0:
        scale.append("%s %.2fx" % (x, float(two["ops_per_s"]) / float(one["ops_per_s"])))
if scale:
    print("2 threads / 1 thread, getpwnam hit throughput: " + ", ".join(scale))
cpu = []
for x in present:
    one, two = runs.get(("getpwnam", "hit", "1", x)), runs.get(("getpwnam", "hit", "2", x))
    if one and two and "cpu_us_per_op" in one and "cpu_us_per_op" in two:
        cpu.append("%s %s -> %s" % (x, us(one["cpu_us_per_op"]), us(two["cpu_us_per_op"])))
if cpu:
    print("CPU µs per getpwnam hit, 1 -> 2 threads (same = no contention between the threads): " + ", ".join(cpu))
if errors:
    print("\n! wrong answers (hit not found, or miss found):")
    for e in errors:
        print("  " + e)
EOF
}

# -R RAWFILE: only print the table of an earlier run (no root, no sandbox).
if [ "${1:-}" = -R ] && [ $# -eq 2 ]; then
	SETUPS=${SETUPS:-prov prov-socket files+prov files sssd nscd floor}
	print_table "$2"
	exit 0
fi

# shellcheck source=../tests/integration/lib.sh
. "$(dirname "$0")/../tests/integration/lib.sh"
sandbox_enter "$@"
# shellcheck source=sssd_lib.sh
. "$(dirname "$0")/sssd_lib.sh"

N_USERS=10000
SECS=2
WARM=0.5
SETUPS="prov prov-socket files+prov files sssd nscd floor"
RAW=$PROV_BUILD/bench/nss-results.txt
PIN=
BIG=1
N_BIG=100000
SSSD_ENUM=
SSSD_ENUM_WAIT=${SSSD_ENUM_WAIT:-900}
while getopts t:w:s:c:o:BE opt; do
	case $opt in
	t) SECS=$OPTARG ;;
	w) WARM=$OPTARG ;;
	s) SETUPS=$OPTARG ;;
	c) PIN=$OPTARG ;;
	o) RAW=$OPTARG ;;
	B) BIG= ;;
	E) SSSD_ENUM=1 ;;
	*) echo "usage: $0 [-t SECS] [-w SECS] [-s SETUPS] [-c CPUS] [-o RAWFILE] [-B] [-E]" >&2; exit 2 ;;
	esac
done

BENCH=$PROV_BUILD/bench/bench_nss
RUN=()
[ -z "$PIN" ] || RUN=(taskset -c "$PIN")
OPS="getpwnam getpwuid getgrouplist"
KINDS="hit miss"
THREADS="1 2"
NSCD_PID=

for f in "$BENCH" "$PROV_BUILD/provd/provd" "$PROV_BUILD/provctl/provctl"; do
	if [ ! -x "$f" ]; then
		echo "$0: $f not built (PROV_BUILD=$PROV_BUILD)" >&2
		exit 1
	fi
done

# pin PID: moves a daemon (all its threads) onto the -c CPUs.
pin() {
	[ -z "$PIN" ] || taskset -a -p -c "$PIN" "$1" >/dev/null
}

stop_nscd() {
	if [ -n "$NSCD_PID" ]; then
		kill "$NSCD_PID" 2>/dev/null || true
		wait "$NSCD_PID" 2>/dev/null || true
		NSCD_PID=
	fi
}

bench_teardown() {
	local rc=$?
	stop_nscd
	stop_sssd
	stop_slapd
	stop_provd
	exit $rc
}
trap bench_teardown EXIT

# set_nss SOURCES: passwd and group (and so initgroups) from SOURCES. The
# file is the one lib.sh bind-mounted on /etc/nsswitch.conf; rewriting it in
# place keeps the mount.
set_nss() {
	printf '%s\n' "passwd: $1" "group: $1" 'shadow: files' 'hosts: files' \
		> "$T/etc/nsswitch.conf"
}

# The same users as passwd and group lines, for the files setups, and the
# passwd lines also as bench_nss's hit keys.
make_files() {
	python3 - "$T/dir.json" "$T/users.passwd" "$T/users.group" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as f:
    for u in doc["users"]:
        f.write("%s:x:%d:%d:%s:%s:%s\n" % (u["name"], u["uid"], u["gid"],
                u.get("gecos", ""), u["home"], u["shell"]))
with open(sys.argv[3], "w") as f:
    for g in doc["groups"]:
        f.write("%s:x:%d:%s\n" % (g["name"], g["gid"], ",".join(g["members"])))
EOF
	cat /etc/passwd "$T/users.passwd" > "$T/etc/passwd.big"
	cat /etc/group "$T/users.group" > "$T/etc/group.big"
	chmod 644 "$T/etc/passwd.big" "$T/etc/group.big"
}

mount_big_files() {
	mount --bind "$T/etc/passwd.big" /etc/passwd
	mount --bind "$T/etc/group.big" /etc/group
}

umount_big_files() {
	umount /etc/passwd
	umount /etc/group
}

# run_all LABEL [bench_nss options]: every op x kind x threads, raw lines to $RAW.
run_all() {
	local label=$1 op kind th line
	shift
	for op in $OPS; do
		for kind in $KINDS; do
			for th in $THREADS; do
				line=$("${RUN[@]}" "$BENCH" -k "$T/users.passwd" -t "$SECS" -w "$WARM" -l "$label" \
					"$@" "$op" "$kind" "$th")
				echo "$line" >> "$RAW"
				echo "  $line" >&2
			done
		done
	done
}

# count_syscalls LABEL [bench_nss options]: system calls per getpwnam hit,
# the difference between 2001 calls and 1 (start-up cancels out).
count_syscalls() {
	local label=$1 one many
	shift
	command -v strace >/dev/null || return 0
	strace -f -c -o "$T/strace1" "$BENCH" -k "$T/users.passwd" -n 1 -w 0 -t 600 "$@" getpwnam hit 1 >/dev/null
	strace -f -c -o "$T/strace2" "$BENCH" -k "$T/users.passwd" -n 2001 -w 0 -t 600 "$@" getpwnam hit 1 >/dev/null
	one=$(awk '$NF == "total" { print $4 }' "$T/strace1")
	many=$(awk '$NF == "total" { print $4 }' "$T/strace2")
	echo "op=syscalls kind=getpwnam-hit threads=1 label=$label calls_per_op=$(python3 -c "print('%.2f' % (($many - $one) / 2000))")" >> "$RAW"
}

# prov-socket: a snapshot nss_prov must not believe sends every lookup to
# the socket, as before the snapshot existed.
snapshot_mode() {
	if [ "$1" = prov-socket ]; then chmod 664 /run/prov/nss.map; else chmod 644 /run/prov/nss.map; fi
}

# with_module SETUP CMD...: CMD, with prov-base's module found first
# (glibc dlopens libnss_prov.so.2 through LD_LIBRARY_PATH too).
with_module() {
	local setup=$1
	shift
	if [ "$setup" = prov-base ]; then
		if [ ! -f "${PROV_BASE:-}/nss_prov/libnss_prov.so.2" ]; then
			echo "$0: prov-base needs PROV_BASE=<build dir with nss_prov/libnss_prov.so.2>" >&2
			return 1
		fi
		LD_LIBRARY_PATH=$PROV_BASE/nss_prov "$@"
	else
		"$@"
	fi
}

start_nscd() {
	# Debian's nscd.conf, but no persistent cache: nothing is written to
	# the real /var/cache/nscd, and every run starts from an empty cache.
	sed -E 's/^([[:space:]]*persistent[[:space:]]+[a-z]+[[:space:]]+)yes/\1no/' \
		/etc/nscd.conf > "$T/etc/nscd.conf"
	mkdir -p /run/nscd "$T/nscd-cache"
	[ -d /var/cache/nscd ] && mount --bind "$T/nscd-cache" /var/cache/nscd
	nscd -F -f "$T/etc/nscd.conf" >>"$T/nscd.log" 2>&1 &
	NSCD_PID=$!
	pin "$NSCD_PID"
	local _
	for _ in $(seq 100); do
		[ -S /run/nscd/socket ] && return 0
		sleep 0.05
	done
	echo "nscd did not create its socket:" >&2
	cat "$T/nscd.log" >&2
	return 1
}

# count_sssd_path: which path SSSD's client took, per op x kind. System
# calls per call by name (strace -c, 2001 calls minus 1; -p primes both
# runs alike), and connect() calls to sssd_nss's socket in a whole
# 2001-call run (the client keeps one connection open, so a socket path
# shows as 1 connect plus its send/poll/read calls on every lookup; the
# mapped cache as no connect at all).
count_sssd_path() {
	local op kind n
	command -v strace >/dev/null || return 0
	for op in $OPS; do
		for kind in $KINDS; do
			for n in 1 2001; do
				strace -f -c -o "$T/strace-sss$n" \
					"$BENCH" -k "$T/users.passwd" -n "$n" -w 0 -t 600 -p "$op" "$kind" 1 >/dev/null
			done
			strace -f -e trace=connect -o "$T/strace-conn" \
				"$BENCH" -k "$T/users.passwd" -n 2001 -w 0 -t 600 -p "$op" "$kind" 1 >/dev/null
			python3 - "$T/strace-sss1" "$T/strace-sss2001" "$T/strace-conn" "$op-$kind" >> "$RAW" <<'PY'
import sys
def calls(path):
    out = {}
    for line in open(path):
        f = line.split()
        if len(f) >= 5 and f[3].isdigit() and f[-1] != "total":
            out[f[-1]] = int(f[3])
    return out
one, many = calls(sys.argv[1]), calls(sys.argv[2])
per = {k: (many.get(k, 0) - one.get(k, 0)) / 2000 for k in many}
named = ",".join("%s:%.2f" % (k, v) for k, v in sorted(per.items(), key=lambda x: -x[1]) if v >= 0.05)
conn = sum(1 for line in open(sys.argv[3]) if 'pipes/nss"' in line)
print("op=sssd-path kind=%s threads=1 label=sssd per_op=%.2f by_name=%s nss_connects=%d"
      % (sys.argv[4], sum(per.values()), named or "-", conn))
PY
		done
	done
}

# sssd_big_path: whether SSSD's mapped cache or its socket answered the
# big rows' commands once warm (connect() calls to sssd_nss's socket).
sssd_big_path() {
	command -v strace >/dev/null || return 0
	local key c g
	key=$(head -1 "$T/big.keys" | cut -d: -f1)
	strace -f -e trace=connect -o "$T/strace-big" id "$key" >/dev/null
	c=$(grep -c 'pipes/nss"' "$T/strace-big" || true)
	strace -f -e trace=connect -o "$T/strace-big" getent group allstaff > "$T/big-sssd-group"
	g=$(grep -c 'pipes/nss"' "$T/strace-big" || true)
	echo "big sssd, connect() to /var/lib/sss/pipes/nss once warm (0 = mapped cache): id $key $c, getent group allstaff $g ($(cut -d: -f4 "$T/big-sssd-group" | tr , '\n' | grep -c .) members)"
}

# sssd_available: sssd, its LDAP provider, libnss_sss and slapd.
sssd_available() {
	command -v sssd >/dev/null && command -v slapd >/dev/null && command -v ldapsearch >/dev/null &&
		[ -e "$MULTIARCH_DIR/sssd/libsss_ldap.so" ] && [ -e "$MULTIARCH_DIR/libnss_sss.so.2" ]
}

# start_sssd_setup DOC.json ENUMERATE: slapd with DOC, SSSD in front of it,
# NSS from SSSD only (as the prov setup has prov only).
start_sssd_setup() {
	stop_provd
	set_nss files
	sssd_make_ldif "$1" "$T/ldap.ldif"
	start_slapd "$T/ldap.ldif"
	pin "$SLAPD_PID"
	start_sssd "$2"
	local p
	for p in $SSSD_PID $(pgrep -P "$SSSD_PID"); do pin "$p"; done
	set_nss sss
}

stop_sssd_setup() {
	set_nss files
	stop_sssd
	stop_slapd
}

run_setup() {
	echo "== $1" >&2
	case $1 in
	sssd)
		if ! sssd_available; then
			echo "   sssd/slapd not installed (scripts/install-deps.sh --bench): skipped" >&2
			return 0
		fi
		start_sssd_setup "$T/dir.json" false
		# Warm every cache: one untimed pass over all keys fills SSSD's
		# sysdb from slapd and its mapped cache (run_all's -p then finds
		# them there, as on a long-running host).
		local op
		for op in $OPS; do
			"$BENCH" -k "$T/users.passwd" -n 1 -w 0 -p "$op" hit 1 >/dev/null
		done
		run_all sssd -p
		count_syscalls sssd -p
		count_sssd_path
		sssd_mc_report > "$T/sssd-mc.txt"
		stop_sssd_setup
		;;
	files)
		set_nss files
		mount_big_files
		run_all files
		count_syscalls files
		umount_big_files
		;;
	prov | prov-socket | files+prov | prov-base)
		# Local accounts win (invariant 1), so provd must never see the
		# big files: they are only mounted in the files setups.
		if [ -z "$PROVD_PID" ]; then
			start_provd "$T/provd.conf"
			pin "$PROVD_PID"
		fi
		if [ "$1" = files+prov ]; then set_nss "files prov"; else set_nss prov; fi
		snapshot_mode "$1"
		with_module "$1" run_all "$1"
		with_module "$1" count_syscalls "$1"
		snapshot_mode prov
		;;
	floor)
		set_nss benchfloor
		LD_LIBRARY_PATH=$PROV_BUILD/bench run_all floor
		LD_LIBRARY_PATH=$PROV_BUILD/bench count_syscalls floor
		;;
	nscd)
		if ! command -v nscd >/dev/null; then
			echo "   nscd not installed (apt-get install nscd): skipped" >&2
			return 0
		fi
		stop_provd
		set_nss files
		mount_big_files
		start_nscd
		# -p: look every key up once first, so the measured calls
		# are answered from nscd's cache, as on a long-running host.
		run_all nscd -p
		count_syscalls nscd -p
		stop_nscd
		mountpoint -q /var/cache/nscd && umount /var/cache/nscd
		umount_big_files
		;;
	*)
		echo "$0: unknown setup $1" >&2
		return 1
		;;
	esac
}

# The big directory: document, files, and keys (id: 200 members; getpwent:
# all of them, for the count).
make_big() {
	python3 - "$N_BIG" "$T" <<'EOF'
import json, sys
n, t = int(sys.argv[1]), sys.argv[2]
users = [{"id": "b%06d" % i, "name": "b%06d" % i, "uid": 300000 + i, "gid": 400000,
          "home": "/home/b%06d" % i, "shell": "/bin/bash"} for i in range(n)]
json.dump({"prov_directory": 1, "serial": 1, "users": users,
           "groups": [{"name": "allstaff", "gid": 400000, "members": [u["name"] for u in users]}],
           "bindings": []}, open(t + "/big.json", "w"))
with open(t + "/big.passwd", "w") as f:
    for u in users:
        f.write("%s:x:%d:%d::%s:%s\n" % (u["name"], u["uid"], u["gid"], u["home"], u["shell"]))
with open(t + "/big.keys", "w") as f:
    for u in users[:: n // 200]:
        f.write("%s:x:%d:%d::%s:%s\n" % (u["name"], u["uid"], u["gid"], u["home"], u["shell"]))
with open(t + "/big.group", "w") as f:
    f.write("allstaff:x:400000:%s\n" % ",".join(u["name"] for u in users))
EOF
	cat /etc/passwd "$T/big.passwd" > "$T/etc/passwd.huge"
	cat /etc/group "$T/big.group" > "$T/etc/group.huge"
	chmod 644 "$T/etc/passwd.huge" "$T/etc/group.huge"
	write_config "$T/provd-big.conf" "file://$T/big.json"
	# A fresh state: the 10,000 users of the first rows would otherwise
	# linger as removed users (deprovisioned_retention) beside these.
	rm -rf "${T:?}/state"/*
}

mount_huge_files() {
	mount --bind "$T/etc/passwd.huge" /etc/passwd
	mount --bind "$T/etc/group.huge" /etc/group
}

# run_big LABEL [bench_nss options]: the three big-directory rows.
run_big() {
	local label=$1 line args
	shift
	for args in "-k $T/big.keys id" "-g allstaff getgrnam" "-k $T/big.passwd getpwent"; do
		# BIG_SKIP: rows a setup cannot answer (sssd's getpwent without enumeration).
		case " ${BIG_SKIP:-} " in *" ${args##* } "*) continue ;; esac
		# shellcheck disable=SC2086 # args is a list of words on purpose
		line=$("${RUN[@]}" "$BENCH" -t "$SECS" -w "$WARM" -l "$label" "$@" $args hit 1)
		echo "$line" >> "$RAW"
		echo "  $line" >&2
	done
}

run_big_setup() {
	echo "== big: $1" >&2
	case $1 in
	sssd)
		sssd_available || return 0
		if [ -z "$SSSD_ENUM" ]; then
			# SSSD's default: no enumeration, so `getent passwd`
			# lists none of the directory's users: no getpwent row.
			start_sssd_setup "$T/big.json" false
			echo "big sssd: enumerate = false (SSSD's default): no getpwent row; -E measures it with enumerate = true" >> "$T/big-snapshot.txt"
			BIG_SKIP=getpwent run_big sssd -p
		else
			# enumerate = true: SSSD answers getpwent only from an
			# enumerated cache. Wait until it holds every user.
			start_sssd_setup "$T/big.json" true
			local t0=$SECONDS n=0
			while [ $((SECONDS - t0)) -lt "$SSSD_ENUM_WAIT" ]; do
				n=$(getent passwd | wc -l)
				[ "$n" -ge "$N_BIG" ] && break
				sleep 5
			done
			echo "big sssd: enumerate = true; its cache held $n of $N_BIG users after $((SECONDS - t0)) s (waited at most $SSSD_ENUM_WAIT s)" >> "$T/big-snapshot.txt"
			if [ "$n" -ge "$N_BIG" ]; then run_big sssd -p; else BIG_SKIP=getpwent run_big sssd -p; fi
		fi
		sssd_mc_report | sed 's/^/big /' >> "$T/big-snapshot.txt"
		sssd_big_path >> "$T/big-snapshot.txt"
		stop_sssd_setup
		;;
	files)
		set_nss files
		mount_huge_files
		run_big files
		umount_big_files
		;;
	prov | prov-socket | files+prov | prov-base)
		if [ -z "$PROVD_PID" ]; then
			start_provd "$T/provd-big.conf"
			pin "$PROVD_PID"
			echo "big snapshot: $(stat -c %s /run/prov/nss.map) bytes; provd: $("$PROV_BUILD/provctl/provctl" status | sed -n 's/^ *snapshot: *//p')" > "$T/big-snapshot.txt"
		fi
		if [ "$1" = files+prov ]; then set_nss "files prov"; else set_nss prov; fi
		snapshot_mode "$1"
		with_module "$1" run_big "$1"
		snapshot_mode prov
		;;
	nscd)
		command -v nscd >/dev/null || return 0
		stop_provd
		set_nss files
		mount_huge_files
		start_nscd
		run_big nscd -p
		stop_nscd
		mountpoint -q /var/cache/nscd && umount /var/cache/nscd
		umount_big_files
		;;
	esac
}

print_header() {
	echo "prov NSS benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "machine: $(nproc) CPUs, $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r), $(ldd --version | head -1)"
	echo "build: $PROV_BUILD, CMAKE_BUILD_TYPE=${BUILD_TYPE:-none (unoptimized: configure with -DCMAKE_BUILD_TYPE=RelWithDebInfo)}"
	[ -z "$PIN" ] || echo "pinned: benchmark and daemons all on CPU(s) $PIN (taskset)"
	echo "load average before the runs: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the figures)"
	echo "data: $N_USERS users (+alice), a group each, one 2001-member group; ${SECS}s measured + ${WARM}s warm-up per run; hits = random existing users, misses = random names/ids from 1000 that exist nowhere"
	[ -z "$BIG" ] || echo "big rows (id, getgrnam, getpwent): $N_BIG users, all members of one $N_BIG-member group allstaff (their primary group); id = getpwnam + getgrouplist + getgrgid of allstaff; getpwent = the whole enumeration"
	echo "DESIGN §6 targets: socket path (prov-socket): hit p50 < 50 µs;"
	echo "  mapped snapshot (prov): hit <= 0.5 µs, miss <= 0.2 µs, initgroups <= 1 µs; issue 12: prov/nscd <= 1."
	echo "  Reference p50 (1 thread, 10k users) from DESIGN: files 464 µs, nslcd 162, SSSD socket 127,"
	echo "  SSSD mapped cache 0.97 (miss 73), nscd 0.61 µs."
	if [ -s "$T/sssd-mc.txt" ]; then
		echo "sssd: SSSD $(sssd --version) LDAP provider (rfc2307, enumerate = false, memcache_timeout = 3600, its state on a tmpfs) against $(slapd -VV 2>&1 | sed -n 's/.*\(slapd [0-9.][^ ]*\).*/\1/p') on 127.0.0.1 (own slapd.conf, mdb), every key looked up once before"
		echo "  measuring; hits are answered by its mapped cache, misses by sssd_nss over its socket (see which path answered, below the table). $(cat "$T/sssd-mc.txt")"
	fi
	echo "Ratios are p50(setup)/p50(base): below 1 means the setup is faster."
	echo
}

python3 "$PROV_SRC/tests/integration/gen_directory.py" "$T/dir.json" "$N_USERS"
write_config "$T/provd.conf" "file://$T/dir.json"
make_files
mkdir -p "$(dirname "$RAW")"
export TMPDIR=$T
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$PROV_BUILD/CMakeCache.txt" 2>/dev/null || true)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
: > "$RAW"
# The floor under any daemon design on this machine: the same connect,
# request, reply and close, against a trivial echo server, no NSS.
echo "== floor" >&2
for th in $THREADS; do
	line=$("${RUN[@]}" "$BENCH" -t "$SECS" -w "$WARM" -l floor unix-rtt hit "$th")
	echo "$line" >> "$RAW"
	echo "  $line" >&2
done
for s in $SETUPS; do
	run_setup "$s"
done
if [ -n "$BIG" ]; then
	stop_provd
	make_big
	for s in $SETUPS; do
		run_big_setup "$s"
	done
	stop_provd
fi
print_header
print_table "$RAW"
echo
[ -s "$T/big-snapshot.txt" ] && { cat "$T/big-snapshot.txt"; echo; }
echo "raw results: $RAW"
