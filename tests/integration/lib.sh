# shellcheck shell=bash
# Shared helpers for prov's integration tests. Source it, then call
# sandbox_enter "$@" first thing: the script re-runs itself inside a private
# mount namespace and PID namespace, where it may bind-mount its own
# nsswitch.conf, put libnss_prov.so.2 on the library path (a read-only
# overlay over the multiarch dir) and use a private tmpfs on /run. Nothing of
# the machine's real /etc, /run or /usr changes, and every process a test
# starts dies with the namespace's PID 1 even when the test fails.
#
# Needs root (unshare, mount). PROV_BUILD = build dir, PROV_SRC = source dir
# (set by ctest; defaults work when run from the source tree).

set -euo pipefail

PROV_SRC=${PROV_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PROV_BUILD=${PROV_BUILD:-$PROV_SRC/build}
MULTIARCH_DIR=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo "$(uname -m)-linux-gnu")

_pass=0
_fail=0

sandbox_enter() {
	if [ "${PROV_SANDBOXED:-}" = 1 ]; then
		_sandbox_setup
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "$0: integration tests need root (unshare/mount)" >&2
		exit 1
	fi
	T=$(mktemp -d /tmp/prov-it.XXXXXX)
	chmod 755 "$T"
	export T PROV_SRC PROV_BUILD
	local rc=0
	# Not exec: the EXIT trap below must still remove the temp dir.
	trap 'rm -rf "$T"' EXIT
	PROV_SANDBOXED=1 unshare -m -p -f --mount-proc --propagation private "$0" "$@" || rc=$?
	exit $rc
}

_sandbox_setup() {
	mount -t tmpfs -o mode=755 provrun /run
	mkdir -p "$T/lib" "$T/state" "$T/etc"
	chmod 700 "$T/state"
	cp "$PROV_BUILD/nss_prov/libnss_prov.so.2" "$T/lib/"
	mount -t overlay provnss -o "lowerdir=$T/lib:$MULTIARCH_DIR" "$MULTIARCH_DIR"
	printf '%s\n' 'passwd: files prov' 'group: files prov' 'shadow: files' \
		'hosts: files' > "$T/etc/nsswitch.conf"
	mount --bind "$T/etc/nsswitch.conf" /etc/nsswitch.conf
	trap _sandbox_teardown EXIT
}

_sandbox_teardown() {
	local rc=$?
	stop_provd
	# The PID namespace ends with us; mounts go with the mount namespace.
	exit $rc
}

# write_config FILE [extra INI lines...]: a provd.conf for the sandbox.
write_config() {
	local file=$1 url=$2
	shift 2
	{
		echo "[directory]"
		[ -n "$url" ] && echo "url = $url"
		echo "[paths]"
		echo "state_dir = $T/state"
		echo "runtime_dir = /run/prov"
		for line in "$@"; do echo "$line"; done
	} > "$file"
}

PROVD_PID=
# start_provd CONFIG: starts provd in the background, waits until it answers.
start_provd() {
	local conf=$1
	# PROVD_BIN: another provd to compare with (bench/run-load.sh -p).
	"${PROVD_BIN:-$PROV_BUILD/provd/provd}" -c "$conf" --foreground >>"$T/provd.log" 2>&1 &
	PROVD_PID=$!
	local i
	for i in $(seq 100); do
		if "$PROV_BUILD/provctl/provctl" status >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$PROVD_PID" 2>/dev/null; then
			echo "provd exited during start-up:" >&2
			cat "$T/provd.log" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "provd did not answer within 5 s:" >&2
	cat "$T/provd.log" >&2
	return 1
}

stop_provd() {
	if [ -n "$PROVD_PID" ]; then
		kill -CONT "$PROVD_PID" 2>/dev/null || true
		kill "$PROVD_PID" 2>/dev/null || true
		wait "$PROVD_PID" 2>/dev/null || true
		PROVD_PID=
	fi
}

pass() { echo "PASS: $*"; _pass=$((_pass + 1)); }
fail() { echo "FAIL: $*"; _fail=$((_fail + 1)); }

# check DESCRIPTION CMD...: passes when CMD exits 0.
check() {
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1: expected [$2], got [$3]"
	fi
}

# elapsed_ms CMD...: runs CMD (ignoring its status), prints its wall time in ms.
elapsed_ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || true
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

finish() {
	echo "$_pass passed, $_fail failed"
	[ "$_fail" -eq 0 ]
}
